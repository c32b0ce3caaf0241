"""The check-ins: the baseline after the safety check, the weekly one, and the trend's moves.

The check-in row is the state: each answer is stored as given, so a check-in
resumes at its question after a restart (``bot.coach.checkin_flow`` decides what
comes next). When it is asked:

* the *baseline* after the first session since the safety check (so it never
  stands between the check and the first exercise; not while a doctor must see the
  user first): its pain is the check's, then function and the activities;
* the *weekly* one from the nudge ("Start (1 minute)" / "Skip this week"), or at
  ``/today`` when it was missed: its time came since the last check-in began
  (``checkin_slot_due``) and none was started since. ``/today`` then starts it
  and asks its first question instead of the session; that row now exists, so
  the next ``/today`` goes on as usual (asked once). A check-in the user began
  (one answer or more) that day is resumed at ``/today`` at its current question;
  any open one is resumed by the nudge's Start button. An open check-in from an
  earlier week is closed when the next one starts (kept if it has a pain figure);
* nobody whose exercise is blocked (a flag no doctor cleared, or a check under
  way) is asked.

After a weekly check-in the trend decides (``bot.coach.trend.decide``): a
gentler phase at once (and the safety questions again), an offer of the next
phase (accepted with a button), a celebration, or a kind word about a GP. The GP
suggestion needs no column: it is made the first time the six-week rule holds,
recomputed from the check-ins, so it comes once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from telegram import Update

from bot.callbacks import CheckInAnswer
from bot.coach import trend
from bot.coach.checkin_flow import (
    SKIP,
    CheckInKind,
    CheckInState,
    CheckInStep,
    InvalidAnswerError,
    after_skip,
    next_step,
    question_index,
    record,
)
from bot.coach.nudges import checkin_slot_due, default_prefs
from bot.coach.triage import Access, Phase
from bot.handlers.checkin_screens import (
    Ask,
    close,
    close_open,
    send_question,
    state_of,
)
from bot.handlers.common import (
    answer_query,
    close_press,
    exercise_access,
    remove_buttons,
    say,
    zone,
)
from bot.handlers.triage import start_recheck
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.scheduler import prefs_from_settings
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import CheckIn, NudgeSettings
from db.repositories.workouts import StartRow

FEELINGS_DAYS = 14
START = "start"
SKIP_WEEK = "skipweek"
STEP_UP = "up."
NOT_YET = "notyet"


@dataclass
class _Finished:
    """What a completed check-in leads to, decided in the transaction and said after it."""

    kind: CheckInKind
    pain: int | None
    function: int | None
    decision: trend.TrendDecision | None = None
    gentler_from: Phase | None = None
    lines: list[str] = field(default_factory=list)


# --- entry points


async def checkin_to_ask(
    uow: UnitOfWork, lib: Library, user_id: int, row: StartRow, zone_name: str, now: datetime
) -> Ask | None:
    """At ``/today``: a missed weekly check-in (once) or one begun today, to ask first.

    In ``/today``'s transaction, from the rows it read (``row``), for someone the gate
    lets exercise. Returns the question to send once the transaction has closed (the
    session then waits), or None.
    """
    today = now.astimezone(zone(zone_name)).date()
    open_row = None
    if row.checkin_open:
        latest = row.latest_checkin
        is_open = latest is not None and latest.completed_at is None and not latest.skipped
        open_row = latest if is_open else await uow.checkins.open(user_id)
    if open_row is not None and open_row.kind == CheckInKind.WEEKLY:
        state = await state_of(uow, open_row)
        begun = question_index(state) > 0
        if begun and _local_day(open_row.started_at, zone_name) == today:
            return Ask(open_row.id, state, lib.text("checkin_resume_intro"))
    if not _slot_due(row.settings, row.latest_checkin, zone_name, now):
        return None
    return await _start_weekly(uow, user_id, today, now, lib.text("checkin_missed_intro"))


async def on_checkin_button(update: Update, context: LumbarContext, data: CheckInAnswer) -> None:
    """A check-in button: start or skip from the nudge, an answer, or the trend's offer."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    if data.value == START:
        await answer_query(update)  # the nudge keeps its buttons: Start also resumes
        await _start_from_nudge(context, user_id)
    elif data.value == SKIP_WEEK:
        await close_press(update, context)
        await _skip_week(context, user_id)
    elif data.value.startswith(STEP_UP) or data.value == NOT_YET:
        await close_press(update, context)
        await _on_offer(context, user_id, data.value)
    else:
        await _on_answer(update, context, data)


