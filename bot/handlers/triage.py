"""The safety check: consent, where, age, the screen, the profile, reminders.

State lives in the database and is written on every answer, so a restart or a
kill in the middle loses nothing. The coach's state machine
(``bot.coach.triage_flow``) decides what comes next and which answers stop
exercise; ``triage_screens`` draws the questions and ``safety`` the stop
messages. This module reads, stores and sends, in that order: one transaction
per answer, then the calls.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.callbacks import Menu, TriageAnswer
from bot.coach import timezones
from bot.coach.nudges import default_prefs
from bot.coach.triage import choose_phase, red_flag_level
from bot.coach.triage_flow import (
    FLAG,
    OK,
    AgeBand,
    InvalidAnswerError,
    Scope,
    TriageState,
    TriageStep,
    answers_from,
    next_step,
    recheck_state,
    record,
    report,
)
from bot.geo import Found, zone_at
from bot.handlers.checkin_screens import start_baseline
from bot.handlers.common import (
    answer_query,
    answers_from_profile,
    first_name,
    has_consented,
    is_check_step,
    remove_buttons,
    remove_card_buttons,
    say,
    start_pointer,
    zone,
)
from bot.handlers.safety import blocked_reply, clearance_button, may_clear, stop_text
from bot.handlers.summary import summary_message
from bot.handlers.triage_screens import CITY, REGION, REGIONS, city_zone, question
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import Profile

ZONE_ONLY = "zone_only"
# The nonce of a consent question that was sent without storing anything (see ask_consent).
UNSTORED = 0


# --- entry points


async def cmd_start(update: Update, context: LumbarContext) -> None:
    """Greet: a new user starts the check, a known user is welcomed back, a check resumes."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        # touch, not seen: someone new leaves no row until they agree to the check.
        user = await uow.users.touch(user_id, now)
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        if stored is not None and not is_check_step(stored.step):
            await uow.triage.clear_state(user_id)
            stored = None
        zone_name = user.time_zone if user is not None else None
    if stored is not None:
        await resume_triage(context, user_id)
        return
    if profile is None:
        await ask_consent(context, user_id, first_name(update))
        return
    answers = answers_from_profile(profile)
    if answers.open_flags:
        text, markup = blocked_reply(
            lib, answers, zone_name, flagged_at=profile.flagged_at, now=now
        )
        await say(context, user_id, text, markup)
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
    """Redo the check; the old profile stays (and keeps blocking) until the new one is done."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        user = await uow.users.touch(user_id, context.services.clock())
        profile = await uow.profiles.get(user_id)
        if profile is not None:
            await uow.triage.clear_state(user_id)
    if profile is None or user is None:
        await ask_consent(context, user_id, first_name(update))
        return
    await _begin(context, user_id, first_name(update), redo_state(profile, user.time_zone))


async def ask_consent(context: LumbarContext, user_id: int, name: str) -> None:
    """Ask a newcomer to agree to the check, storing nothing until they do.

    A check already under way is asked again instead. The question carries the
    nonce ``UNSTORED``, which no stored question has (they start at 1): its Yes
    creates the user and the check (``_consented``), its No leaves nothing behind.
    """
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is not None and is_check_step(stored.step):
        await resume_triage(context, user_id)
        return
    lib = context.services.library
    text, markup = question(lib, TriageStep.CONSENT, TriageState(), UNSTORED, {"name": name})
    await say(context, user_id, text, markup)


async def _consented(update: Update, context: LumbarContext, value: str) -> None:
    """The answer to a consent question that was never stored: Yes begins, No keeps nothing."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    query = update.callback_query
    message_id = query.message.message_id if query is not None and query.message else None
    await answer_query(update)
    await remove_buttons(context, user_id, message_id)
    if value != "yes":
        await say(context, user_id, lib.text("consent_declined"))
        return
    now = context.services.clock()
    async with context.services.transaction() as uow:
        await uow.users.seen(user_id, update.effective_user.language_code, now)
        await _store(
            uow, context, user_id, TriageState(), extra={"name": first_name(update)}, bump=True
        )
    await _answer(context, user_id, value, None)


