"""Streak maths on local days: consecutive days with a finished session.

One missed day is forgiven as a rest day, at most once in any seven days: the
day after a forgiven rest day, six more days must pass before the next one is
forgiven (so a fixed weekly rest day, every Sunday, always counts). Two missed
days in a row, or a second rest day within a week, start a new streak. Days
are local to the user's zone at the moment the session finished
(``local_day``), so daylight saving and travel never break a streak.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

REST_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class StreakState:
    """The running streak; ``rest_on`` is the last missed day that was forgiven."""

    current: int = 0
    best: int = 0
    last_on: date | None = None
    rest_on: date | None = None


def _rest_allowed(state: StreakState, missed: date) -> bool:
    """No other rest day forgiven in the week before ``missed``."""
    return state.rest_on is None or (missed - state.rest_on).days >= REST_WINDOW_DAYS


def count_day(state: StreakState, day: date) -> StreakState:
    """Count a local day with a finished session; the same or an earlier day changes nothing."""
    if state.last_on is not None and day <= state.last_on:
        return state
    if state.last_on is None:
        current, rest_on = 1, state.rest_on
    else:
        gap = (day - state.last_on).days
        missed = state.last_on + timedelta(days=1)
        if gap == 1:
            current, rest_on = state.current + 1, state.rest_on
        elif gap == 2 and _rest_allowed(state, missed):
            current, rest_on = state.current + 1, missed
        else:
            current, rest_on = 1, state.rest_on
    return replace(
        state, current=current, best=max(state.best, current), last_on=day, rest_on=rest_on
    )


def current_streak(state: StreakState, today: date) -> int:
    """The streak `/progress` shows: 0 once a session today could no longer continue it."""
    if state.last_on is None:
        return 0
    gap = (today - state.last_on).days
    if gap <= 1:
        return state.current
    if gap == 2 and _rest_allowed(state, state.last_on + timedelta(days=1)):
        return state.current
    return 0


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The user's calendar day at ``instant`` (which must be time-zone aware)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be time-zone aware")
    return instant.astimezone(zone).date()
