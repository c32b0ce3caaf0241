"""`/reminders` and the buttons under nudges: see and change every reminder with buttons."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.access import emergency_open
from bot.callbacks import Menu, NudgeAction
from bot.coach import timezones
from bot.coach.nudges import water_per_day
from bot.coach.triage import Access
from bot.handlers.common import (
    answer_query,
    close_press,
    exercise_access,
    is_check_step,
    remove_buttons,
    say,
    zone,
)
from bot.handlers.gate import consent_refusal, refusal_for, send_refusal
from bot.handlers.session import start_session
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.scheduler import prefs_from_settings
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.format import weekday_names
from content.schema import Library
from db.models import NudgeSettings

INTERVALS = (60, 90, 120, 180, 240)
WORKDAYS, EVERY_DAY = 0b0011111, 0b1111111
DEFAULT_TIMES = ["11:00", "15:30"]
AWAIT_STEPS = {
    "times": "await_times",
    "wake": "await_wake",
    "quiet": "await_quiet",
    "ctime": "await_checkin_time",
}
PROMPTS = {
    "times": "rem_type_times",
    "wake": "rem_type_wake",
    "quiet": "rem_type_quiet",
    "ctime": "rem_type_checkin_time",
}
PAUSES = (("day", 1), ("week", 7))


@dataclass(frozen=True, slots=True)
class _Held:
    """What the safety rules hold back whatever the settings say (``reschedule`` does the same)."""

    exercise: Access = Access.ALLOWED  # no stretch and no check-in unless ALLOWED
    water: bool = False  # an emergency no doctor has cleared: not even water


async def cmd_reminders(update: Update, context: LumbarContext) -> None:
    """Show the reminder settings with buttons to change them; the last screen loses its."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        if refusal is None:
            await _settings(uow, context, user_id)
            text, markup = await _screen(uow, context, user_id)
    if refusal is not None:
        await send_refusal(context, user_id, refusal)
        return
    await _send_screen(context, user_id, text, markup)


async def _send_screen(
    context: LumbarContext, user_id: int, text: str, markup: InlineKeyboardMarkup
) -> None:
    """Send the screen and remember it; the screen sent before it loses its buttons."""
    message = await say(context, user_id, text, markup)
    async with context.services.transaction() as uow:
        previous = await uow.nudges.swap_menu(user_id, message.message_id)
    await remove_buttons(context, user_id, previous)


async def _zone_name(uow: UnitOfWork, user_id: int) -> str:
    user = await uow.users.get(user_id)
    return user.time_zone if user else "UTC"


async def _settings(uow: UnitOfWork, context: LumbarContext, user_id: int) -> NudgeSettings:
    """The user's settings, the defaults stored on first use: only after ``consent_refusal``."""
    now = context.services.clock()
    await uow.users.touch(user_id, now)
    settings = await uow.nudges.get_settings(user_id)
    if settings is None:
        await uow.nudges.save_settings(user_id, now=now, stretch_times=list(DEFAULT_TIMES))
        settings = await uow.nudges.get_settings(user_id)
    assert settings is not None
    return settings