def redo_state(profile: Profile, zone_name: str) -> TriageState:
    """A redo starts where the old check left what still matters.

    Someone who consented before is not asked again and keeps their zone. Flags still
    open are carried over as reported: a redo is no way around a doctor's clearance,
    so a red flag still open stops the redo at once, with its advice.
    """
    open_ids = answers_from_profile(profile).open_flags
    stamp = (profile.flagged_at or profile.completed_at).isoformat()
    return TriageState(
        consent=True,
        time_zone=zone_name,
        flags=tuple((flag_id, True) for flag_id in sorted(open_ids)),
        reported=tuple((flag_id, stamp) for flag_id in sorted(open_ids)),
    )


async def start_recheck(context: LumbarContext, user_id: int) -> None:
    """Ask the emergency questions again (the safety net after a bad spell)."""
    async with context.services.transaction() as uow:
        user = await uow.users.get(user_id)
        profile = await uow.profiles.get(user_id)
        if user is None or profile is None:
            return
        band = AgeBand(profile.age_band) if profile.age_band else None
        state = recheck_state(user.time_zone, band)
        await _store(uow, context, user_id, state, extra={}, bump=True)
    await say(context, user_id, context.services.library.text("recheck_intro"))
    await resume_triage(context, user_id)


async def _begin(context: LumbarContext, user_id: int, name: str, state: TriageState) -> None:
    async with context.services.transaction() as uow:
        await _store(uow, context, user_id, state, extra={"name": name}, bump=True)
    await resume_triage(context, user_id)


async def resume_triage(context: LumbarContext, user_id: int) -> None:
    """Ask the current question again (after /start, /today, an old button or a restart)."""
    lib = context.services.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
    if stored is None or not (is_check_step(stored.step) or stored.step == ZONE_ONLY):
        return
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    if step is TriageStep.STOPPED:
        await _send_stop(context, user_id, state, profile, user.time_zone if user else None, now)
        return
    text, markup = question(lib, step, state, stored.nonce, stored.answers)
    message = await say(context, user_id, text, markup)
    if step is TriageStep.TIME_ZONE:
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
            user_id, stored.step, stored.answers, stored.nonce, message.message_id, now
        )


async def start_zone_change(context: LumbarContext, user_id: int) -> None:
    """Ask only the time-zone question; reminders follow the new zone."""
    async with context.services.transaction() as uow:
        await uow.triage.save_state(
            user_id, ZONE_ONLY, {}, await _next_nonce(uow, user_id), None, context.services.clock()
        )
    await resume_triage(context, user_id)


# --- answers


async def on_triage_answer(update: Update, context: LumbarContext, data: TriageAnswer) -> None:
    """Store one button answer and ask the next question; stale buttons get the current one.

    A Yes to a red flag counts even from an old copy of its question: safety first.
    """
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    message_id = query.message.message_id if query.message else None
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if data.nonce == UNSTORED and (stored is None or not is_check_step(stored.step)):
        await _consented(update, context, data.value)
        return
    live = stored is not None and data.nonce == stored.nonce and is_check_or_zone(stored.step)
    if not live:
        if data.value.startswith(FLAG) and await _late_report(
            context, user_id, data.value.removeprefix(FLAG)
        ):
            await answer_query(update)
            await remove_buttons(context, user_id, message_id)
            return
        await answer_query(update, lib.text("question_passed" if stored else "stale_button"))
        await remove_buttons(context, user_id, message_id)
        if stored is not None and is_check_or_zone(stored.step):
            await resume_triage(context, user_id)
        return
    await answer_query(update)
    await _answer(context, user_id, data.value, message_id)


def is_check_or_zone(step: str) -> bool:
    """A stored step that a triage button can answer: the check, or the zone alone."""
    return is_check_step(step) or step == ZONE_ONLY