# --- starting and skipping


async def _start_from_nudge(context: LumbarContext, user_id: int) -> None:
    """The nudge's Start: resume the open check-in, or begin this week's."""
    lib = context.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        user = await uow.users.get(user_id)
        allowed = await exercise_access(uow, user_id) is Access.ALLOWED
        if user is None or not allowed or await uow.profiles.get(user_id) is None:
            ask = None
        else:
            open_row = await uow.checkins.open(user_id)
            if open_row is not None and not await _due(uow, user_id, user.time_zone, now):
                state = await state_of(uow, open_row)
                intro = lib.text("checkin_resume_intro") if question_index(state) else None
                ask = Ask(open_row.id, state, intro)
            else:
                today = now.astimezone(zone(user.time_zone)).date()
                ask = await _start_weekly(uow, user_id, today, now, None)
    if ask is None:
        await say(context, user_id, lib.text("checkin_nothing_open"))
        return
    await send_question(context, user_id, ask)


async def _skip_week(context: LumbarContext, user_id: int) -> None:
    """The nudge's "Skip this week": close the open check-in, or record this week's as skipped."""
    lib = context.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        user = await uow.users.get(user_id)
        if user is not None:
            open_row = await uow.checkins.open(user_id)
            if open_row is not None and not await _due(uow, user_id, user.time_zone, now):
                await close(uow, open_row, await state_of(uow, open_row), now)
            elif await uow.profiles.get(user_id) is not None:
                await close_open(uow, user_id, now)
                today = now.astimezone(zone(user.time_zone)).date()
                row = await uow.checkins.start(user_id, CheckInKind.WEEKLY, today, now, None)
                await uow.checkins.skip(row.id, now)
            await reschedule(uow, user_id, now)
    await say(context, user_id, lib.text("checkin_skipped"))


async def _start_weekly(
    uow: UnitOfWork, user_id: int, today: date, now: datetime, intro: str | None
) -> Ask:
    """Begin a check-in now: weekly, or the baseline for someone who never took one."""
    await close_open(uow, user_id, now)
    profile = await uow.profiles.get(user_id)
    has_baseline = any(r.kind == CheckInKind.BASELINE for r in await uow.checkins.history(user_id))
    kind = CheckInKind.WEEKLY if has_baseline else CheckInKind.BASELINE
    row = await uow.checkins.start(user_id, kind, today, now, profile.phase if profile else None)
    await reschedule(uow, user_id, now)
    return Ask(row.id, await state_of(uow, row), intro)


async def _due(uow: UnitOfWork, user_id: int, zone_name: str, now: datetime) -> bool:
    """A weekly check-in's time came since the newest check-in began."""
    settings = await uow.nudges.get_settings(user_id)
    return _slot_due(settings, await uow.checkins.latest(user_id), zone_name, now)


def _slot_due(
    settings: NudgeSettings | None, latest: CheckIn | None, zone_name: str, now: datetime
) -> bool:
    """``_due`` from rows already read: the reminder settings and the newest check-in."""
    prefs = prefs_from_settings(settings) if settings is not None else default_prefs()
    started = latest.started_at if latest is not None else None
    return checkin_slot_due(prefs, zone(zone_name), now, started)


# --- answers


