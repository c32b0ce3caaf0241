"""What `/today` or `/stretch` opens with: the rules, without Telegram or a database.

The handler reads the user's sessions of their local day in one query and asks
``open_day``, for someone the gate lets exercise (``bot.coach.triage.exercise_access``;
anyone else gets the gate's answer). The rules, in order:

1. A session of today finished but its "how does your back feel?" never went out
   (the process died between): its summary, with the question, again (the newest
   such session, of either kind).
2. `/today` while the safety net has stepped back: stretches only.
3. The newest unfinished session of this kind today is resumed; but when the stretch
   nudge's button starts the desk routine and a floor routine is under way, that one
   is left as it is (its card loses its buttons) and a desk one begins.
4. A resumed session whose every card was answered (the last choice never made) is
   finished now, and its summary shown.
5. `/today` once today's session is done (a quick stretch does not count): done.
6. Otherwise a new session is planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.coach.day import finished_today


@dataclass(frozen=True, slots=True)
class DaySession:
    """One session of the user's local day, as the start of another reads it."""

    id: int
    kind: str  # "today" or "stretch"
    started_at: datetime
    finished_at: datetime | None = None
    feeling_asked: bool = False  # "how does your back feel?" went out
    answered_all: bool = False  # every card answered: the position is past the last
    desk: bool = False  # a desk routine (standing or seated only)


class Opening(Enum):
    """What the command opens with."""

    SUMMARY = "summary"  # rule 1: the summary of ``session_id`` again
    STRETCH_ONLY = "stretch_only"  # rule 2
    RESUME = "resume"  # rule 3: ``session_id`` goes on
    FINISH = "finish"  # rule 4: ``session_id`` is finished now
    DONE = "done"  # rule 5
    NEW = "new"  # rule 6 (``left_id``: the floor routine left for the desk one)


@dataclass(frozen=True, slots=True)
class Opened:
    """The opening, and the session it concerns."""

    opening: Opening
    session_id: int | None = None
    left_id: int | None = None


def open_day(day: Sequence[DaySession], *, kind: str, desk: bool, stretch_only: bool) -> Opened:
    """Decide how the command opens (the module docstring gives the rules)."""
    owed = [s for s in day if s.finished_at is not None and not s.feeling_asked]
    if owed:
        newest = max(owed, key=lambda s: s.finished_at or s.started_at)
        return Opened(Opening.SUMMARY, newest.id)
    if kind == "today" and stretch_only:
        return Opened(Opening.STRETCH_ONLY)
    under_way = [s for s in day if s.kind == kind and s.finished_at is None]
    left = None
    if under_way:
        current = max(under_way, key=lambda s: (s.started_at, s.id))
        if not desk or current.desk:
            if current.answered_all:
                return Opened(Opening.FINISH, current.id)
            return Opened(Opening.RESUME, current.id)
        left = current.id
    if kind == "today" and finished_today((s.kind, s.finished_at is not None) for s in day):
        return Opened(Opening.DONE)
    return Opened(Opening.NEW, left_id=left)
