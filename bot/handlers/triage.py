"""The first conversation: consent, safety screening, profile, time zone, reminders.

State lives in the database and is written on every answer, so a restart or a
kill in the middle loses nothing: the user's next answer simply continues. The
coach's state machine (`bot.coach.triage_flow`) decides what comes next and
which answers stop exercise; this module only asks, stores and renders.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.callbacks import Menu, TriageAnswer
from bot.coach import timezones
from bot.coach.nudges import default_prefs
from bot.coach.triage import Phase, choose_phase, exercise_blocked, red_flag_level
from bot.coach.triage_flow import (
    CLEARED,
    OK,
    InvalidAnswerError,
    TriageState,
    TriageStep,
    answers_from,
    current_contraindication,
    current_red_flag,
    next_step,
    record,
)
from bot.geo import zone_at
from bot.handlers.common import answer_query, close_press, first_name, remove_buttons, say, zone
from bot.keyboards import button, grid, rows
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Equipment, Library

EQUIPMENT = (Equipment.MAT, Equipment.WEIGHT, Equipment.BALL, Equipment.ROLLER)
STOPPED = (TriageStep.STOPPED_EMERGENCY, TriageStep.STOPPED_DOCTOR)
ZONE_ONLY = "zone_only"
# Navigation inside the time-zone question; everything else is an answer for the coach.
REGION, CITY, REGIONS = "r.", "c.", "rs"


# --- entry points


async def cmd_start(update: Update, context: LumbarContext) -> None:
    """Greet: a new user starts triage, a known user is welcomed back, a pending triage resumes."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        await uow.users.seen(user_id, update.effective_user.language_code, now)
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        if stored is not None and stored.step.startswith("await_"):
            await uow.triage.clear_state(user_id)
            stored = None
    if stored is not None:
        await resume_triage(context, user_id)
        return
    if profile is None:
        await _begin(context, user_id, first_name(update))
        return
    if profile.cleared_at is None and (profile.red_flag != "none" or profile.contraindication_ids):
        await say(
            context,
            user_id,
            lib.text("welcome_back_blocked", name=first_name(update)),
            rows([button(lib.text("btn_cleared"), Menu("clear", "ask"))]),
        )
        return
    await say(
        context,
        user_id,
        lib.text("welcome_back", name=first_name(update), minutes="10–20"),
        rows(
            [button(lib.text("btn_today"), Menu("go", "today"))],
            [button(lib.text("btn_stretch"), Menu("go", "stretch"))],
        ),
    )


async def cmd_triage(update: Update, context: LumbarContext) -> None:
    """Redo the check from the beginning; the old profile stays until the new one is complete."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        await uow.users.seen(user_id, update.effective_user.language_code, context.services.clock())
        await uow.triage.clear_state(user_id)
    await _begin(context, user_id, first_name(update))


async def _begin(context: LumbarContext, user_id: int, name: str) -> None:
    async with context.services.transaction() as uow:
        await _store(uow, context, user_id, TriageState(), extra={"name": name}, bump=True)
    await resume_triage(context, user_id)


async def resume_triage(context: LumbarContext, user_id: int) -> None:
    """Ask the current triage question again (after /start, /today or a restart)."""
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None or stored.step.startswith("await_"):
        return
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.answers, lib)
    if step in STOPPED:
        await _send_flag_advice(context, user_id, emergency=step == TriageStep.STOPPED_EMERGENCY)
        return
    text, markup = _question(lib, step, state, stored.nonce, stored.answers)
    message = await say(context, user_id, text, markup)
    if step == TriageStep.TIME_ZONE:
        await say(
            context,
            user_id,
            lib.text("tz_location_hint"),
            ReplyKeyboardMarkup(
                [[KeyboardButton(lib.text("btn_share_location"), request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )
    async with context.services.transaction() as uow:
        await uow.triage.save_state(
            user_id,
            stored.step,
            stored.answers,
            stored.nonce,
            message.message_id,
            context.services.clock(),
        )


async def start_zone_change(context: LumbarContext, user_id: int) -> None:
    """Ask only the time-zone question; reminders follow the new zone."""
    async with context.services.transaction() as uow:
        state = TriageState(consent=True)
        await _store(
            uow,
            context,
            user_id,
            state,
            extra={ZONE_ONLY: True},
            bump=True,
            step=TriageStep.TIME_ZONE,
        )
    await resume_triage(context, user_id)


# --- answers


async def on_triage_answer(update: Update, context: LumbarContext, data: TriageAnswer) -> None:
    """Store one button answer and ask the next question; stale buttons get the current one."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    message_id = query.message.message_id if query.message else None
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None or stored.step.startswith("await_") or data.nonce != stored.nonce:
        await answer_query(update, lib.text("question_passed" if stored else "stale_button"))
        await remove_buttons(context, user_id, message_id)
        if stored is not None and not stored.step.startswith("await_"):
            await resume_triage(context, user_id)
        return
    await answer_query(update)
    await _answer(context, user_id, data.value, message_id)


