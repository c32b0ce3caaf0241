"""Progression: when an exercise gets harder or gentler, decided after each session.

Rules, applied by ``decide`` to the newest session of the history (levels run
from ``MIN_LEVEL`` -2 to ``MAX_LEVEL`` 3, 0 is the article's dosage):

* an exercise that hurt goes one level down at once, and rests for a week
  (``resting_ids``): the plan leaves it out until then, and brings it back at
  the lower level. This is the easier form of what hurt: during the session
  the user is offered a different gentle exercise instead
  (``bot.coach.plan.gentler_option``), never an easier variant of the same one;
* a session rated "worse" takes every exercise in it one level down (an
  exercise that also hurt still goes down only once);
* an exercise goes one level up after three consecutive `/today` sessions that
  include it, each done in full (nothing skipped, nothing hurt) and rated
  "better" or "same"; the count starts again after each level-up. Stretch
  sessions neither count nor break the run, unless the exercise hurt there or
  the session was rated worse; an unrated session breaks the run (we only
  progress people who told us they are fine);
* nothing else changes a level.

``decide`` is stateless: pass the user's recent sessions (the last 60 are
plenty), newest last.

During a session, ``session_end_advice``: the first hurt skips the card and
moves on (the article: "skip the exercise and move on to the next one"); the
second ends the session with advice to rest and see a doctor if pain persists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.coach.plan import MAX_LEVEL, MIN_LEVEL, SessionKind, apply_level, clamp_level
from content.schema import Dosage, Exercise, Library

RUN_FOR_LEVEL_UP = 3
REST_DAYS = 7
HURTS_TO_END = 2


class Feeling(StrEnum):
    """How the user feels after a session compared with before."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


class HurtAdvice(StrEnum):
    """What to do after a card was answered with "it hurts"."""

    CONTINUE = "continue"  # no hurt yet
    SKIP_AND_CONTINUE = "skip_and_continue"  # skip this one, go on gently
    END_AND_REST = "end_and_rest"  # end the session; rest; see a doctor if pain persists


@dataclass(frozen=True, slots=True)
class SessionFeedback:
    """What one finished (or ended) session tells the progression rules."""

    day: date
    kind: SessionKind
    completed: bool
    hurt_ids: frozenset[str]
    feeling: Feeling | None
    exercise_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LevelChange:
    """One exercise's level moving from ``old`` to ``new``."""

    exercise_id: str
    old: int
    new: int

    @property
    def easier(self) -> bool:
        """The exercise goes down a level: gentler for now, never shown as progress."""
        return self.new < self.old


def _involves(session: SessionFeedback, exercise_id: str) -> bool:
    return exercise_id in session.exercise_ids or exercise_id in session.hurt_ids


def _qualifies(session: SessionFeedback, exercise_id: str) -> bool:
    """A full, fine `/today` session with this exercise, in which nothing hurt."""
    return (
        session.kind is SessionKind.TODAY
        and session.completed
        and not session.hurt_ids
        and session.feeling in (Feeling.BETTER, Feeling.SAME)
        and exercise_id in session.exercise_ids
    )


def _run_length(history: Sequence[SessionFeedback], exercise_id: str) -> int:
    """Qualifying sessions with this exercise in a row, ending with the newest."""
    run = 0
    for session in reversed(history):
        if not _involves(session, exercise_id):
            continue
        if session.kind is not SessionKind.TODAY:
            if exercise_id in session.hurt_ids or session.feeling is Feeling.WORSE:
                break
            continue
        if not _qualifies(session, exercise_id):
            break
        run += 1
    return run


def decide(
    history: Sequence[SessionFeedback], levels: Mapping[str, int]
) -> tuple[LevelChange, ...]:
    """The level changes the newest session causes (rules in the module docstring)."""
    if not history:
        return ()
    newest = history[-1]
    changes: list[LevelChange] = []
    for exercise_id in dict.fromkeys([*newest.exercise_ids, *sorted(newest.hurt_ids)]):
        old = clamp_level(levels.get(exercise_id, 0))
        if exercise_id in newest.hurt_ids or newest.feeling is Feeling.WORSE:
            new = max(MIN_LEVEL, old - 1)
        elif _qualifies(newest, exercise_id):
            run = _run_length(history, exercise_id)
            new = min(MAX_LEVEL, old + 1) if run % RUN_FOR_LEVEL_UP == 0 else old
        else:
            new = old
        if new != old:
            changes.append(LevelChange(exercise_id, old, new))
    return tuple(changes)


def _differences(before: Dosage, after: Dosage, library: Library) -> list[str]:
    """Each dosage field that changed, as "<after> instead of <before>"."""
    changes = (
        ("level_sets", "sets", before.sets, after.sets),
        ("level_reps", "reps", before.reps, after.reps),
        ("level_hold_seconds", "seconds", before.hold_seconds, after.hold_seconds),
        ("level_hold_breaths", "breaths", before.hold_breaths, after.hold_breaths),
        ("level_duration", "seconds", before.duration_seconds, after.duration_seconds),
    )
    return [
        library.text(key, **{name: new, "before": old})
        for key, name, old, new in changes
        if old is not None and new is not None and old != new
    ]


def describe(change: LevelChange, exercise: Exercise, library: Library) -> str:
    """One line for the session summary, e.g. "Superman: next time 12 reps instead of 10"."""
    before = apply_level(exercise.dosage, change.old)
    after = apply_level(exercise.dosage, change.new)
    parts = _differences(before, after, library)
    if change.new < change.old:
        detail = ", ".join(parts) if parts else library.text("level_same_slower")
        return library.text("level_next_time_gentler", name=exercise.name, change=detail)
    detail = ", ".join(parts) if parts else library.text("level_same_more_control")
    return library.text("level_next_time", name=exercise.name, change=detail)


def resting_ids(
    hurts: Mapping[str, date], today: date, rest_days: int = REST_DAYS
) -> frozenset[str]:
    """Exercises that hurt within the last ``rest_days`` days (or on a later local date)."""
    return frozenset(i for i, day in hurts.items() if (today - day).days < rest_days)


def session_end_advice(hurts_in_session: int) -> HurtAdvice:
    """Skip what hurts and go on; a second hurt ends the session with rest advice."""
    if hurts_in_session >= HURTS_TO_END:
        return HurtAdvice.END_AND_REST
    if hurts_in_session == 1:
        return HurtAdvice.SKIP_AND_CONTINUE
    return HurtAdvice.CONTINUE