async def _screen(
    uow: UnitOfWork, context: LumbarContext, user_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The screen from the stored settings and what the safety rules hold back."""
    settings = await uow.nudges.get_settings(user_id)
    assert settings is not None
    profile = await uow.profiles.get(user_id)
    held = _Held(
        exercise=await exercise_access(uow, user_id),
        water=profile is not None and emergency_open(profile),
    )
    return _overview(context, settings, await _zone_name(uow, user_id), held)


def until_text(moment: datetime, now: datetime, zone_name: str, lib: Library) -> str:
    """'Tue 10:30' within the coming week, else 'Mon 9 Mar, 10:30': local, in their language."""
    local, today = moment.astimezone(zone(zone_name)), now.astimezone(zone(zone_name)).date()
    day = weekday_names(lib)[local.weekday()]
    if (local.date() - today).days < 6:
        return f"{day} {local:%H:%M}"
    return f"{day} {lib.day_month(local.date())}, {local:%H:%M}"


def _every(lib: Library, minutes: int, prefix: str) -> str:
    """'every 4 hours', 'every hour', 'every 90 min' (``prefix`` picks the line or the button)."""
    hours, rest = divmod(minutes, 60)
    if rest:
        return lib.text(f"{prefix}every_minutes", minutes=minutes)
    if hours == 1:
        return lib.text(f"{prefix}every_hour")
    return lib.text(f"{prefix}every_hours", hours=hours)


def _days_key(mask: int) -> str:
    if mask == EVERY_DAY:
        return "every_day"
    return "workdays" if mask == WORKDAYS else "chosen"


def _stretch_line(lib: Library, s: NudgeSettings, held: _Held) -> str:
    if not (s.stretch_enabled and s.stretch_times):
        return lib.text("reminders_off")
    days = lib.text(f"reminders_days_{_days_key(s.stretch_days)}")
    planned = lib.text("reminders_stretch", times=", ".join(s.stretch_times), days=days)
    if held.exercise is Access.ALLOWED:
        return planned
    # Blocked until a doctor has looked, or a check under way: none until it ends.
    key = "reminders_held_stretch" if held.exercise is Access.BLOCKED else "reminders_check_stretch"
    return lib.text(key, planned=planned)


def _water_line(lib: Library, s: NudgeSettings, held: _Held) -> str:
    if not s.water_enabled:
        return lib.text("reminders_off")
    if held.water:
        return lib.text("reminders_held")
    return lib.text(
        "reminders_water",
        every=_every(lib, s.water_interval_minutes, "reminders_"),
        start=f"{s.wake_start:%H:%M}",
        count=water_per_day(prefs_from_settings(s)),
    )


def _overview(
    context: LumbarContext, s: NudgeSettings, zone_name: str, held: _Held
) -> tuple[str, InlineKeyboardMarkup]:
    """The screen: what is really scheduled, and buttons that show each setting's state."""
    lib = context.library
    now = context.services.clock()
    if not s.enabled:
        stretch = water = lib.text("reminders_off")
    else:
        stretch, water = _stretch_line(lib, s, held), _water_line(lib, s, held)
    quiet = (
        f"{s.quiet_start:%H:%M}–{s.quiet_end:%H:%M}"
        if s.quiet_start is not None and s.quiet_end is not None
        else lib.text("reminders_none")
    )
    paused_now = s.enabled and s.paused_until is not None and s.paused_until > now
    paused = ""
    if paused_now and s.paused_until is not None:
        paused = lib.text("reminders_paused", until=until_text(s.paused_until, now, zone_name, lib))
    if held.exercise is Access.BLOCKED:
        checkin = lib.text("reminders_checkin_held")
    elif held.exercise is not Access.ALLOWED:
        checkin = lib.text("reminders_checkin_check")
    elif not s.enabled:
        checkin = lib.text("reminders_checkin_off")
    else:
        checkin = lib.text(
            "reminders_checkin",
            day=lib.text(f"weekday_every_{s.checkin_weekday % 7}"),
            time=f"{s.checkin_time:%H:%M}",
        )
    text = lib.text(
        "reminders_overview",
        stretch=html.escape(stretch),
        water=html.escape(water),
        wake=f"{s.wake_start:%H:%M}–{s.wake_end:%H:%M}",
        quiet=quiet,
        checkin=checkin,
        paused=paused,
    ).rstrip()
    text += "\n" + lib.text("reminders_zone", zone=html.escape(zone_name))
    return text, _keyboard(lib, s, paused=paused_now)


def _keyboard(lib: Library, s: NudgeSettings, *, paused: bool) -> InlineKeyboardMarkup:
    """Short labels, at most two a row; each toggle says whether it is on."""

    def b(label: str, arg: str) -> InlineKeyboardButton:
        return button(label, Menu("rem", arg))

    if not s.enabled:
        return rows([b(lib.text("btn_rem_all_on"), "on")])
    on = "on" if s.stretch_enabled else "off"
    water_on = "on" if s.water_enabled else "off"
    day = weekday_names(lib)[s.checkin_weekday % 7]
    pause = [b(lib.text("btn_rem_resume"), "resume")]
    if not paused:
        pause = [b(lib.text(f"btn_rem_pause_{n}"), f"pause{days}") for n, days in PAUSES]
    return rows(
        [b(lib.text(f"btn_rem_stretch_{on}"), "stretch")],
        [
            b(lib.text("btn_rem_stretch_times"), "times"),
            b(lib.text(f"btn_rem_days_{_days_key(s.stretch_days)}"), "days"),
        ],
        [
            b(lib.text(f"btn_rem_water_{water_on}"), "water"),
            b(_every(lib, s.water_interval_minutes, "btn_rem_"), "interval"),
        ],
        [b(lib.text("btn_rem_wake"), "wake"), b(lib.text("btn_rem_quiet"), "quiet")],
        [
            b(lib.text("btn_rem_checkin_day", day=day), "cday"),
            b(lib.text("btn_rem_checkin_time"), "ctime"),
        ],
        pause,
        [b(lib.text("btn_rem_all_off"), "off")],
    )


async def on_reminders_button(update: Update, context: LumbarContext, arg: str) -> None:
    """Apply one change from the reminders screen and redraw it in place."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    if not isinstance(query.message, Message) or query.message.text is None:
        # The screen is a text message; this data on a card or a picture was never ours.
        await answer_query(update, lib.text("stale_button"))
        return
    message_id = query.message.message_id
    async with context.services.transaction() as uow:
        # Before consent and the check nothing is stored, and nothing scheduled.
        refusal = await consent_refusal(uow, context, user_id)
        if refusal is None:
            applied = await _apply(uow, context, user_id, arg)
            previous = await uow.nudges.swap_menu(user_id, message_id)
    if refusal is not None:
        await close_press(update, context)
        await send_refusal(context, user_id, refusal)
        return
    await answer_query(update, applied.toast)
    await remove_buttons(context, user_id, previous)  # an older screen: this one is current
    if applied.prompt is not None:
        await say(context, user_id, applied.prompt)
        return
    try:
        await context.bot.edit_message_text(
            applied.text,
            chat_id=user_id,
            message_id=message_id,
            parse_mode="HTML",
            reply_markup=applied.markup,
        )
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


@dataclass(frozen=True, slots=True)
class _Applied:
    """The redrawn screen, a toast for the press, and the prompt for a typed setting."""

    text: str
    markup: InlineKeyboardMarkup
    toast: str | None = None
    prompt: str | None = None


async def _apply(uow: UnitOfWork, context: LumbarContext, user_id: int, arg: str) -> _Applied:
    """Apply one button's change; the redrawn screen, a toast, or the prompt to type."""
    lib = context.library
    now = context.services.clock()
    prompt: str | None = None
    toast: str | None = None
    s = await _settings(uow, context, user_id)
    changes: dict[str, Any] = {}
    match arg:
        case "stretch":
            changes["stretch_enabled"] = not s.stretch_enabled
            if not s.stretch_times:
                changes["stretch_times"] = list(DEFAULT_TIMES)
        case "days":
            changes["stretch_days"] = EVERY_DAY if s.stretch_days == WORKDAYS else WORKDAYS
        case "water":
            changes["water_enabled"] = not s.water_enabled
        case "interval":
            current = s.water_interval_minutes
            following = [i for i in INTERVALS if i > current]
            changes["water_interval_minutes"] = following[0] if following else INTERVALS[0]
        case "pause1" | "pause7":
            until = now + timedelta(days=1 if arg == "pause1" else 7)
            changes["paused_until"] = until
            local = until_text(until, now, await _zone_name(uow, user_id), lib)
            toast = lib.text("reminders_paused_toast", until=local)
        case "resume":
            changes["paused_until"] = None
            toast = lib.text("reminders_resumed_toast")
        case "off":
            changes["enabled"] = False
        case "on":
            changes["enabled"] = True
            changes["paused_until"] = None
        case "cday":
            changes["checkin_weekday"] = (s.checkin_weekday + 1) % 7
        case "times" | "wake" | "quiet" | "ctime":
            stored = await uow.triage.get_state(user_id)
            if stored is not None and is_check_step(stored.step):
                # Typing times would take the place of the check's saved answers.
                prompt = lib.text("rem_after_check")
            else:
                await uow.triage.save_state(user_id, AWAIT_STEPS[arg], {}, 0, None, now)
                prompt = lib.text(PROMPTS[arg])
        case _:
            pass
    if changes:
        await _save(uow, context, user_id, changes)
    text, markup = await _screen(uow, context, user_id)
    return _Applied(text, markup, toast, prompt)


async def _save(
    uow: UnitOfWork, context: LumbarContext, user_id: int, changes: dict[str, Any]
) -> None:
    now = context.services.clock()
    await uow.nudges.save_settings(user_id, now=now, **changes)
    await reschedule(uow, user_id, now)


async def on_reminders_text(update: Update, context: LumbarContext, step: str) -> None:
    """Typed times for a reminder setting the user asked to change."""
    assert update.effective_user is not None and update.message is not None
    user_id = update.effective_user.id
    lib = context.library
    text = (update.message.text or "").strip()
    changes: dict[str, Any] | None = None
    hint_key = {
        "await_times": "rem_type_times",
        "await_wake": "rem_type_wake",
        "await_checkin_time": "rem_type_checkin_time",
    }.get(step, "rem_type_quiet")
    if step == "await_checkin_time":
        clock = timezones.parse_clock(text)
        changes = {"checkin_time": clock} if clock is not None else None
    elif step == "await_times":
        parsed = [timezones.parse_clock(part.strip()) for part in text.replace(";", ",").split(",")]
        if parsed and all(p is not None for p in parsed):
            times = sorted({p.strftime("%H:%M") for p in parsed if p is not None})[:6]
            changes = {"stretch_times": times, "stretch_enabled": True}
    elif step == "await_quiet" and text.lower() in _none_words(context.library):
        changes = {"quiet_start": None, "quiet_end": None}
    else:
        window = _window(text)
        if window is not None:
            start, end = window
            changes = (
                {"wake_start": start, "wake_end": end}
                if step == "await_wake"
                else {"quiet_start": start, "quiet_end": end}
            )
    if changes is None:
        await say(context, user_id, lib.text("rem_bad_input", hint=lib.text(hint_key)))
        return
    async with context.services.transaction() as uow:
        await uow.triage.clear_state(user_id)
        refusal = await consent_refusal(uow, context, user_id)
        if refusal is None:
            await _settings(uow, context, user_id)
            await _save(uow, context, user_id, changes)
            overview, markup = await _screen(uow, context, user_id)
    if refusal is not None:
        await send_refusal(context, user_id, refusal)
        return
    await _send_screen(context, user_id, lib.text("rem_saved") + "\n\n" + overview, markup)


def _none_words(lib: Library) -> set[str]:
    """What turns quiet hours off when typed: English's words and the user's language's."""
    return {"none", "off", "no", *lib.text("rem_typed_none").lower().split()}


def _window(text: str) -> tuple[time, time] | None:
    for separator in ("-", "–", " to ", " "):
        if separator in text:
            left, _, right = text.partition(separator)
            start = timezones.parse_clock(left.strip())
            end = timezones.parse_clock(right.strip())
            if start is not None and end is not None and start != end:
                return start, end
    return None


async def on_nudge_button(update: Update, context: LumbarContext, data: NudgeAction) -> None:
    """Start the stretch, snooze an hour, or log a glass of water."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    if data.action == "stretch":
        await close_press(update, context)
        await start_session(context, user_id, "stretch", desk=True)  # the nudge's desk routine
        return
    if data.action == "snooze":
        async with context.services.transaction() as uow:
            refusal = await consent_refusal(uow, context, user_id)
            user = await uow.users.touch(user_id, now) if refusal is None else None
            if refusal is None:
                refusal = await refusal_for(uow, context, user_id, now)
            settings = await uow.nudges.get_settings(user_id)
            if refusal is not None or user is None:
                pass  # nothing is scheduled for someone who may not exercise now
            elif settings is not None and not (settings.enabled and settings.stretch_enabled):
                reply = lib.text("snooze_off")
            elif settings is not None and settings.paused_until and settings.paused_until > now:
                until = until_text(settings.paused_until, now, user.time_zone, lib)
                reply = lib.text("snooze_paused", until=until)
            else:
                await uow.nudges.schedule(user_id, "stretch", now + timedelta(hours=1))
                reply = lib.text("snoozed")
        if refusal is not None:
            checking = refusal.access is Access.CHECK_OPEN
            await close_press(update, context, lib.text("snooze_check_open") if checking else None)
            if checking:
                await say(context, user_id, lib.text("snooze_check_open"))
            await send_refusal(context, user_id, refusal)
            return
    else:
        async with context.services.transaction() as uow:
            refusal = await consent_refusal(uow, context, user_id)
            user = await uow.users.touch(user_id, now) if refusal is None else None
            if user is not None:
                today = now.astimezone(zone(user.time_zone)).date()
                query = update.callback_query
                message_id = query.message.message_id if query and query.message else None
                logged = await uow.water.log_glass(user_id, now, today, message_id)
                count = await uow.water.count_on(user_id, today)
                reply = lib.text("water_logged" if logged else "water_already", count=count)
        if user is None:
            assert refusal is not None  # consent needs the user row, read in the same transaction
            await close_press(update, context)
            await send_refusal(context, user_id, refusal)
            return
    await close_press(update, context, reply)
    await say(context, user_id, reply)
