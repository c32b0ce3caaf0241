"""Where a user's day stands, so every screen says the same about today's session.

Rules (``today_status``):

* ``STRETCH_ONLY``: the safety net stepped back (``stretch_only_since`` is set), so
  `/today` offers stretches only; nothing points to a full session;
* ``DONE``: a `/today` session finished today (local date); a quick stretch does not
  count, it is a break, not the day's session;
* ``OPEN``: otherwise; today's session is still to do.

What follows from it (``closing_for``): once a session is over, "see you
tomorrow" only when nothing is left today (``DONE`` or ``STRETCH_ONLY``); after a
quick stretch with today's session still ``OPEN``, the pointer to `/today` instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class TodayStatus(StrEnum):
    """Today's session for one user: still to do, done, or stretches only for now."""

    OPEN = "open"
    DONE = "done"
    STRETCH_ONLY = "stretch_only"


class Closing(StrEnum):
    """The last words after a session: until tomorrow, or today's session still waits."""

    TOMORROW = "tomorrow"
    TODAY_OPEN = "today_open"


def today_status(*, finished_today: bool, stretch_only: bool) -> TodayStatus:
    """Where today stands (rules in the module docstring)."""
    if stretch_only:
        return TodayStatus.STRETCH_ONLY
    return TodayStatus.DONE if finished_today else TodayStatus.OPEN


def finished_today(sessions: Iterable[tuple[str, bool]]) -> bool:
    """Whether a `/today` session finished, from the local day's (kind, finished) pairs.

    A quick stretch does not count (``DONE`` is about the day's session).
    """
    return any(kind == "today" and finished for kind, finished in sessions)


def closing_for(status: TodayStatus) -> Closing:
    """How to close once a session is over: tomorrow, unless today's session still waits."""
    return Closing.TODAY_OPEN if status is TodayStatus.OPEN else Closing.TOMORROW
