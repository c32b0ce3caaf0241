"""`/today` and `/stretch`: one exercise card at a time, with done / skip / it hurts.

The workout row holds the plan and the position, so a session survives restarts
and resumes later the same day. Every press is checked against the stored
position (compare-and-set), so a double press or a stale card moves nothing.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update

from bot.access import access_from
from bot.callbacks import Feeling, Menu
from bot.cards import Caption, FileIdLookup, FileIdStore, headed, render_caption
from bot.coach.day import TodayStatus, closing_for, finished_today, today_status
from bot.coach.plan import (
    PlannedCard,
    SessionKind,
    SessionPlan,
    build_mobility,
    build_stretch,
    build_today,
    gentler_option,
    stretch_minutes,
)
from bot.coach.press import HURTS_TO_STOP
from bot.coach.progression import Feeling as FeelingValue
from bot.coach.progression import SessionFeedback, decide, describe, resting_ids
from bot.coach.safety_net import FinishedSession, Verdict, after_answer, after_session
from bot.coach.selection import TrainingRecord, mobility_only, session_exercises, weights_possible
from bot.coach.session_start import DaySession, Opening, open_day
from bot.coach.streak import StreakState, count_day, current_streak
from bot.coach.triage import Access, Phase, allowed_exercises
from bot.desk import desk_plan, is_desk_workout
from bot.handlers.checkin import checkin_to_ask
from bot.handlers.checkin_screens import Ask, begin_baseline, send_question
from bot.handlers.common import (
    answer_in_place,
    answer_query,
    answers_from_profile,
    close_press,
    remove_buttons,
    remove_pressed_buttons,
    say,
    zone,
)
from bot.handlers.gate import Refusal, refusal_for, send_refusal
from bot.handlers.streak_notes import (
    NOTE_KEY,
    counted_day_note,
    ended_note,
    rule_to_tell,
    state_of,
    summary_note,
)
from bot.handlers.triage import start_recheck
from bot.keyboards import button, card_buttons, rows
from bot.services import LumbarContext, Services
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import Profile, Workout

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CardToSend:
    """What the next card needs once the transaction has closed."""

    workout_id: int
    position: int
    total: int
    card: PlannedCard
    slow: bool


async def cmd_today(update: Update, context: LumbarContext) -> None:
    """Start or resume today's session."""
    assert update.effective_user is not None
    await start_session(context, update.effective_user.id, "today")


async def cmd_stretch(update: Update, context: LumbarContext) -> None:
    """Start or resume the quick stretch routine: the article's own, floor stretches included.

    Someone who types /stretch chose the moment, most often at home with room for a mat,
    and expects the article's routine (cat-cow on all fours, the cobra); a question
    first would put a tap before every stretch. The desk routine (standing or seated
    only) is what the stretch nudge's button starts, since nudges come at work times
    (``bot.coach.desk``).
    """
    assert update.effective_user is not None
    await start_session(context, update.effective_user.id, "stretch")


