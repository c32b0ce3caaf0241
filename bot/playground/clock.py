"""The playground's one clock: real time plus an offset, shared by the emulator and the bot."""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class PlaygroundClock:
    """Simulated time that keeps ticking and can only move forward, like a real day."""

    def __init__(self, real: Callable[[], float] = _time.time, offset: float = 0.0) -> None:
        self._real = real
        self.offset = offset

    @classmethod
    def starting_at(
        cls, moment: datetime, real: Callable[[], float] = _time.time
    ) -> PlaygroundClock:
        """A clock that shows `moment` now and ticks on from there (past or future)."""
        return cls(real, moment.timestamp() - real())

    def timestamp(self) -> float:
        """Unix seconds, the emulator's clock."""
        return self._real() + self.offset

    def now(self) -> datetime:
        """UTC aware now, the bot's clock (`Services.clock`)."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def __call__(self) -> datetime:
        return self.now()

    def advance(self, seconds: float) -> None:
        """Move forward; going back would replay nudges and break streaks."""
        if seconds < 0:
            raise ValueError("the playground clock only moves forward")
        self.offset += seconds

    def advance_to(self, moment: datetime) -> float:
        """Jump to `moment` (if it is ahead); return the seconds moved."""
        step = max(0.0, (moment - self.now()).total_seconds())
        self.advance(step)
        return step


def next_local(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The next instant after `now` when the wall clock in `zone` shows `at` (UTC).

    A time skipped by a daylight-saving jump is read with the offset before the jump (02:30
    becomes 03:30 summer time), as zoneinfo resolves it; a repeated time takes its first
    occurrence.
    """
    local_day = now.astimezone(zone).date()
    for days in range(3):
        candidate = _wall(local_day + timedelta(days=days), at, zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a wall time recurs within two days")


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, at.replace(tzinfo=None))
    # Round trip through UTC so a nonexistent (DST gap) time becomes a real instant.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_hhmm(text: str) -> time:
    """Read "HH:MM" from the page's time field."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError("time must look like HH:MM")
    return time(int(hours), int(minutes))