async def on_triage_text(update: Update, context: LumbarContext) -> bool:
    """Use typed text where the question accepts it (a city or the local time).

    Returns False when no triage is running, so the caller can answer otherwise.
    """
    assert update.effective_user is not None and update.message is not None
    user_id = update.effective_user.id
    text = (update.message.text or "").strip()
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None or stored.step.startswith("await_"):
        return False
    state = TriageState.from_json(stored.answers)
    if _current_step(state, stored.answers, lib) == TriageStep.TIME_ZONE:
        found = zone_from_text(lib, text, context.services.clock())
        if found is None:
            await say(context, user_id, lib.text("tz_not_found", text=html.escape(text[:60])))
            return True
        await _answer(context, user_id, found, stored.message_id)
        return True
    await say(context, user_id, lib.text("use_buttons"))
    await resume_triage(context, user_id)
    return True


async def on_location(update: Update, context: LumbarContext) -> None:
    """A shared location answers the time-zone question (looked up offline)."""
    assert update.effective_user is not None and update.message is not None
    location = update.message.location
    user_id = update.effective_user.id
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    asking_zone = stored is not None and stored.step == TriageStep.TIME_ZONE.value
    if location is None or stored is None or not asking_zone:
        await say(context, user_id, lib.text("free_text_idle"), ReplyKeyboardRemove())
        return
    found = zone_at(location.latitude, location.longitude)
    if found is None:
        await say(context, user_id, lib.text("tz_not_found", text="📍"))
        return
    await _answer(context, user_id, found, stored.message_id)


async def cancel_triage(context: LumbarContext, user_id: int) -> bool:
    """Stop a running triage or typed setting (triage answers stay, so /start resumes)."""
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        if stored is None:
            return False
        side_question = stored.step.startswith("await_") or bool(stored.answers.get(ZONE_ONLY))
        if side_question:
            await uow.triage.clear_state(user_id)
    await remove_buttons(context, user_id, stored.message_id)
    key = "cancelled_generic" if side_question else "cancelled_triage"
    await say(context, user_id, lib.text(key), ReplyKeyboardRemove())
    return True


@dataclass
class _Outcome:
    """What one answer led to, decided inside the transaction and shown after it."""

    kind: str  # edit | zone_only | invalid | next
    before: TriageStep
    state: TriageState | None = None
    after: TriageStep | None = None
    question: tuple[str, InlineKeyboardMarkup] | None = None
    zone_name: str | None = None


async def _answer(context: LumbarContext, user_id: int, value: str, message_id: int | None) -> None:
    """Apply one answer (or navigate inside a question) and show what comes next."""
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        if stored is None:
            return
        outcome = await _decide(
            uow, context, user_id, stored.answers, stored.nonce, value, message_id
        )
    await _show(context, user_id, outcome, message_id)