async def start_session(
    context: LumbarContext, user_id: int, kind: str, *, desk: bool = False
) -> None:
    """Build (or find) the day's workout and send the current card.

    ``desk`` (the stretch nudge's button): the stretch is the desk routine; one under way
    today is resumed, but a floor routine under way is left for /stretch and a desk one begins.
    """
    lib = context.library
    now = context.services.clock()
    minutes = 0
    summary: dict[str, Any] | None = None
    early = False
    closed_card: int | None = None
    floor_card: int | None = None  # a floor stretch's card, when the nudge starts a desk one
    refusal: Refusal | None = None
    ended_streak: str | None = None
    checkin: Ask | None = None
    workout: Workout | None = None
    outcome = "refused"
    async with context.services.transaction() as uow:
        user = await uow.users.touch(user_id, now)  # never creates one: no row before consent
        row = await uow.workouts.for_start(user_id) if user is not None else None
        if row is not None:
            uow.streaks.hold(user_id, row.streak)  # read with the rest
        profile = row.profile if row is not None else None
        allowed = row is not None and access_from(profile, row.check_step) is Access.ALLOWED
        today = now.astimezone(zone(user.time_zone if user else "UTC")).date()
        if row is not None and row.streak is not None:
            # A streak that ended since, said once (bot.handlers.streak_notes).
            ended_streak = await ended_note(
                uow, lib, row.streak, today, starting=True, allowed=allowed
            )
        if kind == "today" and allowed and user is not None and row is not None:
            # A missed or begun weekly check-in comes first (bot.handlers.checkin).
            checkin = await checkin_to_ask(uow, lib, user_id, row, user.time_zone, now)
        if checkin is None and (not allowed or profile is None):
            refusal = await refusal_for(uow, context, user_id, now) or Refusal(Access.NO_PROFILE)
        elif checkin is None and profile is not None:
            # The day's workouts in one read; the coach picks what opens (session_start).
            day = await uow.workouts.of_day(user_id, today)
            by_id = {w.id: w for w in day}
            opened = open_day(
                [_day_session(lib, w, desk) for w in day],
                kind=kind,
                desk=desk,
                stretch_only=profile.stretch_only_since is not None,
            )
            chosen = by_id.get(opened.session_id) if opened.session_id is not None else None
            if opened.opening is Opening.SUMMARY and chosen is not None:
                # The session ended but its question was lost (the process died between).
                summary = await stored_summary(uow, context, chosen, today)
                closed_card = chosen.card_message_id  # the summary goes out anew, below
                outcome, early = "finished", chosen.ended_early
            elif opened.opening is Opening.STRETCH_ONLY:
                # The safety net stepped back: stretches only until the back feels better.
                outcome = "stretch_only"
            elif opened.opening is Opening.FINISH and chosen is not None:
                # Every card was answered but the last choice was never made: finish now.
                ended = await finish_session(uow, context, chosen, now, today, early=False)
                summary = ended.summary if ended else None
                closed_card = chosen.card_message_id  # its "Finish" button is answered now
                outcome = "finished"
            elif opened.opening is Opening.RESUME and chosen is not None:
                outcome, workout = "resume", chosen
            elif opened.opening is Opening.DONE:
                outcome = "done"
            else:
                if opened.left_id is not None:
                    floor_card = by_id[opened.left_id].card_message_id
                outcome = "start"
                plan = await _plan(
                    uow, lib_profile=profile, context=context, kind=kind, today=today, desk=desk
                )
                if not plan.cards:
                    outcome = "empty"
                else:
                    workout = await uow.workouts.start(
                        user_id, kind, today, [c.to_json() for c in plan.cards], now
                    )
                    minutes = plan.minutes
        to_send = card_to_send(workout, profile) if workout is not None else None
        previous_card = workout.card_message_id if workout is not None else None
    opens_card = checkin is None and refusal is None and outcome in ("start", "resume")
    if ended_streak is not None and not (opens_card and to_send is not None):
        await say(context, user_id, ended_streak)  # a card's caption carries it otherwise
        ended_streak = None
    if checkin is not None:
        await send_question(context, user_id, checkin)
        return
    if refusal is not None:
        await send_refusal(context, user_id, refusal)
        return
    if outcome == "stretch_only":
        await say(
            context,
            user_id,
            lib.text("stretch_only_today"),
            rows([button(lib.text("btn_stretch"), Menu("go", "stretch"))]),
        )
        return
    if outcome == "done":
        await say(context, user_id, lib.text("session_already_done"))
        return
    if outcome == "finished" and summary is not None:
        await remove_buttons(context, user_id, closed_card)
        await _send_summary(context, user_id, summary, early=early)
        return
    if outcome == "empty" or to_send is None:
        await say(context, user_id, lib.text("free_text_idle"))
        return
    severe = False
    if outcome == "resume":
        # The card sent earlier must not stay pressable beside the one sent now.
        await remove_buttons(context, user_id, previous_card)
        lead = lib.text("session_resume", position=to_send.position + 1, total=to_send.total)
    else:
        await remove_buttons(context, user_id, floor_card)
        title = lib.text("title_desk" if desk else f"title_{kind}")
        lead = lib.text("session_intro", title=title, count=to_send.total, minutes=minutes)
        severe = profile is not None and mobility_only(answers_from_profile(profile))
        if severe:
            lead += "\n\n" + lib.text("session_intro_severe")
        elif to_send.slow:
            lead += "\n" + lib.text("session_intro_gentle")
    if ended_streak is not None:  # the streak that ended heads what begins now
        lead = f"{ended_streak}\n\n{lead}"
    if severe:
        # Advice on pain worth keeping in view: a message of its own, not a caption that
        # the next card replaces.
        await say(context, user_id, lead)
        lead = ""
    await send_card(context, user_id, to_send, lead=lead)