async def on_triage_text(update: Update, context: LumbarContext) -> bool:
    """Use typed text where the question accepts it (a city or the local time).

    Returns False when no check is running, so the caller can answer otherwise.
    """
    assert update.effective_user is not None and update.message is not None
    user_id = update.effective_user.id
    text = (update.message.text or "").strip()
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None or not is_check_or_zone(stored.step):
        return False
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    if step is TriageStep.TIME_ZONE:
        found = await zone_from_text(context, text)
        if found.zone is None or not timezones.is_canonical_zone(found.zone):
            await say(context, user_id, lib.text("tz_not_found", text=html.escape(text[:60])))
            return True
        if found.town is not None:
            await say(context, user_id, lib.text("tz_close_match", town=html.escape(found.town)))
        await _answer(context, user_id, found.zone, stored.message_id)
        return True
    # A safety question gets why its answer matters; anything else, the buttons again.
    key = "use_buttons_safety" if step in (TriageStep.GROUP, TriageStep.AGE) else "use_buttons"
    await remove_buttons(context, user_id, stored.message_id)
    await say(context, user_id, lib.text(key))
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
        known = await has_consented(uow, user_id)
    asking_zone = stored is not None and (
        stored.step == ZONE_ONLY or stored.step == TriageStep.TIME_ZONE.value
    )
    if location is None or stored is None or not asking_zone:
        if stored is None and not known:  # nothing kept about them yet: where to begin
            await say(context, user_id, *start_pointer(lib))
            return
        await say(context, user_id, lib.text("free_text_idle"), ReplyKeyboardRemove())
        return
    found = zone_at(location.latitude, location.longitude)
    if found is None or not timezones.is_canonical_zone(found):
        await say(context, user_id, lib.text("tz_not_found", text="📍"))
        return
    await _answer(context, user_id, found, stored.message_id)


async def cancel_triage(context: LumbarContext, user_id: int) -> bool:
    """Stop a running check or typed setting (answers stay, so /start resumes the check)."""
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        if stored is None:
            return False
        side_question = not is_check_step(stored.step)
        if side_question:
            await uow.triage.clear_state(user_id)
    await remove_buttons(context, user_id, stored.message_id)
    key = "cancelled_generic" if side_question else "cancelled_triage"
    await say(context, user_id, lib.text(key), ReplyKeyboardRemove())
    return True


@dataclass(frozen=True, slots=True)
class _Answered:
    """What one answer led to, decided inside the transaction and shown after it."""

    kind: str  # edit | zone_only | invalid | next
    before: TriageStep
    state: TriageState | None = None
    after: TriageStep | None = None
    zone_name: str | None = None
    closed_cards: tuple[int, ...] = ()
    profile: Profile | None = None


async def _answer(context: LumbarContext, user_id: int, value: str, message_id: int | None) -> None:
    """Apply one answer (or navigate inside a question) and show what comes next."""
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        if stored is None:
            return
        outcome = await _decide(uow, context, user_id, stored.step, stored.answers, value)
    await _show(context, user_id, outcome, message_id)