async def _decide(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    stored_answers: dict[str, Any],
    nonce: int,
    value: str,
    message_id: int | None,
) -> _Outcome:
    lib = context.services.library
    now = context.services.clock()
    extra = {k: v for k, v in stored_answers.items() if k in ("name", ZONE_ONLY, "region")}
    state = TriageState.from_json(stored_answers)
    step = _current_step(state, stored_answers, lib)
    if step == TriageStep.TIME_ZONE and value.startswith((REGION, CITY, REGIONS)):
        city_zone = _city_zone(lib, value.removeprefix(CITY)) if value.startswith(CITY) else None
        if city_zone is None:
            extra["region"] = value.removeprefix(REGION) if value.startswith(REGION) else None
            await uow.triage.save_state(
                user_id, step.value, {**state.to_json(), **extra}, nonce, message_id, now
            )
            return _Outcome("edit", step, question=_question(lib, step, state, nonce, extra))
        value = city_zone
    if step == TriageStep.TIME_ZONE and extra.get(ZONE_ONLY):
        if value not in available_timezones():
            return _Outcome("invalid", step)
        await _apply_zone_only(uow, context, user_id, value, now)
        return _Outcome("zone_only", step, zone_name=value)
    try:
        state = record(state, lib.rules, value)
    except InvalidAnswerError:
        return _Outcome("invalid", step)
    extra.pop("region", None)
    after = next_step(state, lib.rules)
    if after == TriageStep.SUMMARY:
        # The summary is shown with the profile already saved: nothing waits on one more tap.
        state = record(state, lib.rules, OK)
        after = next_step(state, lib.rules)
    toggled = step == after == TriageStep.EQUIPMENT
    await _after_answer(uow, context, user_id, state, after, extra, keep_nonce=toggled)
    if toggled:
        return _Outcome(
            "edit", step, state, after, question=_question(lib, step, state, nonce, extra)
        )
    return _Outcome("next", step, state, after)


async def _show(
    context: LumbarContext, user_id: int, outcome: _Outcome, message_id: int | None
) -> None:
    lib = context.services.library
    now = context.services.clock()
    if outcome.kind == "edit" and outcome.question is not None:
        await _edit(context, user_id, message_id, *outcome.question)
        return
    if outcome.kind == "zone_only" and outcome.zone_name:
        await remove_buttons(context, user_id, message_id)
        await _confirm_zone(context, user_id, outcome.zone_name, now)
        return
    if outcome.kind == "invalid" or outcome.state is None:
        await say(context, user_id, lib.text("use_buttons"))
        await resume_triage(context, user_id)
        return
    await remove_buttons(context, user_id, message_id)
    if outcome.before == TriageStep.TIME_ZONE and outcome.state.time_zone:
        await _confirm_zone(context, user_id, outcome.state.time_zone, now)
    match outcome.after:
        case TriageStep.DECLINED:
            await say(context, user_id, lib.text("consent_declined"))
        case TriageStep.STOPPED_EMERGENCY | TriageStep.STOPPED_DOCTOR:
            emergency = outcome.after == TriageStep.STOPPED_EMERGENCY
            await _send_flag_advice(context, user_id, emergency=emergency)
        case TriageStep.DONE:
            await _send_summary(context, user_id, outcome.state)
        case _:
            await resume_triage(context, user_id)


async def _confirm_zone(
    context: LumbarContext, user_id: int, zone_name: str, now: datetime
) -> None:
    local = now.astimezone(zone(zone_name)).strftime("%H:%M")
    text = context.services.library.text("tz_confirm", zone=zone_name, local_time=local)
    await say(context, user_id, text, ReplyKeyboardRemove())


