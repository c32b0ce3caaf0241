"""Days and counted streaks for the streak tests: a Monday to count from, and a fold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.coach.streak import StreakState, count_day

D = date(2025, 3, 3)  # a Monday


def day(n: int) -> date:
    return D + timedelta(days=n)


def count(days: Iterable[date], state: StreakState | None = None) -> StreakState:
    state = state or StreakState()
    for d in days:
        state = count_day(state, d)
    return state