def _day_session(lib: Library, workout: Workout, desk: bool) -> DaySession:
    """The coach's view of one workout of the day (``bot.coach.session_start``)."""
    return DaySession(
        workout.id,
        workout.kind,
        workout.started_at,
        workout.finished_at,
        feeling_asked=workout.feeling_asked_at is not None,
        answered_all=workout.position >= len(workout.plan),
        desk=desk and workout.kind == "stretch" and is_desk_workout(lib, workout),
    )


async def welcome_back_reply(
    context: LumbarContext, user_id: int, name: str
) -> tuple[str, InlineKeyboardMarkup]:
    """What /start says to someone who may exercise, from where today stands.

    Today's session and its length while it is open; once it is done, that the next
    one is tomorrow (``bot.coach.day``). ``name`` comes escaped for HTML.
    """
    lib = context.library
    now = context.services.clock()
    stretch = button(lib.text("btn_stretch"), Menu("go", "stretch"))
    async with context.services.transaction() as uow:
        status = await today_status_of(uow, user_id, now)
        user = await uow.users.get(user_id)
        profile = await uow.profiles.get(user_id)
        minutes = 0
        if status is TodayStatus.OPEN and profile is not None:
            today = now.astimezone(zone(user.time_zone if user else "UTC")).date()
            plan = await _plan(uow, lib_profile=profile, context=context, kind="today", today=today)
            minutes = plan.minutes
    if status is TodayStatus.STRETCH_ONLY:
        text = lib.text("welcome_back_stretch_only", name=name)
        return text + "\n\n" + lib.text("stretch_only_today"), rows([stretch])
    if status is TodayStatus.DONE:
        text = lib.text("welcome_back_done", name=name, minutes=stretch_minutes(lib.exercises))
        return text, rows([stretch])
    today_button = button(lib.text("btn_today"), Menu("go", "today"))
    return lib.text("welcome_back", name=name, minutes=minutes), rows([today_button], [stretch])


async def pause_session(context: LumbarContext, user_id: int) -> bool:
    """/cancel during a session: take the card's buttons away; /today or /stretch resumes it."""
    now = context.services.clock()
    async with context.services.transaction() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            return False
        today = now.astimezone(zone(user.time_zone)).date()
        open_workouts = [
            w
            for kind in ("today", "stretch")
            if (w := await uow.workouts.open_for_day(user_id, kind, today)) is not None
        ]
    if not open_workouts:
        return False
    workout = max(open_workouts, key=lambda w: w.started_at)
    await remove_buttons(context, user_id, workout.card_message_id)
    await say(context, user_id, context.library.text("cancelled_session", kind=workout.kind))
    return True


async def step_back(context: LumbarContext, user_id: int, verdict: Verdict) -> None:
    """The safety net stepped back: say why and what now, then ask the safety questions again."""
    lib = context.library
    text = lib.text(f"net_{verdict.value}") + " " + lib.text("net_step_back")
    await say(context, user_id, text)
    await start_recheck(context, user_id)


async def _finished_today(uow: UnitOfWork, user_id: int, today: date) -> bool:
    return await uow.workouts.finished_count_between(user_id, today, today, kind="today") > 0


async def today_status_of(uow: UnitOfWork, user_id: int, now: datetime) -> TodayStatus:
    """Where the user's local today stands: session open, done, or stretches only."""
    user = await uow.users.get(user_id)
    profile = await uow.profiles.get(user_id)
    today = now.astimezone(zone(user.time_zone if user else "UTC")).date()
    return today_status(
        finished_today=await _finished_today(uow, user_id, today),
        stretch_only=profile is not None and profile.stretch_only_since is not None,
    )


