"""The safety check: consent and age, where, the screen, pain, and the plan.

State lives in the database and is written on every answer, so a restart or a
kill in the middle loses nothing. The coach's state machine
(``bot.coach.triage_flow``) decides what comes next, which answers stop exercise
and how an answer is shown; ``triage_screens`` draws the questions, ``safety``
the stop messages, and ``triage_store`` writes. This module reads, stores and
sends, in that order: one transaction per answer, then the calls. One question is
live at a time: an answered question shows its answer and loses its buttons, and a
question asked again takes the buttons off its earlier copy.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.callbacks import TriageAnswer
from bot.coach import timezones
from bot.coach.triage_flow import (
    FLAG,
    AgeBand,
    Ending,
    InvalidAnswerError,
    Move,
    TriageState,
    TriageStep,
    move,
    next_step,
    recheck_state,
    report,
    typed_answer,
    why_flags,
)
from bot.geo import zone_at
from bot.handlers import triage_store
from bot.handlers.common import (
    answer_query,
    answered,
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
from bot.handlers.town import zone_from_text
from bot.handlers.triage_screens import (
    CITY,
    MISSED,
    REGION,
    REGIONS,
    SHOWN_REGION,
    answer_label,
    city_name,
    city_zone,
    question,
    why_text,
)
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import Profile
from db.models import TriageState as TriageStateRow

ZONE_ONLY = "zone_only"
# The nonce of a consent question that was sent without storing anything (see ask_consent).
UNSTORED = 0


# --- entry points


async def cmd_start(update: Update, context: LumbarContext) -> bool:
    """Greet: a new user starts the check, a check resumes, a stop repeats its advice.

    Returns True for a known user who may exercise: the caller welcomes them back
    (``router.cmd_start``, with today's session as it stands).
    """
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
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
        return False
    if profile is None:
        await ask_consent(context, user_id, first_name(update, context.library))
        return False
    answers = answers_from_profile(profile)
    if not answers.open_flags:
        return True
    text, markup = blocked_reply(lib, answers, zone_name, flagged_at=profile.flagged_at, now=now)
    await say(context, user_id, text, markup)
    return False


async def cmd_triage(update: Update, context: LumbarContext) -> None:
    """Redo the check; the old profile stays (and keeps blocking) until the new one is done."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        user = await uow.users.touch(user_id, context.services.clock())
        profile = await uow.profiles.get(user_id)
        old = await triage_store.on_screen(uow, user_id)
        if profile is not None:
            await uow.triage.clear_state(user_id)
    if profile is None or user is None:
        await ask_consent(context, user_id, first_name(update, context.library))
        return
    await remove_buttons(context, user_id, old)  # the question of the check it replaces
    name = first_name(update, context.library)
    await _begin(context, user_id, name, triage_store.redo_state(profile, user.time_zone))


async def ask_consent(context: LumbarContext, user_id: int, name: str) -> None:
    """Ask a newcomer to agree to the check (and their age), storing nothing until they do.

    A check already under way is asked again instead. The question carries the
    nonce ``UNSTORED``, which no stored question has (they start at 1): an adult's
    age creates the user and the check (``_consented``); "Not now" and "under 16"
    leave nothing behind.
    """
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is not None and is_check_step(stored.step):
        await resume_triage(context, user_id)
        return
    lib = context.library
    text, markup = question(lib, TriageStep.CONSENT, TriageState(), UNSTORED, {"name": name})
    await say(context, user_id, text, markup)


async def _consented(update: Update, context: LumbarContext, value: str) -> None:
    """The answer to a consent question that was never stored: an adult's age begins."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    query = update.callback_query
    message_id = query.message.message_id if query is not None and query.message else None
    await answer_query(update)
    extra: dict[str, object] = {"name": first_name(update, context.library)}
    now = context.services.clock()
    try:
        first = move(TriageState(), lib.rules, value, now)
    except InvalidAnswerError:
        await remove_buttons(context, user_id, message_id)
        return
    asked, _ = question(lib, TriageStep.CONSENT, TriageState(), UNSTORED, extra)
    label = answer_label(lib, TriageStep.CONSENT, TriageState(), value)
    await _close_question(context, user_id, message_id, asked, label)
    if first.after is TriageStep.DECLINED:
        await say(context, user_id, lib.text("consent_declined"))
        return
    if first.after is TriageStep.NOT_FOR_YOU:
        await say(context, user_id, html.escape(lib.rules.under_16))
        return
    async with context.services.transaction() as uow:
        # The first contact stores the language chosen for them (Telegram's, if there is
        # a catalog for it); /settings changes it, and a later /start never does.
        await uow.users.seen(user_id, context.library.language, now)
        await triage_store.store(uow, context, user_id, first.state, extra=extra, bump=True)
    await resume_triage(context, user_id)


async def start_recheck(context: LumbarContext, user_id: int) -> None:
    """Ask the emergency questions again (the safety net after a bad spell)."""
    async with context.services.transaction() as uow:
        user = await uow.users.get(user_id)
        profile = await uow.profiles.get(user_id)
        if user is None or profile is None:
            return
        band = AgeBand(profile.age_band) if profile.age_band else None
        state = recheck_state(user.time_zone, band)
        old = await triage_store.on_screen(uow, user_id)
        await triage_store.store(uow, context, user_id, state, extra={}, bump=True)
    await remove_buttons(context, user_id, old)
    await say(context, user_id, context.library.text("recheck_intro"))
    await resume_triage(context, user_id)


async def _begin(context: LumbarContext, user_id: int, name: str, state: TriageState) -> None:
    async with context.services.transaction() as uow:
        await triage_store.store(uow, context, user_id, state, extra={"name": name}, bump=True)
    await resume_triage(context, user_id)


async def resume_triage(context: LumbarContext, user_id: int) -> None:
    """Ask the current question again (after /start, /today, an old button or a restart).

    The copy asked before loses its buttons, so only the one sent now is live.
    """
    lib = context.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
    if stored is None or not is_check_or_zone(stored.step):
        return
    await remove_buttons(context, user_id, stored.message_id)
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    if step is TriageStep.STOPPED:
        await _send_stop(context, user_id, state, profile, user.time_zone if user else None, now)
        return
    text, markup = question(lib, step, state, stored.nonce, stored.answers)
    message = await say(context, user_id, text, markup)
    if step is TriageStep.TIME_ZONE and MISSED not in stored.answers:
        location = KeyboardButton(lib.text("btn_share_location"), request_location=True)
        keyboard = ReplyKeyboardMarkup([[location]], resize_keyboard=True, one_time_keyboard=True)
        await say(context, user_id, lib.text("tz_location_hint"), keyboard)
    async with context.services.transaction() as uow:
        await uow.triage.save_state(
            user_id, stored.step, stored.answers, stored.nonce, message.message_id, now
        )


async def start_zone_change(context: LumbarContext, user_id: int) -> None:
    """Ask only the time-zone question; reminders follow the new zone."""
    async with context.services.transaction() as uow:
        old = await triage_store.on_screen(uow, user_id)
        await uow.triage.save_state(
            user_id,
            ZONE_ONLY,
            {},
            await triage_store.next_nonce(uow, user_id),
            None,
            context.services.clock(),
        )
    await remove_buttons(context, user_id, old)  # whatever was asked before is replaced
    await resume_triage(context, user_id)


# --- answers


async def on_triage_answer(update: Update, context: LumbarContext, data: TriageAnswer) -> bool:
    """Store one button answer and ask the next question; stale buttons get the current one.

    A Yes to a red flag counts even from an old copy of its question: safety first.
    Returns True when the plan was confirmed, so the caller starts the first session.
    """
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    message_id = query.message.message_id if query.message else None
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if data.nonce == UNSTORED and (stored is None or not is_check_step(stored.step)):
        await _consented(update, context, data.value)
        return False
    live = stored is not None and data.nonce == stored.nonce and is_check_or_zone(stored.step)
    if not live:
        if data.value.startswith(FLAG) and await _late_report(
            context, user_id, data.value.removeprefix(FLAG)
        ):
            await answer_query(update)
            await remove_buttons(context, user_id, message_id)
            return False
        await answer_query(update, lib.text("question_passed" if stored else "stale_button"))
        await remove_buttons(context, user_id, message_id)
        if stored is not None and is_check_or_zone(stored.step):
            await resume_triage(context, user_id)
        return False
    await answer_query(update)
    return await _answer(context, user_id, data.value, message_id)


def is_check_or_zone(step: str) -> bool:
    """A stored step that a triage button can answer: the check, or the zone alone."""
    return is_check_step(step) or step == ZONE_ONLY


async def on_triage_text(update: Update, context: LumbarContext) -> bool:
    """Use typed text where the question takes it (a town, a local time, a pain score).

    Anything else typed at a safety question gets why its items matter, and the
    question again. Returns False when no check is running, so the caller can answer
    otherwise.
    """
    assert update.effective_user is not None and update.message is not None
    user_id = update.effective_user.id
    text = (update.message.text or "").strip()
    lib = context.library
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
    if stored is None or not is_check_or_zone(stored.step):
        return False
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    if step is TriageStep.TIME_ZONE:
        found = await zone_from_text(context, text)
        if found.zone is None or not timezones.is_canonical_zone(found.zone):
            await _ask_zone_again(context, user_id, stored, text)
            return True
        if found.town is not None:
            await say(context, user_id, lib.text("tz_close_match", town=html.escape(found.town)))
        label = html.escape(found.town or text[:60])
        await _answer(context, user_id, found.zone, stored.message_id, label=label)
        return True
    typed = typed_answer(step, text)
    if typed is not None:
        await _answer(context, user_id, typed, stored.message_id)
        return True
    flags = why_flags(state, lib.rules) if stored.step != ZONE_ONLY else ()
    await say(context, user_id, why_text(lib, flags) if flags else lib.text("use_buttons"))
    await resume_triage(context, user_id)
    return True


async def _ask_zone_again(
    context: LumbarContext, user_id: int, stored: TriageStateRow, typed: str
) -> None:
    """A town not found: say so, with the list of regions as the way on."""
    async with context.services.transaction() as uow:
        answers = {k: v for k, v in stored.answers.items() if k != SHOWN_REGION}
        await uow.triage.save_state(
            user_id,
            stored.step,
            {**answers, MISSED: typed[:60]},
            await triage_store.next_nonce(uow, user_id),
            stored.message_id,
            context.services.clock(),
        )
    await resume_triage(context, user_id)


async def on_location(update: Update, context: LumbarContext) -> None:
    """A shared location answers the time-zone question (looked up offline)."""
    assert update.effective_user is not None and update.message is not None
    location = update.message.location
    user_id = update.effective_user.id
    lib = context.library
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
        await _ask_zone_again(context, user_id, stored, "📍")
        return
    await _answer(context, user_id, found, stored.message_id, label="📍")


async def cancel_triage(context: LumbarContext, user_id: int) -> bool:
    """Stop a running check or typed setting (answers stay, so /start resumes the check)."""
    lib = context.library
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
    """What one answer led to, decided inside the transaction and shown after it.

    ``move`` is the coach's; without one the answer only moved inside the zone
    question (``redraw``), set the zone alone (``zone_name``), or did not fit.
    ``asked`` and ``label`` are the question as it was on screen and the answer.
    """

    before: TriageStep
    on_screen: int | None = None
    move: Move | None = None
    asked: str = ""
    label: str = ""
    redraw: bool = False
    zone_name: str | None = None
    closed_cards: tuple[int, ...] = ()
    profile: Profile | None = None


async def _answer(
    context: LumbarContext,
    user_id: int,
    value: str,
    message_id: int | None,
    *,
    label: str | None = None,
) -> bool:
    """Apply one answer (or navigate inside a question) and show what comes next.

    Returns True when the plan was confirmed: the first session starts next.
    """
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        if stored is None:
            return False
        outcome = await _decide(uow, context, user_id, stored, value, label)
    await _show(context, user_id, outcome, message_id)
    return outcome.move is not None and outcome.move.starts_session


async def _decide(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    stored: TriageStateRow,
    value: str,
    label: str | None,
) -> _Answered:
    lib = context.library
    now = context.services.clock()
    extra: dict[str, Any] = {k: v for k, v in stored.answers.items() if k == "name"}
    on_screen = stored.message_id  # the live copy (the press may come from an older one)
    state = TriageState.from_json(stored.answers)
    step = _current_step(state, stored.step, lib)
    asked, _ = question(lib, step, state, stored.nonce, stored.answers)
    if step is TriageStep.TIME_ZONE and value.startswith((REGION, CITY, REGIONS)):
        found = city_zone(lib, value.removeprefix(CITY)) if value.startswith(CITY) else None
        if found is None:  # a region opened, or the list of regions
            shown = value.removeprefix(REGION) if value.startswith(REGION) else "*"
            answers = {**state.to_json(), **extra, SHOWN_REGION: shown}
            await uow.triage.save_state(user_id, stored.step, answers, stored.nonce, on_screen, now)
            return _Answered(step, on_screen, redraw=True)
        label, value = html.escape(city_name(lib, value.removeprefix(CITY))), found
    if stored.step == ZONE_ONLY:
        if not timezones.is_canonical_zone(value):
            return _Answered(step, on_screen)
        await uow.users.set_time_zone(user_id, value, now)
        await uow.triage.clear_state(user_id)
        await reschedule(uow, user_id, now)
        return _Answered(step, on_screen, asked=asked, label=label or value, zone_name=value)
    try:
        answer = move(state, lib.rules, value, now)
    except InvalidAnswerError:
        return _Answered(step, on_screen)
    closed = await triage_store.persist(uow, context, user_id, state, answer, extra)
    profile = await uow.profiles.get(user_id)
    label = label or answer_label(lib, step, state, value)
    return _Answered(step, on_screen, answer, asked, label, closed_cards=closed, profile=profile)


async def _late_report(context: LumbarContext, user_id: int, flag_id: str) -> bool:
    """A Yes to a red flag from an old message: store it as a new report and stop.

    The question on screen, if any, loses its buttons: the stop comes first. Returns
    False when it is not a red-flag Yes (then the press is simply stale).
    """
    lib = context.library
    flag = lib.rules.flag(flag_id)
    if flag is None or not flag.tier.stops:
        return False
    now = context.services.clock()
    async with context.services.transaction() as uow:
        stored = await uow.triage.get_state(user_id)
        profile = await uow.profiles.get(user_id)
        checking = stored is not None and is_check_step(stored.step)
        on_screen = stored.message_id if stored is not None and checking else None
        if stored is not None and checking:
            state = TriageState.from_json(stored.answers)
        elif profile is not None:
            state = TriageState(consent=True)
        else:
            return False
        new = report(state, lib.rules, flag_id, now)
        closed = await triage_store.block(uow, context, user_id, new)
        if stored is not None and checking:
            extra = {k: v for k, v in stored.answers.items() if k == "name"}
            await triage_store.store(uow, context, user_id, new, extra=extra, bump=True)
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
    await remove_buttons(context, user_id, on_screen)
    await remove_card_buttons(context, user_id, closed)
    await _send_stop(context, user_id, new, profile, user.time_zone if user else None, now)
    return True


async def _show(
    context: LumbarContext, user_id: int, outcome: _Answered, message_id: int | None
) -> None:
    lib = context.library
    now = context.services.clock()
    answer = outcome.move
    in_place = outcome.redraw or (answer is not None and answer.in_place)
    if outcome.on_screen not in (None, message_id):  # pressed on an older copy
        await remove_buttons(context, user_id, message_id if in_place else outcome.on_screen)
    if in_place:
        await _redraw(context, user_id, outcome.on_screen or message_id)
        return
    if answer is None and outcome.zone_name is None:
        await say(context, user_id, lib.text("use_buttons"))
        await resume_triage(context, user_id)
        return
    await _close_question(context, user_id, message_id, outcome.asked, outcome.label)
    if answer is None:
        assert outcome.zone_name is not None
        await _confirm_zone(context, user_id, outcome.zone_name, now)
        return
    await remove_card_buttons(context, user_id, outcome.closed_cards)
    state = answer.state
    if answer.before is TriageStep.TIME_ZONE and state.time_zone:
        await _confirm_zone(context, user_id, state.time_zone, now)
    match answer.after:
        case TriageStep.DECLINED:
            await say(context, user_id, lib.text("consent_declined"))
        case TriageStep.NOT_FOR_YOU:
            await say(context, user_id, html.escape(lib.rules.under_16))
        case TriageStep.STOPPED:
            await _send_stop(context, user_id, state, outcome.profile, state.time_zone, now)
        case TriageStep.DONE if answer.ending is Ending.FORGET:
            await say(context, user_id, lib.text("recheck_clear"))
        case TriageStep.DONE if not answer.starts_session:
            text, markup = summary_message(lib, state)  # a doctor first: the clearance button
            await say(context, user_id, text, markup)
        case TriageStep.DONE:
            pass  # the first session follows (the caller starts it)
        case _:
            await resume_triage(context, user_id)


async def _close_question(
    context: LumbarContext, user_id: int, message_id: int | None, asked: str, label: str
) -> None:
    """The answered question keeps its words and shows the answer; its buttons go."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_text(
            answered(asked, label), chat_id=user_id, message_id=message_id, parse_mode="HTML"
        )
    except BadRequest:  # a picture, a message gone or too old: at least no live buttons
        await remove_buttons(context, user_id, message_id)


