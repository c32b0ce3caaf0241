"""Streak maths on local days: consecutive days with a finished session.

One missed day is forgiven as a rest day, at most once in any seven days: the
day after a forgiven rest day, six more days must pass before the next one is
forgiven (so a fixed weekly rest day, every Sunday, always counts). Two missed
days in a row, or a second rest day within a week, start a new streak. Days
are local to the user's zone at the moment the session finished
(``local_day``), so daylight saving and travel never break a streak.

What the user is told about their streak, each decided here:

* the rule above, once: in the summary of the first session that counts a day
  (``tell_rule``; the caller stores that it was told);
* a milestone (3, 7, 14 and 30 days), once each: in the summary of the session
  that first brings the streak to it, so a rebuilt streak passing a milestone
  reached before is not marked again (``milestone``);
* at risk: on a day that is the last chance to keep a streak of at least
  ``WORTH_KEEPING`` days (nothing counted today, and tomorrow it would show 0),
  the evening nudge says so (``at_risk``; which nudge is
  ``bot.coach.streak_reminder``);
* ended: a streak of at least ``WORTH_KEEPING`` days that can no longer
  continue is told once, kindly, with how to start again; ``told_on`` is the
  last day of the streak whose end was told, so a new streak's end is told
  again (``ended``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

REST_WINDOW_DAYS = 7
MILESTONES = (3, 7, 14, 30)
# A single day is a start, not yet a streak to lose: reminders and endings begin at two.
WORTH_KEEPING = 2


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


def tell_rule(state: StreakState, told: bool) -> bool:
    """Explain the rest-day rule: the first time a day is counted, unless told already."""
    return not told and state.current >= 1


def milestone(before: StreakState, after: StreakState) -> int | None:
    """The milestone a counted day reached for the first time (beyond any earlier best)."""
    if after.current in MILESTONES and after.current > before.best:
        return after.current
    return None


def at_risk(state: StreakState, today: date) -> bool:
    """Today is the last day to keep the streak: none counted today, and tomorrow it shows 0."""
    if state.last_on is None or state.last_on >= today or state.current < WORTH_KEEPING:
        return False
    return current_streak(state, today) > 0 and current_streak(state, today + timedelta(1)) == 0


def ended(state: StreakState, today: date, told_on: date | None) -> int:
    """The length of a streak that just ended and was not told yet; 0 when there is none."""
    if state.last_on is None or state.current < WORTH_KEEPING or told_on == state.last_on:
        return 0
    return state.current if current_streak(state, today) == 0 else 0


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The user's calendar day at ``instant`` (which must be time-zone aware)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be time-zone aware")
    return instant.astimezone(zone).date()