async def _plan(
    uow: UnitOfWork,
    *,
    lib_profile: Profile,
    context: LumbarContext,
    kind: str,
    today: date,
    desk: bool = False,
) -> SessionPlan:
    """The session's plan: the coach's rules on the profile, levels and history."""
    lib = context.library
    answers = answers_from_profile(lib_profile)
    phase = Phase(lib_profile.phase)
    progress = await uow.progress.levels(lib_profile.user_id)
    if kind == "stretch" and desk:
        return desk_plan(lib, lib_profile, progress, today)  # as the nudge named it
    levels = {exercise_id: row.level for exercise_id, row in progress.items()}
    hurt = {eid: row.hurt_on for eid, row in progress.items() if row.hurt_on is not None}
    resting = resting_ids(hurt, today)
    record = TrainingRecord(
        last_hurt_on=max(hurt.values(), default=None),
        pain_answered_at=lib_profile.pain_at or lib_profile.completed_at,
    )
    if weights_possible(answers):  # only then is the history worth a query
        finished = await uow.workouts.finished_count(lib_profile.user_id, kind="today")
        record = replace(record, finished_sessions=finished)
    now = context.services.clock()
    allowed = session_exercises(answers, phase, lib.exercises, record, now=now, today=today)
    if kind == "stretch":
        stretch = tuple(e for e in allowed if e.in_stretch_routine and e.id not in resting)
        return build_stretch(stretch, equipment=answers.equipment, levels=levels)
    if mobility_only(answers):
        return build_mobility(allowed, equipment=answers.equipment, levels=levels, resting=resting)
    return build_today(allowed, day=today, levels=levels, resting=resting, phase=phase)


def card_to_send(
    workout: Workout, profile: Profile | None, position: int | None = None
) -> CardToSend | None:
    """The card at ``position`` (the workout's own by default), or None past the last."""
    at = workout.position if position is None else position
    if not 0 <= at < len(workout.plan):
        return None
    slow = profile is not None and (profile.pain_now >= 4 or profile.phase == Phase.GENTLE.value)
    card = PlannedCard.from_json(workout.plan[at])
    return CardToSend(workout.id, at, len(workout.plan), card, slow)


def card_caption(context: LumbarContext, item: CardToSend) -> Caption:
    """The card's caption: the exercise (or variant), today's dose, its goal, the cautions."""
    lib = context.library
    exercise = lib.exercise(item.card.exercise_id)
    variant = next((v for v in exercise.variants if v.id == item.card.variant_id), None)
    return render_caption(
        lib,
        exercise,
        dosage=item.card.dosage,
        position=item.position + 1,
        total=item.total,
        variant_name=variant.name if variant else None,
        variant_description=variant.description if variant else None,
        slow=item.slow,
        goal=variant.dosage if variant is not None and variant.dosage else exercise.dosage,
    )


def file_ids(services: Services) -> tuple[FileIdLookup, FileIdStore]:
    """Read and remember uploaded pictures' file ids, each in a transaction of its own."""

    async def lookup(key: str) -> str | None:
        async with services.transaction() as uow:
            return await uow.files.get(key)

    async def store(key: str, file_id: str) -> None:
        async with services.transaction() as uow:
            await uow.files.put(key, file_id, services.clock())

    return lookup, store


async def send_card(
    context: LumbarContext, user_id: int, item: CardToSend, *, lead: str = ""
) -> Message:
    """Send one card (picture by cached file id) and remember its message id.

    ``lead`` (the session's intro, or where a resumed one stands) heads the caption when
    both fit, so that starting a session costs one message of the chat's budget; else it
    goes first as a message of its own.
    """
    services = context.services
    caption = card_caption(context, item)
    text = caption.text
    with_lead = headed(lead, text) if lead and caption.steps_message is None else None
    if with_lead is not None:
        text = with_lead
    elif lead:
        await say(context, user_id, lead)
    if caption.steps_message:
        await say(context, user_id, caption.steps_message)
    lookup, store = file_ids(services)
    message = await services.pictures.send(
        context.bot,
        user_id,
        item.card.exercise_id,
        text,
        card_buttons(context.library.texts, item.workout_id, item.position),
        lookup=lookup,
        store=store,
        library=context.library,
    )
    async with services.transaction() as uow:
        await uow.workouts.set_card_message(item.workout_id, message.message_id)
    return message