async def _after_answer(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    step: TriageStep,
    extra: dict[str, object],
    *,
    keep_nonce: bool,
) -> None:
    """Persist the new state; at the end, profile and reminders go in the same transaction."""
    if step == TriageStep.DECLINED:
        await uow.triage.clear_state(user_id)
    elif step in STOPPED:
        # The stopped state is kept so a doctor's clearance resumes the same questions.
        await _save_profile(uow, context, user_id, state)
        await uow.nudges.unschedule_all(user_id)
        await _store(uow, context, user_id, state, extra=extra, bump=True, step=step)
    elif step == TriageStep.DONE:
        await _save_profile(uow, context, user_id, state)
        await _save_reminders(uow, context, user_id, state)
        await uow.triage.clear_state(user_id)
    else:
        await _store(uow, context, user_id, state, extra=extra, bump=not keep_nonce, step=step)
        if state.time_zone:
            # Stored at once, so "your time now" and everything after it use the new zone.
            await uow.users.set_time_zone(user_id, state.time_zone, context.services.clock())


async def _store(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    *,
    extra: dict[str, object],
    bump: bool,
    step: TriageStep | None = None,
) -> int:
    stored = await uow.triage.get_state(user_id)
    nonce = stored.nonce if stored is not None else 0
    if bump:
        nonce = (nonce + 1) % 1_000_000
    current = step or next_step(state, context.services.library.rules)
    message_id = stored.message_id if stored is not None and not bump else None
    await uow.triage.save_state(
        user_id,
        current.value,
        {**state.to_json(), **extra},
        nonce,
        message_id,
        context.services.clock(),
    )
    return nonce


async def _edit(
    context: LumbarContext,
    user_id: int,
    message_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup,
) -> None:
    if message_id is None:
        await say(context, user_id, text, markup)
        return
    from telegram.error import BadRequest

    try:
        await context.bot.edit_message_text(
            text, chat_id=user_id, message_id=message_id, parse_mode="HTML", reply_markup=markup
        )
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def _apply_zone_only(
    uow: UnitOfWork, context: LumbarContext, user_id: int, zone_name: str, now: datetime
) -> None:
    from bot.handlers.reminders import reschedule

    await uow.users.set_time_zone(user_id, zone_name, now)
    await reschedule(uow, user_id, now)
    await uow.triage.clear_state(user_id)


# --- rendering questions


def _question(
    lib: Library,
    step: TriageStep,
    state: TriageState,
    nonce: int,
    extra: dict[str, object],
) -> tuple[str, InlineKeyboardMarkup]:
    def b(text_key: str, value: str) -> InlineKeyboardButton:
        return button(lib.text(text_key), TriageAnswer(nonce, value))

    yes_no = rows([b("yes", "yes"), b("no", "no")])
    match step:
        case TriageStep.CONSENT:
            name = str(extra.get("name") or "there")
            return lib.text("welcome_new", name=name), rows(
                [b("consent_yes", "yes")], [b("consent_no", "no")]
            )
        case TriageStep.RED_FLAG:
            flag = current_red_flag(state, lib.rules)
            assert flag is not None
            index = len(state.red_flags)
            text = lib.text(
                "q_red_flag",
                index=index + 1,
                total=len(lib.rules.red_flags),
                question=html.escape(flag.question),
            )
            if index == 0:
                text = (
                    lib.text("red_flags_intro")
                    + "\n\n"
                    + text
                    + "\n\n"
                    + lib.text("flag_source", source=html.escape(lib.rules.red_flag_source))
                )
            return text, yes_no
        case TriageStep.CONTRAINDICATION:
            item = current_contraindication(state, lib.rules)
            assert item is not None
            return lib.text(
                "q_contra",
                index=len(state.contraindications) + 1,
                total=len(lib.rules.contraindications),
                question=html.escape(item.question),
            ), yes_no
        case TriageStep.PAIN_NOW:
            return lib.text("q_pain_now"), grid(
                (button(str(n), TriageAnswer(nonce, str(n))) for n in range(11)), 6
            )
        case TriageStep.PAIN_DURATION:
            return lib.text("q_pain_duration"), rows(
                [b("duration_days", "days")],
                [b("duration_weeks", "weeks")],
                [b("duration_months", "months")],
            )
        case TriageStep.EXPERIENCE:
            return lib.text("q_experience"), rows(
                [b("experience_new", "new")],
                [b("experience_some", "some")],
                [b("experience_regular", "regular")],
            )
        case TriageStep.EQUIPMENT:
            chosen = state.equipment_draft
            items = [
                button(
                    ("✅ " if item in chosen else "▫️ ") + lib.text(f"equipment_{item.value}"),
                    TriageAnswer(nonce, item.value),
                )
                for item in EQUIPMENT
            ]
            last = b("equipment_done", "done") if chosen else b("equipment_none", "none")
            return lib.text("q_equipment"), rows(items[:2], items[2:], [last])
        case TriageStep.TIME_ZONE:
            region = next((r for r in lib.regions if _slug(r.name) == extra.get("region")), None)
            if region is None:
                return lib.text("q_time_zone"), grid(
                    (
                        button(r.name, TriageAnswer(nonce, REGION + _slug(r.name)))
                        for r in lib.regions
                    ),
                    2,
                )
            cities = [
                button(c.name, TriageAnswer(nonce, CITY + _slug(c.name))) for c in region.cities
            ]
            back = button(lib.text("tz_back"), TriageAnswer(nonce, REGIONS))
            return lib.text("tz_pick_city", region=html.escape(region.name)), InlineKeyboardMarkup(
                [*grid(cities, 2).inline_keyboard, (back,)]
            )
        case TriageStep.REMINDERS:
            return lib.text("q_reminders"), rows(
                [b("reminders_yes", "yes")], [b("reminders_no", "no")]
            )
    raise ValueError(f"no question for step {step}")