async def _redraw(context: LumbarContext, user_id: int, message_id: int | None) -> None:
    """Redraw the current question in place (a tick, a plan change, a region picked)."""
    lib = context.library
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
    text = context.library.text("tz_confirm", zone=zone_name, local_time=local)
    await say(context, user_id, text, ReplyKeyboardRemove())


def _current_step(state: TriageState, stored_step: str, lib: Library) -> TriageStep:
    """The question being asked: the time zone alone when only that is being changed."""
    if stored_step == ZONE_ONLY:
        return TriageStep.TIME_ZONE
    return next_step(state, lib.rules)


# --- endings


async def _send_stop(
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    profile: Profile | None,
    zone_name: str | None,
    now: datetime,
) -> None:
    """The stop message for the open flags; the clearance button only where it is allowed."""
    lib = context.library
    open_ids = state.stopped_by(lib.rules)
    flagged_at = None
    if profile is not None:
        open_ids = answers_from_profile(profile).open_flags | open_ids
        flagged_at = profile.flagged_at
    await say(context, user_id, stop_text(lib, open_ids, zone_name), ReplyKeyboardRemove())
    if may_clear(lib, open_ids, flagged_at, now):
        # The clearance offer is its own message, so the advice above stays readable.
        await say(context, user_id, lib.text("cleared_later"), clearance_button(lib))