def card_name(context: LumbarContext, card: PlannedCard) -> str:
    """The exercise's name, or its variant's when the card is a variant."""
    exercise = context.library.exercise(card.exercise_id)
    variant = next((v for v in exercise.variants if v.id == card.variant_id), None)
    return variant.name if variant is not None else exercise.name


async def resting_ids_on(uow: UnitOfWork, user_id: int, today: date) -> frozenset[str]:
    """Exercises resting after a recent "It hurts": never offered as the gentler option."""
    progress = await uow.progress.levels(user_id)
    hurt = {eid: row.hurt_on for eid, row in progress.items() if row.hurt_on is not None}
    return resting_ids(hurt, today)


def gentler_for(
    context: LumbarContext,
    workout: Workout,
    profile: Profile | None,
    card: PlannedCard,
    resting: frozenset[str],
) -> PlannedCard | None:
    """A different gentle exercise to offer after ``card`` hurt (never a variant of it)."""
    if profile is None:
        return None
    lib = context.library
    answers = answers_from_profile(profile)
    allowed = tuple(
        e
        for e in allowed_exercises(answers, Phase(profile.phase), lib.exercises)
        if e.id not in resting
    )
    ids = [str(item["exercise_id"]) for item in workout.plan]
    # The hurt card is the one just answered; cards after it have not been shown yet.
    hurt_at = workout.position - 1
    if not (0 <= hurt_at < len(ids) and ids[hurt_at] == card.exercise_id):
        hurt_at = ids.index(card.exercise_id) if card.exercise_id in ids else len(ids) - 1
    return gentler_option(
        lib.exercise(card.exercise_id),
        allowed,
        shown_ids=ids[: hurt_at + 1],
        later_ids=ids[hurt_at + 1 :],
        at_desk=is_desk_workout(lib, workout),
    )


async def insert_gentler(
    uow: UnitOfWork,
    context: LumbarContext,
    workout: Workout,
    profile: Profile | None,
    position: int,
) -> None:
    """Put the gentler option in as the card at ``position``, once, however often pressed.

    When the option was planned for later in the session, that later card moves up
    rather than coming twice. Without a gentler option the plan stays as it is.
    """
    plan = list(workout.plan)
    if position < len(plan) and plan[position].get("gentler_for") == position - 1:
        return
    hurt_card = PlannedCard.from_json(plan[position - 1])
    today = workout.local_on
    gentler = gentler_for(
        context, workout, profile, hurt_card, await resting_ids_on(uow, workout.user_id, today)
    )
    if gentler is None:
        return
    entry = gentler.to_json()
    entry["gentler_for"] = position - 1
    plan = [
        item
        for index, item in enumerate(plan)
        if index < position or item["exercise_id"] != gentler.exercise_id
    ]
    plan.insert(position, entry)
    workout.plan = plan
    await uow.session.flush()


@dataclass(frozen=True, slots=True)
class Ended:
    """A session just finished: its summary, and what the safety net made of it."""

    summary: dict[str, Any]
    net: Verdict = Verdict.STAY


async def finish_session(
    uow: UnitOfWork,
    context: LumbarContext,
    workout: Workout,
    now: datetime,
    today: date,
    *,
    early: bool,
    closed: bool = False,
    counts: tuple[int, int] | None = None,
) -> Ended | None:
    """Close the workout once, count the day towards the streak once, and sum it up.

    None when the workout was already closed (a double tap, another replica).
    ``closed``: the caller's compare-and-set closed it already (a press that answered
    the last card). ``counts``: the answers done and skipped, when the caller knows them
    (else they are read). The streak comes from the session when it was read already.
    """
    if not closed and not await uow.workouts.finish(workout.id, now, early):
        return None
    streak_row = await uow.streaks.get(workout.user_id)
    state = state_of(streak_row)
    done, skipped = counts if counts is not None else await _counts(uow, workout)
    # A day counts when at least one exercise was done; a session that only hurt does not.
    note = None  # a milestone, or the rest-day rule told once (bot.handlers.streak_notes)
    if done and await uow.streaks.add_day(workout.user_id, workout.local_on):
        before, state = state, count_day(state, workout.local_on)
        tell = rule_to_tell(streak_row, state)
        saved = await uow.streaks.save(
            workout.user_id,
            current=state.current,
            best=state.best,
            last_on=state.last_on,
            rest_on=state.rest_on,
            now=now,
            rule_told=tell,
        )
        told = tell and saved.rule_told_at == now  # this call noted it: no other replica
        note = counted_day_note(context.library, before, state, rule_told=told)
    net = await _net_after_session(uow, workout, now) if early else Verdict.STAY
    summary = _summary(context, workout, (done, skipped), state, now, today)
    return Ended({**summary, NOTE_KEY: note}, net)


