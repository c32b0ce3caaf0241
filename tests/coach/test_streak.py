"""Streaks on local days: consecutive days, one forgiven rest day a week, DST and travel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.streak import StreakState, count_day, current_streak, local_day
from tests.coach.factory import FAST
from tests.coach.streak_days import count, day


class TestCountDay:
    def test_consecutive_days_add_up(self) -> None:
        state = count(day(i) for i in range(5))
        assert (state.current, state.best, state.last_on) == (5, 5, day(4))

    def test_the_same_day_twice_counts_once(self) -> None:
        assert count([day(0), day(0), day(1), day(1)]).current == 2

    def test_an_earlier_day_changes_nothing(self) -> None:
        state = count([day(0), day(1), day(2)])
        assert count_day(state, day(1)) == state

    def test_one_missed_day_is_a_forgiven_rest_day(self) -> None:
        state = count([day(0), day(1), day(3)])
        assert (state.current, state.rest_on) == (3, day(2))

    def test_two_missed_days_start_over(self) -> None:
        state = count([day(0), day(1), day(2), day(5)])
        assert (state.current, state.best) == (1, 3)

    def test_only_one_rest_day_a_week(self) -> None:
        state = count([day(0), day(2), day(4)])  # rests on day 1 and day 3
        assert (state.current, state.best, state.rest_on) == (1, 2, day(1))

    def test_a_weekly_rest_day_always_counts(self) -> None:
        # Trains every day but Sunday, for four weeks.
        days = [day(i) for i in range(28) if day(i).weekday() != 6]
        state = count(days)
        assert state.current == 24  # rest days are forgiven, not counted
        assert state.rest_on == day(20)

    @FAST
    @given(st.lists(st.integers(0, 60), max_size=40))
    def test_repeats_never_matter(self, offsets: list[int]) -> None:
        days = sorted(day(i) for i in offsets)
        assert count(days) == count(sorted(set(days)))

    @FAST
    @given(st.lists(st.integers(0, 60), max_size=40), st.integers(0, 60))
    def test_counting_a_day_twice_never_adds_and_best_tops_current(
        self, offsets: list[int], extra: int
    ) -> None:
        state = count(sorted(day(i) for i in offsets))
        again = count_day(state, day(extra))
        assert count_day(again, day(extra)) == again
        assert again.best >= again.current
        assert again.current <= state.current + 1


class TestCurrentStreak:
    state = count([day(0), day(1), day(2)])

    @pytest.mark.parametrize(("n", "shown"), [(2, 3), (3, 3), (4, 3), (5, 0), (30, 0)])
    def test_shown_while_it_can_still_continue(self, n: int, shown: int) -> None:
        assert current_streak(self.state, day(n)) == shown

    def test_rest_day_already_used_this_week(self) -> None:
        state = count([day(0), day(2), day(3)])
        assert current_streak(state, day(5)) == 0
        assert current_streak(StreakState(), day(0)) == 0


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
# Local dates a few days before each zone's 2025 daylight-saving changes.
DST_STARTS = {
    "Europe/Berlin": [date(2025, 3, 27), date(2025, 10, 23)],
    "America/New_York": [date(2025, 3, 6), date(2025, 10, 30)],
    "Australia/Lord_Howe": [date(2025, 4, 3), date(2025, 10, 2)],
    "Pacific/Chatham": [date(2025, 4, 3), date(2025, 9, 25)],
}


@st.composite
def local_sessions(draw: st.DrawFn) -> tuple[ZoneInfo, list[date], list[datetime]]:
    """Sessions on consecutive local days around a DST change, at random local times."""
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    start = draw(st.sampled_from(DST_STARTS[name])) + timedelta(days=draw(st.integers(0, 3)))
    days = [start + timedelta(days=i) for i in range(draw(st.integers(2, 8)))]
    instants = []
    for d in days:
        t = draw(st.times(min_value=time(0, 0), max_value=time(23, 59, 59)))
        fold = draw(st.integers(0, 1))
        instant = datetime.combine(d, t, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        if instant.astimezone(zone).date() != d:  # a wall time in a gap at midnight
            instant = datetime.combine(d, time(12), tzinfo=zone).astimezone(UTC)
        instants.append(instant)
    return zone, days, instants


@FAST
@given(local_sessions())
def test_streak_across_daylight_saving(sample: tuple[ZoneInfo, list[date], list[datetime]]) -> None:
    zone, days, instants = sample
    assert [local_day(i, zone) for i in instants] == days
    state = count(local_day(i, zone) for i in instants)
    assert state.current == len(days)


def test_the_day_is_the_local_day_in_the_zone_of_that_moment() -> None:
    late_in_new_york = datetime(2025, 6, 10, 3, 30, tzinfo=UTC)  # 23:30 on the 9th there
    assert local_day(late_in_new_york, ZoneInfo("America/New_York")) == date(2025, 6, 9)
    assert local_day(late_in_new_york, ZoneInfo("Asia/Tokyo")) == date(2025, 6, 10)
    # Flying New York -> Tokyo: a session each evening, local to wherever the user was.
    ny, tokyo = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
    sessions = [
        (datetime(2025, 6, 8, 22, 0, tzinfo=ny), ny),
        (datetime(2025, 6, 9, 22, 0, tzinfo=ny), ny),
        (datetime(2025, 6, 11, 20, 0, tzinfo=tokyo), tokyo),  # the 10th vanished in the air
    ]
    state = count(local_day(i.astimezone(UTC), z) for i, z in sessions)
    assert state.current == 3 and state.rest_on == date(2025, 6, 10)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_day(datetime(2025, 1, 1, 12, 0), ZoneInfo("UTC"))
