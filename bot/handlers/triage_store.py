"""The safety check's writes: the check on each answer, a flag's block, the profile.

Everything here runs inside the caller's transaction and sends nothing: the
handlers in ``bot.handlers.triage`` call Telegram after it closed. A redo starts
from the stored profile (``redo_state``).
"""

from __future__ import annotations

import secrets

from bot.access import answers_from_profile
from bot.coach.triage import Experience, choose_phase, red_flag_level
from bot.coach.triage_flow import (
    Ending,
    Move,
    Reminders,
    TriageState,
    answers_from,
    next_step,
    reminder_prefs,
)
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Equipment
from db.models import Profile


def redo_state(profile: Profile, zone_name: str) -> TriageState:
    """A redo starts where the old check left what still matters.

    Someone who consented before is not asked again and keeps their zone, their
    experience and equipment (the plan screen shows them, to change) and their
    reminders. Flags still open are carried over as reported: a redo is no way around
    a doctor's clearance, so a red flag still open stops the redo at once, with its advice.
    """
    open_ids = answers_from_profile(profile).open_flags
    stamp = (profile.flagged_at or profile.completed_at).isoformat()
    return TriageState(
        consent=True,
        time_zone=zone_name,
        flags=tuple((flag_id, True) for flag_id in sorted(open_ids)),
        reported=tuple((flag_id, stamp) for flag_id in sorted(open_ids)),
        experience=Experience(profile.experience),
        equipment=frozenset(Equipment(item) for item in profile.equipment),
        reminders=Reminders.KEEP,
    )


async def on_screen(uow: UnitOfWork, user_id: int) -> int | None:
    """The message of the question asked now, if any: replaced, it must lose its buttons."""
    stored = await uow.triage.get_state(user_id)
    return stored.message_id if stored is not None else None


async def persist(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    before: TriageState,
    answer: Move,
    extra: dict[str, object],
) -> tuple[int, ...]:
    """Store the new state; a new flag blocks at once, in the same transaction.

    Returns the message ids of exercise cards closed by a new block.
    """
    now = context.services.clock()
    state = answer.state
    if state.time_zone and state.time_zone != before.time_zone:
        # Stored at once, so "your time now" and everything after it use the new zone.
        await uow.users.set_time_zone(user_id, state.time_zone, now)
    closed: tuple[int, ...] = ()
    if answer.newly_open:
        closed = await block(uow, context, user_id, state)
    if answer.ending is Ending.GOES_ON:
        # A tick redraws the same question: its buttons stay valid. Anything else is new.
        toggled = answer.in_place and answer.before is answer.after
        await store(
            uow, context, user_id, state, extra=extra, bump=not toggled, keep=answer.in_place
        )
        return closed
    await uow.triage.clear_state(user_id)
    if answer.ending is Ending.SAVE:
        await save_profile(uow, context, user_id, state)
        await save_reminders(uow, context, user_id, state)
    return closed


async def block(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> tuple[int, ...]:
    """A flag was reported: the profile blocks now, open sessions close, stretch nudges stop."""
    lib = context.library
    now = context.services.clock()
    profile = await uow.profiles.get(user_id)
    if profile is None:
        await save_profile(uow, context, user_id, state)
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


async def next_nonce(uow: UnitOfWork, user_id: int) -> int:
    """The next question's number; a new check starts at a random one.

    Buttons of an earlier check (or of one before ``/triage``) must never match a
    question of this one, or an old tap would answer the wrong question.
    """
    stored = await uow.triage.get_state(user_id)
    if stored is None or stored.nonce == 0:
        return 1 + secrets.randbelow(999_998)
    return stored.nonce % 999_999 + 1


async def store(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    state: TriageState,
    *,
    extra: dict[str, object],
    bump: bool,
    keep: bool = False,
) -> int:
    """Store the check; ``bump`` numbers a new question, ``keep`` keeps its message."""
    stored = await uow.triage.get_state(user_id)
    nonce = await next_nonce(uow, user_id) if bump else (stored.nonce if stored else 0)
    message_id = stored.message_id if stored is not None and (keep or not bump) else None
    await uow.triage.save_state(
        user_id,
        next_step(state, context.library.rules).value,
        {**state.to_json(), **extra},
        nonce,
        message_id,
        context.services.clock(),
    )
    return nonce


async def save_profile(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
    """Store the check as the profile: this check's reports and clearances replace the old.

    A clearance given during the check was recorded when it was given (``cleared_at``):
    that moment is kept, not the moment the check ended.
    """
    lib = context.library
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


async def save_reminders(
    uow: UnitOfWork, context: LumbarContext, user_id: int, state: TriageState
) -> None:
    """The reminders the plan shows (a redo keeps the user's own), scheduled at once."""
    now = context.services.clock()
    prefs = reminder_prefs(state.reminder_choice)
    if prefs is not None:
        await uow.nudges.save_settings(
            user_id,
            now=now,
            enabled=prefs.enabled,
            stretch_enabled=prefs.stretch_enabled,
            stretch_times=[t.strftime("%H:%M") for t in prefs.stretch_times],
            stretch_days=prefs.stretch_days,
            water_enabled=prefs.water_enabled,
            water_interval_minutes=prefs.water_interval_minutes,
            wake_start=prefs.wake_start,
            wake_end=prefs.wake_end,
            quiet_start=prefs.quiet_start,
            quiet_end=prefs.quiet_end,
            paused_until=None,
        )
    await reschedule(uow, user_id, now)