async def _decide(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    stored_step: str,
    stored_answers: dict[str, Any],
    value: str,
) -> _Answered:
    lib = context.services.library
    now = context.services.clock()
    extra = {k: v for k, v in stored_answers.items() if k in ("name", "region")}
    state = TriageState.from_json(stored_answers)
    step = _current_step(state, stored_step, lib)
    if step is TriageStep.TIME_ZONE and value.startswith((REGION, CITY, REGIONS)):
        found = city_zone(lib, value.removeprefix(CITY)) if value.startswith(CITY) else None
        if found is None:
            extra["region"] = value.removeprefix(REGION) if value.startswith(REGION) else None
            await _store(uow, context, user_id, state, extra=extra, bump=False, step=stored_step)
            return _Answered("edit", step, state, step)
        value = found
    if stored_step == ZONE_ONLY:
        if not timezones.is_canonical_zone(value):
            return _Answered("invalid", step)
        await uow.users.set_time_zone(user_id, value, now)
        await uow.triage.clear_state(user_id)
        await reschedule(uow, user_id, now)
        return _Answered("zone_only", step, zone_name=value)
    try:
        new = record(state, lib.rules, value, now)
    except InvalidAnswerError:
        flag = lib.rules.flag(value.removeprefix(FLAG)) if value.startswith(FLAG) else None
        if flag is None or not flag.tier.stops:
            return _Answered("invalid", step)
        # A red-flag Yes that does not fit the question on screen still counts.
        new = report(state, lib.rules, flag.id, now)
    extra.pop("region", None)
    after = next_step(new, lib.rules)
    if after is TriageStep.SUMMARY:
        # The summary is shown with the profile already saved: nothing waits on one more tap.
        new = record(new, lib.rules, OK, now)
        after = next_step(new, lib.rules)
    # A tick in a multi-select redraws the same question; anything else asks a new one.
    toggled = (
        step == after
        and step in (TriageStep.EQUIPMENT, TriageStep.GROUP)
        and (new.flags == state.flags)
    )
    closed = await _persist(uow, context, user_id, state, new, after, extra, toggled=toggled)
    profile = await uow.profiles.get(user_id)
    return _Answered("edit" if toggled else "next", step, new, after, None, closed, profile)


async def _persist(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    before: TriageState,
    state: TriageState,
    after: TriageStep,
    extra: dict[str, object],
    *,
    toggled: bool,
) -> tuple[int, ...]:
    """Store the new state; a new flag blocks at once, in the same transaction.

    Returns the message ids of exercise cards closed by a new block.
    """
    lib = context.services.library
    now = context.services.clock()
    if state.time_zone and state.time_zone != before.time_zone:
        # Stored at once, so "your time now" and everything after it use the new zone.
        await uow.users.set_time_zone(user_id, state.time_zone, now)
    newly_open = state.open_ids(lib.rules) - before.open_ids(lib.rules)
    closed: tuple[int, ...] = ()
    if newly_open:
        closed = await _block(uow, context, user_id, state)
    finished_recheck = after is TriageStep.DONE and state.scope is Scope.URGENT
    if after in (TriageStep.DECLINED, TriageStep.NOT_FOR_YOU) or finished_recheck:
        await uow.triage.clear_state(user_id)
    elif after is TriageStep.DONE:
        await uow.triage.clear_state(user_id)
        await _save_profile(uow, context, user_id, state)
        await _save_reminders(uow, context, user_id, state)
    else:
        await _store(uow, context, user_id, state, extra=extra, bump=not toggled)
    return closed