async def _counts(uow: UnitOfWork, workout: Workout) -> tuple[int, int]:
    """How many of the workout's answers were done and skipped, read from its answers."""
    results = await uow.workouts.results(workout.id)
    outcomes = [r.outcome for r in results]
    return outcomes.count("done"), outcomes.count("skipped")


def _summary(
    context: LumbarContext,
    workout: Workout,
    counts: tuple[int, int],
    state: StreakState,
    finished_at: datetime,
    today: date,
) -> dict[str, Any]:
    """What the end-of-session message says, from the answers (done, skipped) and the streak."""
    lib = context.library
    tip = lib.tips[today.toordinal() % len(lib.tips)] if lib.tips else None
    return {
        "workout_id": workout.id,
        "done": counts[0],
        "skipped": counts[1],
        "duration": _duration(finished_at - workout.started_at, lib),
        "streak": current_streak(state, today),
        "best": state.best,
        "tip": tip.text if tip else None,
    }


async def stored_summary(
    uow: UnitOfWork,
    context: LumbarContext,
    workout: Workout,
    today: date,
    counts: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The summary of a session finished earlier, as it was when it finished.

    ``counts`` (done, skipped) when the caller read them already, else they are read.
    """
    state = state_of(await uow.streaks.get(workout.user_id))
    done_skipped = counts if counts is not None else await _counts(uow, workout)
    assert workout.finished_at is not None
    return _summary(context, workout, done_skipped, state, workout.finished_at, today)


async def _net_after_session(uow: UnitOfWork, workout: Workout, now: datetime) -> Verdict:
    """A session just ended by pain: the second within a week steps back to stretches only."""
    profile = await uow.profiles.get(workout.user_id)
    if profile is None:
        return Verdict.STAY
    since_on = workout.local_on - timedelta(days=8)
    history = [
        _as_finished(w)
        for w in await uow.workouts.recent(workout.user_id, since_on)
        if w.finished_at is not None and w.id != workout.id
    ]
    history.append(FinishedSession(now, ended_by_pain=True))
    verdict = after_session(history, stretch_only_since=profile.stretch_only_since, now=now)
    if verdict.steps_back:
        await uow.profiles.set_stretch_only(workout.user_id, now)
    return verdict


def _as_finished(workout: Workout, feeling: str | None = None) -> FinishedSession:
    """A finished workout as the safety net sees it; ``feeling`` overrides the stored one."""
    assert workout.finished_at is not None
    value = feeling or workout.feeling
    return FinishedSession(
        workout.finished_at,
        ended_by_pain=workout.ended_early and workout.hurts >= HURTS_TO_STOP,
        feeling=FeelingValue(value) if value else None,
    )


def _duration(elapsed: timedelta, lib: Library) -> str:
    """A session's length in whole minutes, at least one ("1 min", "1 Min.")."""
    minutes = max(1, round(elapsed.total_seconds() / 60))
    return lib.text("dose_minutes", minutes=minutes)


def summary_text(
    lib: Library,
    summary: dict[str, Any],
    *,
    early: bool,
    hurt_name: str | None = None,
    limit: int | None = None,
) -> str:
    """The end-of-session message, composed here only (the redrawn card and a resend).

    In order: why pain ended it (``hurt_name``), the figures and the streak, the tip,
    the warning signs, and the question how the back feels. When the whole does not
    fit ``limit`` (a caption holds 1024 characters), the tip is left out.
    """
    key = "session_summary_early" if early else "session_summary"
    text = lib.text(
        key, **{k: summary[k] for k in ("done", "skipped", "duration", "streak", "best")}
    )
    text += summary_note(summary)  # the streak's milestone or rule, when there is one
    if hurt_name is not None:
        stop = lib.text("hurt_ack", name=html.escape(hurt_name)) + "\n" + lib.text("hurt_stop")
        text = stop + "\n\n" + text
    ending = "\n\n" + lib.text("cauda_equina_line") + "\n\n" + lib.text("q_feeling")
    tip = summary.get("tip")
    with_tip = text + "\n\n" + lib.text("tip", text=html.escape(str(tip))) if tip else text
    if limit is not None and len(with_tip + ending) > limit:
        return text + ending
    return with_tip + ending


def feeling_buttons(lib: Library, workout_id: int) -> InlineKeyboardMarkup:
    """Better, same or worse: the answer under every session summary."""
    return rows(
        [
            button(lib.text("feeling_better"), Feeling(workout_id, "better")),
            button(lib.text("feeling_same"), Feeling(workout_id, "same")),
            button(lib.text("feeling_worse"), Feeling(workout_id, "worse")),
        ]
    )


async def _send_summary(
    context: LumbarContext, user_id: int, summary: dict[str, Any], *, early: bool
) -> None:
    """Send a summary whose card could not show it: the same words, with the question."""
    lib = context.library
    workout_id = int(summary["workout_id"])
    text = summary_text(lib, summary, early=early)
    await say(context, user_id, text, feeling_buttons(lib, workout_id))
    async with context.services.transaction() as uow:
        await uow.workouts.mark_feeling_asked(workout_id, context.services.clock())


async def on_feeling(update: Update, context: LumbarContext, data: Feeling) -> None:
    """Store how the back feels; that drives progression and the safety net.

    A user who may not exercise now (blocked, or in the middle of the safety check)
    has the answer stored and gets the gate's answer instead of any suggestion.
    """
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    message_id = query.message.message_id if query.message else None
    async with context.services.transaction() as uow:
        answered = await _store_feeling(
            uow, context, user_id, data, (update.update_id, message_id), now
        )
    if answered.answered_here:  # a double tap: the first took the buttons off already
        await answer_query(update, lib.text("stale_button"))
        return
    if answered.stale or answered.refusal is not None:
        await close_press(update, context, lib.text("stale_button") if answered.stale else None)
        if answered.refusal is not None:
            await send_refusal(context, user_id, answered.refusal)
        return
    verdict = answered.verdict
    text = lib.text(f"feeling_thanks_{data.value}")
    if data.value != FeelingValue.WORSE and verdict is not Verdict.CLEAR:
        text += " " + lib.text(f"feeling_{closing_for(answered.status).value}")
    if answered.lines:
        text += "\n\n" + "\n".join(answered.lines)
    if data.value == FeelingValue.WORSE:
        text += "\n\n" + lib.text("cauda_equina_line")
    if verdict is Verdict.CLEAR:
        text += "\n\n" + lib.text("net_cleared")
    await answer_query(update)
    # The thanks joins the summary it answers (one message of the chat's budget). Worse
    # keeps a message of its own: the warning signs must arrive, not be edited in above.
    label = html.escape(lib.text(f"feeling_{data.value}"))
    follow = None if data.value == FeelingValue.WORSE else text
    if not await answer_in_place(update, context, label, follow):
        await remove_pressed_buttons(update, context)
        await say(context, user_id, text)
    elif follow is None:
        await say(context, user_id, text)
    if verdict.steps_back:
        await step_back(context, user_id, verdict)
    elif answered.baseline is not None:
        await send_question(context, user_id, answered.baseline)


@dataclass(frozen=True, slots=True)
class _FeelingStored:
    """What the feeling answer's transaction decided, to be said once it has closed."""

    stale: bool = False
    # Stale, and the answer stored was given on this very message: said there in place,
    # its buttons gone (a double tap).
    answered_here: bool = False
    refusal: Refusal | None = None
    lines: tuple[str, ...] = ()  # level changes
    verdict: Verdict = Verdict.STAY
    status: TodayStatus = TodayStatus.OPEN
    baseline: Ask | None = None  # the baseline's first question, begun in the transaction


async def _store_feeling(
    uow: UnitOfWork,
    context: LumbarContext,
    user_id: int,
    data: Feeling,
    pressed: tuple[int, int | None],
    now: datetime,
) -> _FeelingStored:
    """Store the answer, then progression, the safety net and the baseline, in one go.

    ``pressed``: the update's id and the pressed message's. Reads: the workout with its
    owner's zone, profile and open check (the gate decides from that row), and the
    month's workouts with their answers; the levels; the newest check-in. Writes only
    what changes.
    """
    update_id, message_id = pressed
    row = await uow.workouts.for_press(data.workout_id)
    if row is None or row.workout.user_id != user_id:
        return _FeelingStored(stale=True)
    workout, profile = row.workout, row.profile
    stored = await uow.workouts.set_feeling(workout.id, data.value, update_id)
    # This very press, delivered again: its process died before the thanks.
    again = not stored and workout.feeling_update_id == update_id
    if not stored and not again:
        here = message_id is not None and workout.card_message_id == message_id
        return _FeelingStored(stale=True, answered_here=here)
    if profile is None or access_from(profile, row.check_step) is not Access.ALLOWED:
        refusal = await refusal_for(uow, context, user_id, now)
        return _FeelingStored(refusal=refusal or Refusal(Access.NO_PROFILE))
    recent = await uow.workouts.recent(user_id, workout.local_on - timedelta(days=30))
    lines: list[str] = []
    verdict = Verdict.STAY
    if not again:
        lines = await _progress_after(uow, context, user_id, recent, now)
        verdict = await _net_after_answer(uow, workout, profile, data.value, recent, now)
    today = now.astimezone(zone(row.time_zone)).date()
    status = today_status(
        finished_today=finished_today(
            (w.kind, w.finished_at is not None) for w in recent if w.local_on == today
        ),
        stretch_only=profile.stretch_only_since is not None,  # as the net just left it
    )
    baseline = None
    if not verdict.steps_back:  # once after a check: where the trend starts
        baseline = await begin_baseline(uow, context.library, profile, row.time_zone, now)
    return _FeelingStored(lines=tuple(lines), verdict=verdict, status=status, baseline=baseline)


async def _net_after_answer(
    uow: UnitOfWork,
    workout: Workout,
    profile: Profile,
    feeling: str,
    recent: list[Workout],
    now: datetime,
) -> Verdict:
    """Worse twice in a row steps back to stretches only; Better ends that."""
    history = [
        _as_finished(w, feeling if w.id == workout.id else None)
        for w in recent
        if w.finished_at is not None
    ]
    since = profile.stretch_only_since
    verdict = after_answer(history, FeelingValue(feeling), stretch_only_since=since)
    if verdict.steps_back:
        await uow.profiles.set_stretch_only(workout.user_id, now)
    elif verdict is Verdict.CLEAR:
        await uow.profiles.set_stretch_only(workout.user_id, None)
    return verdict


async def _progress_after(
    uow: UnitOfWork, context: LumbarContext, user_id: int, recent: list[Workout], now: datetime
) -> list[str]:
    lib = context.library
    history = []
    for workout in recent:
        if workout.finished_at is None:
            continue
        results = workout.results  # loaded by recent()
        history.append(
            SessionFeedback(
                day=workout.local_on,
                kind=SessionKind(workout.kind),
                completed=not workout.ended_early
                and all(r.outcome == "done" for r in results)
                and len(results) >= len(workout.plan),
                hurt_ids=frozenset(r.exercise_id for r in results if r.outcome == "hurt"),
                feeling=FeelingValue(workout.feeling) if workout.feeling else None,
                exercise_ids=tuple(str(item["exercise_id"]) for item in workout.plan),
            )
        )
    progress = await uow.progress.levels(user_id)
    levels = {eid: row.level for eid, row in progress.items()}
    lines = []
    for change in decide(history, levels):
        await uow.progress.set_level(user_id, change.exercise_id, change.new, now)
        line = html.escape(describe(change, lib.exercise(change.exercise_id), lib))
        lines.append(lib.text("level_easier" if change.easier else "level_harder", line=line))
    return lines