def _current_step(state: TriageState, answers: dict[str, Any], lib: Library) -> TriageStep:
    """The question being asked: the time zone alone when only that is being changed."""
    if answers.get(ZONE_ONLY):
        return TriageStep.TIME_ZONE
    return next_step(state, lib.rules)


def _slug(name: str) -> str:
    # Callback data is ASCII: "São Paulo" becomes "SaoPaulo".
    plain = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())[:30]


def _city_zone(lib: Library, slug: str) -> str | None:
    for region in lib.regions:
        for city in region.cities:
            if _slug(city.name) == slug:
                return city.zone
    return None


def zone_from_text(lib: Library, text: str, now: datetime) -> str | None:
    """A typed city, an IANA zone name, or the user's current local time."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    cities = [city for region in lib.regions for city in region.cities]
    for city in cities:
        if city.name.lower() == wanted:
            return city.zone
    for city in cities:
        if len(wanted) >= 4 and city.name.lower().startswith(wanted):
            return city.zone
    by_lower = {name.lower(): name for name in available_timezones()}
    if wanted in by_lower:
        return by_lower[wanted]
    for name_lower, name in by_lower.items():
        if "/" in name_lower and name_lower.rsplit("/", 1)[1].replace("_", " ") == wanted:
            return name
    local = timezones.parse_local_time(text)
    if local is not None:
        candidates = timezones.zones_for_offset(timezones.offset_for_local_time(now, local), now)
        return candidates[0] if candidates else None
    return None


# --- endings


async def _save_profile(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
    lib = context.services.library
    now = context.services.clock()
    answers = answers_from(state)
    await uow.profiles.save(
        user_id,
        now=now,
        red_flag=red_flag_level(state.red_flag_ids, lib.rules).value,
        red_flag_ids=sorted(state.red_flag_ids),
        contraindication_ids=sorted(state.contraindication_ids),
        cleared_at=now if state.cleared else None,
        pain_now=answers.pain_now,
        pain_duration=answers.pain_duration.value,
        experience=answers.experience.value,
        equipment=sorted(e.value for e in answers.equipment),
        phase=choose_phase(answers).value,
    )
    await uow.users.set_consent(user_id, now)
    if state.time_zone:
        await uow.users.set_time_zone(user_id, state.time_zone, now)


async def _save_reminders(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
    from bot.handlers.reminders import reschedule

    now = context.services.clock()
    prefs = default_prefs()
    wanted = bool(state.reminders)
    await uow.nudges.save_settings(
        user_id,
        now=now,
        enabled=wanted,
        stretch_enabled=wanted,
        stretch_times=[t.strftime("%H:%M") for t in prefs.stretch_times],
        stretch_days=prefs.stretch_days,
        water_enabled=wanted,
        water_interval_minutes=prefs.water_interval_minutes,
        wake_start=prefs.wake_start,
        wake_end=prefs.wake_end,
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        paused_until=None,
    )
    await reschedule(uow, user_id, now)


async def _send_flag_advice(context: LumbarContext, user_id: int, *, emergency: bool) -> None:
    lib = context.services.library
    key, advice = (
        ("emergency", lib.rules.emergency_advice)
        if emergency
        else ("see_doctor", lib.rules.see_doctor_advice)
    )
    await say(context, user_id, lib.text(key, advice=html.escape(advice)), ReplyKeyboardRemove())
    await say(
        context,
        user_id,
        lib.text("cleared_later"),
        rows([button(lib.text("btn_cleared"), Menu("clear", "ask"))]),
    )


async def _send_summary(context: LumbarContext, user_id: int, state: TriageState) -> None:
    lib = context.services.library
    answers = answers_from(state)
    phase = choose_phase(answers)
    equipment = ", ".join(
        lib.text(f"equipment_{e.value}") for e in EQUIPMENT if e in answers.equipment
    ) or lib.text("equipment_nothing")
    text = lib.text(
        "summary",
        pain=answers.pain_now,
        duration=lib.text(f"duration_{answers.pain_duration.value}").lower(),
        experience=lib.text(f"experience_{answers.experience.value}"),
        equipment=html.escape(equipment),
        zone=html.escape(state.time_zone or "UTC"),
        reminders=lib.text("summary_reminders_on" if state.reminders else "summary_reminders_off"),
        phase=phase.value,
        phase_text=lib.text(f"phase_{phase.value}"),
    )
    if exercise_blocked(answers):
        names = [
            html.escape(c.question)
            for c in lib.rules.contraindications
            if c.id in state.contraindication_ids
        ]
        text += "\n" + lib.text("summary_doctor_first", conditions="; ".join(names))
        markup = rows([button(lib.text("btn_cleared"), Menu("clear", "ask"))])
    else:
        if phase == Phase.GENTLE:
            text += "\n\n" + lib.text("summary_go_slowly")
        markup = rows([button(lib.text("btn_first_session"), Menu("go", "today"))])
    await say(context, user_id, text, markup)


# --- doctor's clearance


async def on_clearance(update: Update, context: LumbarContext, arg: str) -> None:
    """Ask for, then record, a doctor's clearance; then continue on the gentlest plan."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    await close_press(update, context)
    if arg == "ask":
        await say(
            context,
            user_id,
            lib.text("cleared_confirm"),
            rows(
                [button(lib.text("btn_cleared_yes"), Menu("clear", "yes"))],
                [button(lib.text("btn_cleared_no"), Menu("clear", "no"))],
            ),
        )
        return
    if arg != "yes":
        await say(context, user_id, lib.text("cleared_not_yet"))
        return
    now = context.services.clock()
    resume = False
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        if stored is not None and stored.step in (s.value for s in STOPPED):
            state = record(TriageState.from_json(stored.answers), lib.rules, CLEARED)
            await _store(uow, context, user_id, state, extra={}, bump=True)
            resume = True
        elif profile is not None:
            await uow.profiles.mark_cleared(user_id, now)
            await uow.profiles.set_phase(user_id, Phase.GENTLE.value)
            from bot.handlers.reminders import reschedule

            await reschedule(uow, user_id, now)
    await say(context, user_id, lib.text("cleared_thanks"))
    if resume:
        await resume_triage(context, user_id)
    elif profile is not None:
        await say(
            context,
            user_id,
            lib.text("cleared_start_gently"),
            rows([button(lib.text("btn_first_session"), Menu("go", "today"))]),
        )
