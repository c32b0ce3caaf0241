"""The safety net after the first day: when to step back to stretches only, and when to stop.

The rule, checked at two moments:

* When the user answers "How does your back feel?":
  - **Better** ends stretches-only, if it was on (the user says it is better);
  - **Worse** steps back when the previous answered session was Worse too (two
    Worse answers in a row; a session left unanswered does not break the row,
    Same or Better do). Only sessions finished after stretches-only last began
    count, so the answers that caused a step back never cause a second one.
* When a session ends because it hurt (ended early after the pain stop): step
  back when it is the second such session within seven days. Only sessions
  finished after stretches-only last began, and after the latest session
  answered Better, count: feeling better starts the count again.

Stepping back means: suggest a GP or physiotherapist, ask the emergency
questions again, and offer stretches only until a later Better answer.
Nothing here reads a clock; the caller passes ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.coach.progression import Feeling

PAIN_WINDOW = timedelta(days=7)
PAIN_SESSIONS = 2
WORSE_IN_A_ROW = 2


class Verdict(StrEnum):
    """What the safety net decided for one answer or one session end."""

    STAY = "stay"  # nothing changes
    WORSE_TWICE = "worse_twice"  # step back: Worse twice in a row
    PAIN_TWICE = "pain_twice"  # step back: two sessions ended by pain within a week
    CLEAR = "clear"  # the user feels better: stretches only ends

    @property
    def steps_back(self) -> bool:
        """GP suggestion, the safety questions again, and stretches only."""
        return self in (Verdict.WORSE_TWICE, Verdict.PAIN_TWICE)


@dataclass(frozen=True, slots=True)
class FinishedSession:
    """One finished session, as the safety net sees it."""

    finished_at: datetime
    ended_by_pain: bool = False
    feeling: Feeling | None = None


def _after(history: Iterable[FinishedSession], cutoff: datetime | None) -> list[FinishedSession]:
    """Sessions finished strictly after ``cutoff``, oldest first."""
    kept = [s for s in history if cutoff is None or s.finished_at > cutoff]
    return sorted(kept, key=lambda s: s.finished_at)


def after_answer(
    history: Iterable[FinishedSession], answered: Feeling, *, stretch_only_since: datetime | None
) -> Verdict:
    """The verdict for a feeling just given; ``history`` already holds it."""
    if answered is Feeling.BETTER:
        return Verdict.CLEAR if stretch_only_since is not None else Verdict.STAY
    if answered is not Feeling.WORSE:
        return Verdict.STAY
    feelings = [s.feeling for s in _after(history, stretch_only_since) if s.feeling is not None]
    recent = feelings[-WORSE_IN_A_ROW:]
    if len(recent) == WORSE_IN_A_ROW and all(f is Feeling.WORSE for f in recent):
        return Verdict.WORSE_TWICE
    return Verdict.STAY


def after_session(
    history: Iterable[FinishedSession], *, stretch_only_since: datetime | None, now: datetime
) -> Verdict:
    """The verdict when a session has just ended; ``history`` already holds it, as its newest."""
    sessions = _after(history, stretch_only_since)
    if not sessions or not sessions[-1].ended_by_pain:
        return Verdict.STAY
    better = [s.finished_at for s in sessions if s.feeling is Feeling.BETTER]
    cutoff = better[-1] if better else None
    pain = [
        s
        for s in _after(sessions, cutoff)
        if s.ended_by_pain and now - s.finished_at <= PAIN_WINDOW
    ]
    return Verdict.PAIN_TWICE if len(pain) >= PAIN_SESSIONS else Verdict.STAY
