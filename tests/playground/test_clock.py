"""The playground clock: one time for the emulator and the bot, only forward, wall-clock jumps."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.playground.clock import PlaygroundClock, next_local, parse_hhmm

BERLIN = ZoneInfo("Europe/Berlin")


def frozen(at: float) -> PlaygroundClock:
    return PlaygroundClock(real=lambda: at)


def test_now_and_timestamp_are_one_time_and_advance_moves_both() -> None:
    clock = frozen(1_000_000.0)
    assert clock.now() == datetime.fromtimestamp(1_000_000, UTC)
    clock.advance(3600)
    assert clock.timestamp() == 1_003_600.0
    assert clock.now() == datetime.fromtimestamp(1_003_600, UTC)
    assert clock.now().tzinfo is UTC


def test_starting_at_shows_that_moment_and_refuses_to_go_back() -> None:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    clock = PlaygroundClock.starting_at(start, real=lambda: 5.0)
    assert clock.now() == start
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    assert clock.advance_to(datetime(2026, 3, 1, tzinfo=UTC)) == 0.0
    assert clock.now() == start


@pytest.mark.parametrize(
    ("now", "at", "expected"),
    [
        # 09:00 Berlin (CET): 11:00 is later the same day.
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), time(11), datetime(2026, 3, 2, 10, 0, tzinfo=UTC)),
        # Exactly 11:00 now: the next occurrence is tomorrow.
        (
            datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            time(11),
            datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        ),
        # Across the spring change (29 March 2026): 11:00 CEST is 09:00 UTC.
        (
            datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
            time(11),
            datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
        ),
        # 02:30 does not exist that night; like zoneinfo, read it with winter time (03:30 CEST).
        (
            datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
            time(2, 30),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_next_local_finds_the_next_wall_clock_time(
    now: datetime, at: time, expected: datetime
) -> None:
    assert next_local(now, at, BERLIN) == expected


def test_parse_hhmm_reads_the_time_field() -> None:
    assert parse_hhmm("07:05") == time(7, 5)
    for bad in ("7", "ab:cd", "25:00", ""):
        with pytest.raises(ValueError):
            parse_hhmm(bad)
