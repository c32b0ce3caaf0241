"""What the user is told about their streak: the rule, milestones, at risk, ended."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.coach.streak import (
    MILESTONES,
    WORTH_KEEPING,
    StreakState,
    at_risk,
    count_day,
    current_streak,
    ended,
    local_day,
    milestone,
    tell_rule,
)
from tests.coach.factory import FAST
from tests.coach.streak_days import count, day


def _days_from_gaps(gaps: list[int]) -> list[date]:
    days, at = [], 0
    for gap in gaps:
        at += gap
        days.append(day(at))
    return days


# Active days as gaps between them: mostly consecutive, some rests, some breaks.
active_days = st.lists(st.sampled_from([1, 1, 1, 1, 2, 2, 3, 6]), min_size=1, max_size=45).map(
    _days_from_gaps
)


class TestTellRule:
    def test_told_with_the_first_counted_day_and_never_again(self) -> None:
        assert not tell_rule(StreakState(), told=False)
        first = count([day(0)])
        assert tell_rule(first, told=False)
        assert not tell_rule(first, told=True)

    def test_someone_with_a_streak_from_before_is_told_at_their_next_session(self) -> None:
        assert tell_rule(count(day(i) for i in range(9)), told=False)


class TestMilestone:
    def test_each_milestone_once_on_the_day_it_is_reached(self) -> None:
        state, marked = StreakState(), []
        for i in range(40):
            after = count_day(state, day(i))
            marked.append((after.current, milestone(state, after)))
            state = after
        assert [(n, m) for n, m in marked if m is not None] == [(m, m) for m in MILESTONES]

    def test_a_rebuilt_streak_does_not_mark_what_was_reached_before(self) -> None:
        before = count([*(day(i) for i in range(8)), day(20), day(21)])  # 8, then a new 2
        assert (before.current, before.best) == (2, 8)
        after = count_day(before, day(22))
        assert after.current == 3 and milestone(before, after) is None
        rebuilt = count((day(i) for i in range(23, 35)), after)  # on to 15: 14 is new
        steps = [count((day(i) for i in range(23, 23 + k)), after) for k in range(13)]
        marks = [milestone(a, b) for a, b in itertools.pairwise(steps)]
        assert [m for m in marks if m] == [14] and rebuilt.best == 15

    @FAST
    @given(active_days)
    def test_never_the_same_milestone_twice(self, days: list[date]) -> None:
        state, marks = StreakState(), []
        for d in days:
            after = count_day(state, d)
            mark = milestone(state, after)
            if mark is not None:
                assert after.current == mark and after.best == mark
                marks.append(mark)
            state = after
        assert marks == sorted(set(marks))
        assert set(marks) == {m for m in MILESTONES if m <= state.best}


class TestAtRisk:
    def test_the_day_after_a_forgiven_rest_day_is_the_last_chance(self) -> None:
        state = count([day(0), day(1), day(2)])
        assert not at_risk(state, day(2))  # counted today
        assert not at_risk(state, day(3))  # a rest day is still forgiven
        assert at_risk(state, day(4))  # tomorrow would be two days off
        assert not at_risk(state, day(5))  # over: nothing to keep

    def test_with_the_weeks_rest_day_used_every_day_is_the_last_chance(self) -> None:
        state = count([day(0), day(1), day(3), day(4)])  # rested on day 2
        assert at_risk(state, day(5))

    def test_a_single_day_is_not_yet_a_streak_to_lose(self) -> None:
        assert not at_risk(count([day(0)]), day(2))
        assert not at_risk(StreakState(), day(0))

    @FAST
    @given(active_days, st.integers(1, 10))
    def test_a_session_that_day_keeps_it_and_none_ends_it(
        self, days: list[date], ahead: int
    ) -> None:
        state = count(days)
        assert state.last_on is not None
        today = state.last_on + timedelta(days=ahead)
        if at_risk(state, today):
            assert current_streak(state, today + timedelta(days=1)) == 0
            kept = count_day(state, today)
            assert current_streak(kept, today + timedelta(days=1)) == state.current + 1
        elif current_streak(state, today) >= WORTH_KEEPING:
            # Not at risk: a day without a session changes nothing yet.
            assert current_streak(state, today + timedelta(days=1)) == state.current

    @FAST
    @given(active_days)
    def test_every_streak_worth_keeping_has_exactly_one_last_chance_day(
        self, days: list[date]
    ) -> None:
        state = count(days)
        assume(state.current >= WORTH_KEEPING)
        assert state.last_on is not None
        after = [state.last_on + timedelta(days=i) for i in range(1, 5)]
        breaks = next(d for d in after if current_streak(state, d) == 0)
        chances = [d for d in after if d < breaks and at_risk(state, d)]
        assert chances == [breaks - timedelta(days=1)]


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
# Instants near the zones' 2025 daylight-saving changes, around local midnight too.
NEAR_CHANGES = [
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
    datetime(2025, 10, 26, 1, 0, tzinfo=UTC),
    datetime(2025, 3, 9, 7, 0, tzinfo=UTC),
    datetime(2025, 11, 2, 6, 0, tzinfo=UTC),
    datetime(2025, 4, 5, 15, 0, tzinfo=UTC),
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
    datetime(2025, 9, 27, 14, 0, tzinfo=UTC),
]


@FAST
@given(
    st.sampled_from(ZONES),
    st.sampled_from(NEAR_CHANGES),
    st.lists(st.integers(-30 * 60, 30 * 60), min_size=2, max_size=6),
    st.integers(0, 4 * 24 * 60),
)
def test_at_risk_follows_local_days_across_daylight_saving_and_midnight(
    zone_name: str, near: datetime, minutes: list[int], later: int
) -> None:
    """Sessions at local instants around a clock change; "now" a few local days on.

    Whatever the offsets, the rule reads local calendar days: the last chance is the
    local day before the one where the streak would show 0, and a session on that local
    day (whatever its UTC date) keeps it.
    """
    zone = ZoneInfo(zone_name)
    sessions = sorted(near + timedelta(minutes=m) for m in minutes)
    state = count(local_day(at, zone) for at in sessions)
    assume(state.current >= WORTH_KEEPING)
    now = sessions[-1] + timedelta(minutes=later)
    today = local_day(now, zone)
    tomorrow = today + timedelta(days=1)
    risky = at_risk(state, today)
    assert risky == (
        state.last_on is not None
        and state.last_on < today
        and current_streak(state, today) > 0
        and current_streak(state, tomorrow) == 0
    )
    if risky:
        # A session late that evening (just before local midnight) still keeps it.
        late = datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(UTC)
        late -= timedelta(minutes=1)
        assert local_day(late, zone) == today
        assert current_streak(count_day(state, local_day(late, zone)), tomorrow) > 0


class TestEnded:
    def test_told_once_then_not_again(self) -> None:
        state = count(day(i) for i in range(5))
        assert ended(state, day(6), told_on=None) == 0  # a rest day: not over
        assert ended(state, day(7), told_on=None) == 5
        assert ended(state, day(30), told_on=day(4)) == 0  # told already

    def test_a_new_streaks_end_is_told_too(self) -> None:
        state = count([day(0), day(1), day(2), day(10), day(11)])
        assert ended(state, day(14), told_on=day(2)) == 2

    def test_a_single_day_or_nothing_ends_quietly(self) -> None:
        assert ended(count([day(0)]), day(9), told_on=None) == 0
        assert ended(StreakState(), day(9), told_on=None) == 0

    @FAST
    @given(active_days, st.integers(0, 30))
    def test_ended_exactly_when_the_streak_shows_zero(self, days: list[date], ahead: int) -> None:
        state = count(days)
        assert state.last_on is not None
        today = state.last_on + timedelta(days=ahead)
        length = ended(state, today, told_on=None)
        assert length in (0, state.current)
        assert (length > 0) == (
            current_streak(state, today) == 0 and state.current >= WORTH_KEEPING
        )
        assert ended(state, today, told_on=state.last_on) == 0


@pytest.mark.parametrize("n", MILESTONES)
def test_milestones_need_a_new_best(n: int) -> None:
    before = StreakState(current=n - 1, best=n - 1, last_on=day(0))
    assert milestone(before, count_day(before, day(1))) == n
    higher = StreakState(current=n - 1, best=n, last_on=day(0))
    assert milestone(higher, count_day(higher, day(1))) is None
