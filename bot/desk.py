"""The stretch nudge's desk routine from stored rows: one plan for the nudge and its button.

The dispatcher names the routine's first card in the nudge (``nudge_starts``), and
the button builds the routine (``desk_plan``, from ``bot.handlers.session``), both
through ``bot.coach.desk`` from the same rows, so the text names what the button
starts. The rules themselves live in the coach.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.access import answers_from_profile
from bot.coach.desk import desk_session, is_desk_plan, nudge_card
from bot.coach.plan import PlannedCard, SessionPlan
from bot.coach.timezones import zone
from bot.coach.triage import Phase

if TYPE_CHECKING:
    from bot.uow import UnitOfWork
    from content.schema import Library
    from db.models import ExerciseProgress, Profile, Workout
    from db.repositories.nudges import ClaimedNudge


def desk_plan(
    library: Library, profile: Profile, progress: Mapping[str, ExerciseProgress], today: date
) -> SessionPlan:
    """The desk routine for this profile today (levels and what hurt lately from ``progress``)."""
    return desk_session(
        answers_from_profile(profile),
        Phase(profile.phase),
        library.exercises,
        levels={eid: row.level for eid, row in progress.items()},
        hurt={eid: row.hurt_on for eid, row in progress.items() if row.hurt_on is not None},
        today=today,
    )


def at_desk(library: Library) -> Callable[[str], bool]:
    """A lookup: can the exercise with this id be done at a desk? (Unknown ids cannot.)"""
    return frozenset(exercise.id for exercise in library.exercises if exercise.at_desk).__contains__


def card_name(library: Library, card: PlannedCard) -> str:
    """The name a card shows: its variant's, if it is one, else its exercise's."""
    exercise = library.exercise(card.exercise_id)
    variant = next((v for v in exercise.variants if v.id == card.variant_id), None)
    return variant.name if variant is not None else exercise.name


def is_desk_workout(library: Library, workout: Workout) -> bool:
    """Whether a stored workout is a desk routine: every card done standing or seated."""
    cards = [PlannedCard.from_json(card) for card in workout.plan]
    return is_desk_plan(cards, at_desk(library))


@dataclass(frozen=True, slots=True)
class NudgeStarts:
    """For a batch of stretch nudges: the first card's name, and who has nothing to start."""

    names: dict[int, str]  # nudge id -> the name of the card its button shows first
    nothing: set[int]  # nudge ids whose user may do nothing at a desk now: not sent


async def nudge_starts(
    uow: UnitOfWork,
    library: Library,
    nudges: Sequence[ClaimedNudge],
    now: datetime,
    profiles: Mapping[int, Profile],
) -> NudgeStarts:
    """What each stretch nudge's button would start, read in two queries for the batch.

    ``profiles`` by user id (the dispatcher's safety read already holds them). A user
    without one (never finished the check) gets neither: the button asks them to
    finish it, and the nudge names no exercise.
    """
    stretch = [nudge for nudge in nudges if nudge.kind == "stretch"]
    if not stretch:
        return NudgeStarts({}, set())
    days = {nudge.id: now.astimezone(zone(nudge.time_zone)).date() for nudge in stretch}
    planned = [nudge.user_id for nudge in stretch if nudge.user_id in profiles]
    if not planned:
        return NudgeStarts({}, set())
    progress = await uow.progress.levels_of(planned)
    since = min(days.values()) - timedelta(days=1)
    open_ones = await uow.workouts.open_of(planned, "stretch", since)
    desk = at_desk(library)
    names: dict[int, str] = {}
    nothing: set[int] = set()
    for nudge in stretch:
        profile = profiles.get(nudge.user_id)
        if profile is None:
            continue
        today = days[nudge.id]
        plan = desk_plan(library, profile, progress.get(nudge.user_id, {}), today)
        workout = open_ones.get((nudge.user_id, today))
        cards = [PlannedCard.from_json(c) for c in workout.plan] if workout else None
        card = nudge_card(plan, cards, workout.position if workout else 0, desk)
        if card is not None:
            names[nudge.id] = card_name(library, card)
        elif not plan.cards:
            nothing.add(nudge.id)
    return NudgeStarts(names, nothing)