async def _on_answer(update: Update, context: LumbarContext, data: CheckInAnswer) -> None:
    """Store one answer (compare-and-set on the question number), then ask on or finish."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    message_id = query.message.message_id if query.message else None
    ask: Ask | None = None
    finished: _Finished | None = None
    stale = False
    async with context.services.transaction() as uow:
        row = await uow.checkins.get(data.checkin_id)
        live = row is not None and row.user_id == user_id
        live = live and row is not None and row.completed_at is None and not row.skipped
        if row is None or not live:
            stale = True
        else:
            state = await state_of(uow, row)
            if data.question != question_index(state):
                stale = True
                ask = Ask(row.id, state)
            elif data.value == SKIP:
                await close(uow, row, state, now)
                if state.kind is CheckInKind.BASELINE:
                    finished = _Finished(state.kind, state.pain, state.function)
                elif after_skip(state) == "complete":
                    finished = await _complete_weekly(uow, context, row, state, now)
            else:
                try:
                    new = record(state, lib.checkin, data.value)
                except InvalidAnswerError:
                    stale, ask = True, Ask(row.id, state)
                else:
                    await uow.checkins.answer(
                        row.id, pain=new.pain, function=new.function, activities=new.rated
                    )
                    if next_step(new, lib.checkin) is CheckInStep.DONE:
                        await uow.checkins.complete(row.id, now)
                        finished = _Finished(new.kind, new.pain, new.function)
                        if new.kind is CheckInKind.WEEKLY:
                            finished = await _complete_weekly(uow, context, row, new, now)
                    else:
                        ask = Ask(row.id, new)
    await answer_query(update, lib.text("question_passed") if stale and ask else None)
    await remove_buttons(context, user_id, message_id)
    if stale and ask is None:
        await say(context, user_id, lib.text("checkin_nothing_open"))
        return
    if ask is not None:
        await send_question(context, user_id, ask)
        return
    if finished is None:
        await say(context, user_id, lib.text("checkin_skipped"))
        return
    await _send_finished(context, user_id, finished)


async def _complete_weekly(
    uow: UnitOfWork, context: LumbarContext, row: CheckIn, state: CheckInState, now: datetime
) -> _Finished:
    """The trend after a weekly check-in: a gentler phase is applied here, at once."""
    finished = _Finished(state.kind, state.pain, state.function)
    if state.pain is not None:
        # A fresh pain answer: today's plan follows it (mobility in strong pain, no hard
        # or weighted work in any pain), as it followed the check's.
        await uow.profiles.set_pain(row.user_id, state.pain, now)
    profile = await uow.profiles.get(row.user_id)
    user = await uow.users.get(row.user_id)
    if profile is None or user is None:
        return finished
    today = now.astimezone(zone(user.time_zone)).date()
    history = await uow.checkins.history(row.user_id)
    points = trend.points_from_history((r.kind, r.local_on, r.pain, r.function) for r in history)
    if len(points) < 2:
        return finished
    levels = await uow.progress.levels(row.user_id)
    hurts = [p.hurt_on for p in levels.values() if p.hurt_on is not None]
    workouts = await uow.workouts.recent(row.user_id, today - timedelta(days=FEELINGS_DAYS))
    feelings = [w.feeling for w in workouts if w.feeling]
    phase = Phase(profile.phase)
    changes = await uow.checkins.phase_changes(row.user_id)
    decision = trend.decide(
        points,
        phase=phase,
        last_hurt_on=max(hurts, default=None),
        recent_feelings=feelings,
        today=today,
        gp_suggested=gp_suggested_before(points),
        phase_since=changes[-1].local_on if changes else None,
    )
    finished.decision = decision
    if decision.gentler_phase is not None:
        await uow.profiles.set_phase(row.user_id, decision.gentler_phase.value)
        await uow.checkins.add_phase_change(
            row.user_id,
            now=now,
            local_on=today,
            from_phase=phase.value,
            to_phase=decision.gentler_phase.value,
            reason="worse",
        )
        finished.gentler_from = phase
    return finished


def gp_suggested_before(points: list[trend.Point]) -> bool:
    """The GP was suggested at an earlier check-in: the six-week rule held there already."""
    return any(trend.no_better_after_six_weeks(points[: i + 1]) for i in range(1, len(points) - 1))


async def _send_finished(context: LumbarContext, user_id: int, finished: _Finished) -> None:
    """Thanks, then what the trend decided; a worse trend asks the safety questions again."""
    lib = context.library
    if finished.kind is CheckInKind.BASELINE:
        await say(context, user_id, lib.text("checkin_thanks_baseline"))
        return
    if finished.function is not None:
        thanks = lib.text("checkin_thanks", pain=finished.pain, function=finished.function)
    else:
        thanks = lib.text("checkin_thanks_short", pain=finished.pain)
    decision = finished.decision
    if decision is None:
        await say(context, user_id, thanks)
        return
    figures = _figures(lib, decision)
    parts = [thanks]
    if decision.recheck or decision.gentler_phase is not None:
        if decision.gentler_phase is not None:
            phase = lib.text(f"phase_name_{decision.gentler_phase.value}")
            parts.append(lib.text("checkin_gentler", figures=figures, phase=phase))
        else:
            parts.append(lib.text("checkin_worse_gentle", figures=figures))
    if decision.celebrate:
        parts.append(lib.text("checkin_celebrate", figures=figures))
    if decision.see_gp:
        parts.append(lib.text("checkin_see_gp", figures=figures))
    await say(context, user_id, "\n\n".join(parts))
    if decision.next_phase is not None:
        step = decision.next_phase.value
        await say(
            context,
            user_id,
            lib.text(
                "checkin_offer_next",
                figures=figures,
                phase=lib.text(f"phase_name_{step}"),
                phase_text=lib.text(f"phase_{step}"),
            ),
            rows(
                [button(lib.text("btn_checkin_step_up"), CheckInAnswer(0, 0, STEP_UP + step))],
                [button(lib.text("btn_checkin_not_yet"), CheckInAnswer(0, 0, NOT_YET))],
            ),
        )
    if decision.recheck:
        await start_recheck(context, user_id)


def _figures(lib: Library, decision: trend.TrendDecision) -> str:
    """The figures, "pain 6 → 3 since 3 March", and the limits when both were answered."""
    base, latest = decision.baseline, decision.latest
    if base is None or latest is None:
        return ""
    since = lib.day_month(base.on, long=True)
    text = lib.text("checkin_figures", before=base.pain, after=latest.pain, since=since)
    if base.function is not None and latest.function is not None:
        text += ", " + lib.text(
            "checkin_function_figures", before=base.function, after=latest.function
        )
    return text


async def _on_offer(context: LumbarContext, user_id: int, value: str) -> None:
    """The offer's "Yes, step up" moves the plan one phase up (if still where it was)."""
    lib = context.library
    now = context.services.clock()
    if value == NOT_YET:
        await say(context, user_id, lib.text("checkin_not_yet"))
        return
    moved = False
    target = value.removeprefix(STEP_UP)
    async with context.services.transaction() as uow:
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
        allowed = await exercise_access(uow, user_id) is Access.ALLOWED
        if profile is not None and user is not None and allowed:
            current = Phase(profile.phase)
            offered = trend.next_phase(current)
            if offered is not None and offered.value == target:
                await uow.profiles.set_phase(user_id, target)
                await uow.checkins.add_phase_change(
                    user_id,
                    now=now,
                    local_on=now.astimezone(zone(user.time_zone)).date(),
                    from_phase=current.value,
                    to_phase=target,
                    reason="accepted_next",
                )
                moved = True
    if not moved:
        await say(context, user_id, lib.text("checkin_step_up_stale"))
        return
    phase = lib.text(f"phase_name_{target}")
    await say(context, user_id, lib.text("checkin_stepped_up", phase=phase))


# --- rendering


def _local_day(at: datetime, zone_name: str) -> date:
    return at.astimezone(zone(zone_name)).date()


async def _sent(context: LumbarContext, user_id: int, ask: Ask) -> bool:
    await send_question(context, user_id, ask)
    return True