async def _block(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> tuple[int, ...]:
    """A flag was reported: the profile blocks now, open sessions close, stretch nudges stop."""
    lib = context.services.library
    now = context.services.clock()
    profile = await uow.profiles.get(user_id)
    if profile is None:
        await _save_profile(uow, context, user_id, state)
    else:
        answers = answers_from(state, lib.rules)
        old = answers_from_profile(profile)
        # What this check reports and no clearance in it covers is open, whatever came before.
        fresh = state.open_ids(lib.rules)
        red = old.red_flags | answers.red_flags
        cleared = (old.cleared | answers.cleared) - fresh
        await uow.profiles.set_flags(
            user_id,
            red_flag=red_flag_level(red - cleared, lib.rules).value,
            red_flag_ids=sorted(red),
            contraindication_ids=sorted(old.contraindications | answers.contraindications),
            cleared_ids=sorted(cleared),
            flagged_at=now,
            cleared_at=profile.cleared_at,
        )
    await uow.users.set_consent(user_id, now, given_at=state.consented_at)
    closed = await uow.workouts.close_open(user_id, now)
    await reschedule(uow, user_id, now)
    return tuple(closed)


async def _late_report(context: LumbarContext, user_id: int, flag_id: str) -> bool:
    """A Yes to a red flag from an old message: store it as a new report and stop.

    Returns False when it is not a red-flag Yes (then the press is simply stale).
    """
    lib = context.services.library
    flag = lib.rules.flag(flag_id)
    if flag is None or not flag.tier.stops:
        return False
    now = context.services.clock()
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        if stored is not None and is_check_step(stored.step):
            state = TriageState.from_json(stored.answers)
        elif profile is not None:
            state = TriageState(consent=True)
        else:
            return False
        new = report(state, lib.rules, flag_id, now)
        closed = await _block(uow, context, user_id, new)
        if stored is not None and is_check_step(stored.step):
            extra = {k: v for k, v in stored.answers.items() if k == "name"}
            await _store(uow, context, user_id, new, extra=extra, bump=True)
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
    await remove_card_buttons(context, user_id, closed)
    await _send_stop(context, user_id, new, profile, user.time_zone if user else None, now)
    return True


async def _show(
    context: LumbarContext, user_id: int, outcome: _Answered, message_id: int | None
) -> None:
    lib = context.services.library
    now = context.services.clock()
    if outcome.kind == "edit" and outcome.state is not None:
        await _redraw(context, user_id, message_id)
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
    await remove_card_buttons(context, user_id, outcome.closed_cards)
    state = outcome.state
    if outcome.before is TriageStep.TIME_ZONE and state.time_zone:
        await _confirm_zone(context, user_id, state.time_zone, now)
    match outcome.after:
        case TriageStep.DECLINED:
            await say(context, user_id, lib.text("consent_declined"))
        case TriageStep.NOT_FOR_YOU:
            await say(context, user_id, html.escape(lib.rules.under_16))
        case TriageStep.STOPPED:
            await _send_stop(context, user_id, state, outcome.profile, state.time_zone, now)
        case TriageStep.DONE if state.scope is Scope.URGENT:
            await say(context, user_id, lib.text("recheck_clear"))
        case TriageStep.DONE:
            await _send_summary(context, user_id, state)
        case _:
            await resume_triage(context, user_id)


async def _redraw(context: LumbarContext, user_id: int, message_id: int | None) -> None:
    """Redraw the current question in place (a toggle, or a region picked)."""
    lib = context.services.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None:
        return
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    text, markup = question(lib, step, state, stored.nonce, stored.answers)
    if message_id is None:
        await say(context, user_id, text, markup)
        return
    try:
        await context.bot.edit_message_text(
            text, chat_id=user_id, message_id=message_id, parse_mode="HTML", reply_markup=markup
        )
    except BadRequest as error:
        if "no text" in error.message.lower():  # the press was on a picture: ask anew
            await say(context, user_id, text, markup)
        elif "not modified" not in error.message:
            raise


async def _confirm_zone(
    context: LumbarContext, user_id: int, zone_name: str, now: datetime
) -> None:
    local = now.astimezone(zone(zone_name)).strftime("%H:%M")
    text = context.services.library.text("tz_confirm", zone=zone_name, local_time=local)
    await say(context, user_id, text, ReplyKeyboardRemove())


async def _next_nonce(uow: UnitOfWork, user_id: int) -> int:
    """The next question's number; a new check starts at a random one.

    Buttons of an earlier check (or of one before ``/triage``) must never match a
    question of this one, or an old tap would answer the wrong question.
    """
    stored = await uow.triage.get_state(user_id)
    if stored is None or stored.nonce == 0:
        return 1 + secrets.randbelow(999_998)
    return stored.nonce % 999_999 + 1


async def _store(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    *,
    extra: dict[str, object],
    bump: bool,
    step: str | None = None,
) -> int:
    stored = await uow.triage.get_state(user_id)
    nonce = await _next_nonce(uow, user_id) if bump else (stored.nonce if stored else 0)
    current = step or next_step(state, context.services.library.rules).value
    message_id = stored.message_id if stored is not None and not bump else None
    await uow.triage.save_state(
        user_id,
        current,
        {**state.to_json(), **extra},
        nonce,
        message_id,
        context.services.clock(),
    )
    return nonce


def _current_step(state: TriageState, stored_step: str, lib: Library) -> TriageStep:
    """The question being asked: the time zone alone when only that is being changed."""
    if stored_step == ZONE_ONLY:
        return TriageStep.TIME_ZONE
    return next_step(state, lib.rules)


async def zone_from_text(context: LumbarContext, text: str) -> Found:
    """A typed city, an IANA zone name, or the user's current local time.

    In this order: a city of the picker, a zone's name, a clock time, a town of
    15,000 people or more (``bot.geo``: the most populous of that name), the start
    of a picker city's name, and last a town whose name is a slip or two away (then
    ``Found.town`` names it, so the user can see what was understood).
    """
    lib = context.services.library
    now = context.services.clock()
    wanted = text.strip().lower()
    if not wanted:
        return Found()
    cities = [city for region in lib.regions for city in region.cities]
    for city in cities:
        if city.name.lower() == wanted:
            return Found(city.zone)
    by_lower = {name.lower(): name for name in timezones.canonical_zones()}
    if wanted in by_lower:
        return Found(by_lower[wanted])
    for name_lower, name in by_lower.items():
        if "/" in name_lower and name_lower.rsplit("/", 1)[1].replace("_", " ") == wanted:
            return Found(name)
    local = timezones.parse_local_time(text)
    if local is not None:
        candidates = timezones.zones_for_offset(timezones.offset_for_local_time(now, local), now)
        return Found(candidates[0] if candidates else None)
    found = await context.services.places.find(text)
    if found.zone is not None and found.town is None:
        return found
    for city in cities:
        if len(wanted) >= 4 and city.name.lower().startswith(wanted):
            return Found(city.zone)
    return found


# --- endings


async def _save_profile(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
    """Store the check as the profile: this check's reports and clearances replace the old.

    A clearance given during the check was recorded when it was given (``cleared_at``):
    that moment is kept, not the moment the check ended.
    """
    lib = context.services.library
    now = context.services.clock()
    answers = answers_from(state, lib.rules)
    reported = [state.reported_at(i) for i in state.yes_ids]
    stamps = [at for at in reported if at is not None]
    before = await uow.profiles.get(user_id)
    cleared_at = (before.cleared_at if before else None) or now
    await uow.profiles.save(
        user_id,
        now=now,
        red_flag=red_flag_level(answers.red_flags - answers.cleared, lib.rules).value,
        red_flag_ids=sorted(answers.red_flags),
        contraindication_ids=sorted(answers.contraindications),
        cleared_at=cleared_at if answers.cleared else None,
        cleared_ids=sorted(answers.cleared),
        flagged_at=max(stamps, default=None),
        age_band=state.age_band.value if state.age_band else None,
        pregnant=answers.pregnant,
        note_ids=sorted(answers.notes),
        pain_now=answers.pain_now,
        pain_duration=answers.pain_duration.value,
        experience=answers.experience.value,
        equipment=sorted(e.value for e in answers.equipment),
        phase=choose_phase(answers).value,
    )
    await uow.users.set_consent(user_id, now, given_at=state.consented_at)
    if state.time_zone:
        await uow.users.set_time_zone(user_id, state.time_zone, now)


async def _save_reminders(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
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


async def _send_stop(
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    profile: Profile | None,
    zone_name: str | None,
    now: datetime,
) -> None:
    """The stop message for the open flags; the clearance button only where it is allowed."""
    lib = context.services.library
    open_ids = state.stopped_by(lib.rules)
    flagged_at = None
    if profile is not None:
        open_ids = answers_from_profile(profile).open_flags | open_ids
        flagged_at = profile.flagged_at
    await say(context, user_id, stop_text(lib, open_ids, zone_name), ReplyKeyboardRemove())
    if may_clear(lib, open_ids, flagged_at, now):
        # The clearance offer is its own message, so the advice above stays readable.
        await say(context, user_id, lib.text("cleared_later"), clearance_button(lib))


async def _send_summary(context: LumbarContext, user_id: int, state: TriageState) -> None:
    lib = context.services.library
    text, markup = summary_message(lib, state)
    await say(context, user_id, text, markup)
    await start_baseline(context, user_id)  # not after a "Doctor first" summary: it checks
