"""`/reminders` and the buttons under nudges: see and change every reminder with buttons."""

from __future__ import annotations

import html
from datetime import time, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.callbacks import Menu, NudgeAction
from bot.coach import timezones
from bot.coach.triage import Access
from bot.handlers.common import answer_query, close_press, is_check_step, say, zone
from bot.handlers.gate import consent_refusal, refusal_for, send_refusal
from bot.handlers.session import start_session
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from db.models import NudgeSettings

INTERVALS = (60, 90, 120, 180)
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
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


async def cmd_reminders(update: Update, context: LumbarContext) -> None:
    """Show the reminder settings with buttons to change them."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        if refusal is None:
            settings = await _settings(uow, context, user_id)
            text, markup = _overview(context, settings, await _zone_name(uow, user_id))
    if refusal is not None:
        await send_refusal(context, user_id, refusal)
        return
    await say(context, user_id, text, markup)


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


def _overview(
    context: LumbarContext, s: NudgeSettings, zone_name: str
) -> tuple[str, InlineKeyboardMarkup]:
    lib = context.services.library
    now = context.services.clock()
    if not s.enabled:
        stretch = water = lib.text("reminders_off_all")
    else:
        days = (
            "every day"
            if s.stretch_days == EVERY_DAY
            else ("workdays" if s.stretch_days == WORKDAYS else "chosen days")
        )
        stretch = (
            f"{', '.join(s.stretch_times)} ({days})"
            if s.stretch_enabled and s.stretch_times
            else "off"
        )
        water = f"every {s.water_interval_minutes} min" if s.water_enabled else "off"
    quiet = (
        f"{s.quiet_start:%H:%M}–{s.quiet_end:%H:%M}"
        if s.quiet_start is not None and s.quiet_end is not None
        else "none"
    )
    paused = ""
    if s.paused_until is not None and s.paused_until > now:
        local = s.paused_until.astimezone(zone(zone_name))
        paused = lib.text("reminders_paused", until=f"{local:%a %d %b, %H:%M}")
    text = lib.text(
        "reminders_overview",
        stretch=html.escape(stretch),
        water=html.escape(water),
        wake=f"{s.wake_start:%H:%M}–{s.wake_end:%H:%M}",
        quiet=quiet,
        checkin=lib.text(
            "reminders_checkin", day=WEEKDAYS[s.checkin_weekday % 7], time=f"{s.checkin_time:%H:%M}"
        ),
        paused=paused,
    ).rstrip()
    text += f"\n<i>Times are local to {html.escape(zone_name)}.</i>"

    def b(key: str, arg: str) -> InlineKeyboardButton:
        return button(lib.text(key), Menu("rem", arg))

    pause_row = (
        [b("btn_rem_resume", "resume")]
        if s.paused_until is not None and s.paused_until > now
        else [b("btn_rem_pause_day", "pause1"), b("btn_rem_pause_week", "pause7")]
    )
    markup = rows(
        [b("btn_rem_stretch_toggle", "stretch"), b("btn_rem_stretch_times", "times")],
        [b("btn_rem_days", "days"), b("btn_rem_water_toggle", "water")],
        [b("btn_rem_interval", "interval"), b("btn_rem_wake", "wake")],
        [b("btn_rem_quiet", "quiet")],
        [b("btn_rem_checkin_day", "cday"), b("btn_rem_checkin_time", "ctime")],
        pause_row,
        [b("btn_rem_all_off", "off") if s.enabled else b("btn_rem_all_on", "on")],
    )
    return text, markup


async def on_reminders_button(update: Update, context: LumbarContext, arg: str) -> None:
    """Apply one change from the reminders screen and redraw it in place."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    if not isinstance(query.message, Message) or query.message.text is None:
        # The screen is a text message; this data on a card or a picture was never ours.
        await answer_query(update, lib.text("stale_button"))
        return
    async with context.services.transaction() as uow:
        # Before consent and the check nothing is stored, and nothing scheduled.
        refusal = await consent_refusal(uow, context, user_id)
        if refusal is None:
            text, markup, prompt = await _apply(uow, context, user_id, arg)
    if refusal is not None:
        await close_press(update, context)
        await send_refusal(context, user_id, refusal)
        return
    await answer_query(update)
    if prompt is not None:
        await say(context, user_id, prompt)
        return
    if query.message is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=user_id,
                message_id=query.message.message_id,
                parse_mode="HTML",
                reply_markup=markup,
            )
        except BadRequest as error:
            if "not modified" not in error.message:
                raise


async def _apply(
    uow: UnitOfWork, context: LumbarContext, user_id: int, arg: str
) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """Apply one button's change; the redrawn screen, and the prompt for a typed setting."""
    lib = context.services.library
    now = context.services.clock()
    prompt: str | None = None
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
            changes["paused_until"] = now + timedelta(days=1 if arg == "pause1" else 7)
        case "resume":
            changes["paused_until"] = None
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
        await _save(uow, context, user_id, s, changes)
    zone_name = await _zone_name(uow, user_id)
    settings = await uow.nudges.get_settings(user_id)
    assert settings is not None
    text, markup = _overview(context, settings, zone_name)
    return text, markup, prompt


async def _save(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    current: NudgeSettings,
    changes: dict[str, Any],
) -> None:
    now = context.services.clock()
    await uow.nudges.save_settings(user_id, now=now, **changes)
    await reschedule(uow, user_id, now)


async def on_reminders_text(update: Update, context: LumbarContext, step: str) -> None:
    """Typed times for a reminder setting the user asked to change."""
    assert update.effective_user is not None and update.message is not None
    user_id = update.effective_user.id
    lib = context.services.library
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
    elif step == "await_quiet" and text.lower() in ("none", "off", "no"):
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
            s = await _settings(uow, context, user_id)
            await _save(uow, context, user_id, s, changes)
            settings = await uow.nudges.get_settings(user_id)
            assert settings is not None
            overview, markup = _overview(context, settings, await _zone_name(uow, user_id))
    if refusal is not None:
        await send_refusal(context, user_id, refusal)
        return
    await say(context, user_id, lib.text("rem_saved") + "\n\n" + overview, markup)


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
    lib = context.services.library
    now = context.services.clock()
    if data.action == "stretch":
        await close_press(update, context)
        await start_session(context, user_id, "stretch")
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
                until = settings.paused_until.astimezone(zone(user.time_zone))
                reply = lib.text("snooze_paused", until=f"{until:%a %d %b, %H:%M}")
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
