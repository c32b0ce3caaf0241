"""The weekly trend: harder when better for a while, gentler at once when worse, GP at six weeks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.trend import (
    PhaseMark,
    Point,
    TrendDecision,
    clearly_improved,
    decide,
    gentler_phase,
    next_phase,
    points_from_history,
    trend_series,
)
from bot.coach.triage import Phase
from tests.coach.library import FAST

BASE = date(2025, 3, 3)  # a Monday: the baseline


def weekly(*pains: int, function: int | None = 5, start_pain: int = 6) -> list[Point]:
    """A baseline at ``start_pain`` and one weekly check-in per pain, a week apart."""
    points = [Point(BASE, start_pain, function)]
    points += [Point(BASE + timedelta(weeks=i + 1), pain, function) for i, pain in enumerate(pains)]
    return points


def run(
    points: Sequence[Point],
    *,
    phase: Phase = Phase.BUILDING,
    hurt_days_ago: int | None = None,
    feelings: Sequence[str] = (),
    gp_suggested: bool = False,
    phase_since: date | None = None,
) -> TrendDecision:
    today = points[-1].on if points else BASE
    hurt = None if hurt_days_ago is None else today - timedelta(days=hurt_days_ago)
    return decide(
        points,
        phase=phase,
        last_hurt_on=hurt,
        recent_feelings=feelings,
        today=today,
        gp_suggested=gp_suggested,
        phase_since=phase_since,
    )


class TestPhases:
    @pytest.mark.parametrize(
        ("phase", "harder", "gentler"),
        [
            (Phase.GENTLE, Phase.BUILDING, None),
            (Phase.BUILDING, Phase.STRENGTHENING, Phase.GENTLE),
            (Phase.STRENGTHENING, None, Phase.BUILDING),
        ],
    )
    def test_one_step_each_way(
        self, phase: Phase, harder: Phase | None, gentler: Phase | None
    ) -> None:
        assert next_phase(phase) == harder
        assert gentler_phase(phase) == gentler


class TestClearlyImproved:
    @pytest.mark.parametrize(
        ("before", "after", "improved"),
        [
            (6, 4, True),  # exactly 2 points
            (6, 5, False),  # 1 point, 17 %
            (3, 2, True),  # 1 point but 33 %
            (4, 3, False),  # 1 point, 25 %
            (10, 7, True),  # exactly 30 %
            (10, 8, True),  # 20 % but 2 points
            (2, 1, True),  # 50 %
            (0, 0, False),  # nothing to improve
            (5, 6, False),
            (5, None, False),
            (None, 3, False),
        ],
    )
    def test_two_points_or_thirty_percent(
        self, before: int | None, after: int | None, improved: bool
    ) -> None:
        assert clearly_improved(before, after) is improved


class TestNextPhase:
    @pytest.mark.parametrize(
        ("pains", "offered"),
        [
            ((4, 4), True),  # exactly 2 below, twice
            ((3, 2), True),
            ((4, 5), False),  # the latest only 1 below
            ((5, 4), False),  # the one before only 1 below
            ((4,), False),  # only one weekly check-in
            ((6, 4, 4), True),  # the last two count
            ((4, 5, 4), False),  # not in a row
        ],
    )
    def test_two_weekly_check_ins_in_a_row_two_points_down(
        self, pains: tuple[int, ...], offered: bool
    ) -> None:
        decision = run(weekly(*pains))
        assert decision.next_phase == (Phase.STRENGTHENING if offered else None)

    @pytest.mark.parametrize(
        ("hurt_days_ago", "offered"),
        [(None, True), (0, False), (13, False), (14, True), (30, True)],
    )
    def test_no_it_hurts_in_the_last_14_days(
        self, hurt_days_ago: int | None, offered: bool
    ) -> None:
        decision = run(weekly(4, 4), hurt_days_ago=hurt_days_ago)
        assert (decision.next_phase is not None) is offered

    def test_gentle_is_offered_building(self) -> None:
        assert run(weekly(4, 4), phase=Phase.GENTLE).next_phase == Phase.BUILDING

    def test_nothing_harder_than_strengthening(self) -> None:
        decision = run(weekly(4, 4), phase=Phase.STRENGTHENING)
        assert decision.next_phase is None
        assert not decision.celebrate  # 4 was celebrated last week; no new low

    def test_a_new_phase_is_tried_two_weeks_before_the_next_offer(self) -> None:
        points = weekly(4, 4, 4)
        moved_on = points[2].on  # stepped up after the second weekly check-in
        decision = run(points, phase=Phase.BUILDING, phase_since=moved_on)
        assert decision.next_phase is None  # only one check-in since the move
        later = weekly(4, 4, 4, 4)
        decision = run(later, phase=Phase.BUILDING, phase_since=moved_on)
        assert decision.next_phase == Phase.STRENGTHENING

    @pytest.mark.parametrize(
        ("pains", "feelings"),
        [
            ((3, 4), ()),  # pain rose since last week, though still 2 below the baseline
            ((4, 4), ("better", "worse")),  # the last session felt worse
        ],
    )
    def test_never_harder_on_a_wobble(
        self, pains: tuple[int, ...], feelings: tuple[str, ...]
    ) -> None:
        decision = run(weekly(*pains), feelings=feelings)
        assert decision.next_phase is None
        assert decision.gentler_phase is None
        assert not decision.celebrate  # no new low this week

    def test_each_new_low_is_celebrated_once(self) -> None:
        assert [
            run(weekly(*pains)).celebrate for pains in ((5,), (5, 4), (5, 4, 4), (5, 4, 4, 3))
        ] == [
            False,
            True,
            False,
            True,
        ]

    def test_a_worse_feeling_long_ago_does_not_hold_it_back(self) -> None:
        assert run(weekly(4, 4), feelings=("worse", "better", "same")).next_phase is not None


class TestGentler:
    @pytest.mark.parametrize(
        ("pains", "gentler"),
        [
            ((8,), True),  # exactly 2 above the baseline
            ((7,), False),  # 1 above
            ((10,), True),
            ((8, 7), False),  # the latest counts, not an earlier one
            ((4, 8), True),
        ],
    )
    def test_pain_two_points_above_the_baseline(
        self, pains: tuple[int, ...], gentler: bool
    ) -> None:
        decision = run(weekly(*pains))
        assert decision.gentler_phase == (Phase.GENTLE if gentler else None)
        assert decision.recheck is gentler

    @pytest.mark.parametrize(
        ("feelings", "gentler"),
        [
            (("worse", "worse"), True),
            (("better", "worse", "worse"), True),
            (("worse", "same", "worse"), False),  # not in a row
            (("worse", "worse", "better"), False),  # the last two count
            (("worse",), False),
            ((), False),
        ],
    )
    def test_two_worse_feelings_in_a_row(self, feelings: tuple[str, ...], gentler: bool) -> None:
        decision = run(weekly(6), feelings=feelings, phase=Phase.STRENGTHENING)
        assert decision.gentler_phase == (Phase.BUILDING if gentler else None)
        assert decision.recheck is gentler

    def test_two_worse_feelings_move_gentler_even_before_a_weekly_check_in(self) -> None:
        decision = run(weekly(), feelings=("worse", "worse"))
        assert (decision.gentler_phase, decision.recheck) == (Phase.GENTLE, True)

    def test_already_gentle_still_rechecks_the_safety_questions(self) -> None:
        decision = run(weekly(9), phase=Phase.GENTLE)
        assert (decision.gentler_phase, decision.recheck) == (None, True)

    def test_worse_wins_over_better(self) -> None:
        # Two check-ins well below the baseline, but the last two sessions felt worse.
        decision = run(weekly(3, 3), feelings=("worse", "worse"))
        assert decision.gentler_phase == Phase.GENTLE
        assert decision.next_phase is None
        assert not decision.celebrate


class TestSeeGp:
    @pytest.mark.parametrize(
        ("days", "suggested"), [(41, False), (42, True), (43, True), (90, True)]
    )
    def test_six_weeks_without_improvement(self, days: int, suggested: bool) -> None:
        points = [Point(BASE, 6, 6), Point(BASE + timedelta(days=days), 5, 5)]
        assert run(points).see_gp is suggested

    @pytest.mark.parametrize(
        ("pain", "function", "suggested"),
        [
            (5, 5, True),  # 1 point each: not clearly better
            (4, 6, False),  # pain 2 points down
            (6, 4, False),  # function 2 points down
            (6, None, True),  # function unanswered, pain unchanged
            (7, 7, True),
        ],
    )
    def test_pain_or_function_improvement_counts(
        self, pain: int, function: int | None, suggested: bool
    ) -> None:
        points = [Point(BASE, 6, 6), Point(BASE + timedelta(weeks=6), pain, function)]
        assert run(points).see_gp is suggested

    def test_thirty_percent_of_a_small_baseline_counts(self) -> None:
        points = [Point(BASE, 3, 3), Point(BASE + timedelta(weeks=6), 2, 3)]
        assert not run(points).see_gp

    def test_mild_figures_need_no_gp(self) -> None:
        points = [Point(BASE, 2, 2), Point(BASE + timedelta(weeks=6), 2, 2)]
        assert not run(points).see_gp

    def test_only_once(self) -> None:
        points = [Point(BASE, 6, 6), Point(BASE + timedelta(weeks=7), 6, 6)]
        assert run(points).see_gp
        assert not run(points, gp_suggested=True).see_gp

    def test_with_worse_pain_both_gentler_and_gp(self) -> None:
        points = [Point(BASE, 5, 5), Point(BASE + timedelta(weeks=6), 8, 8)]
        decision = run(points)
        assert (decision.gentler_phase, decision.recheck, decision.see_gp) == (
            Phase.GENTLE,
            True,
            True,
        )


class TestCelebrate:
    @pytest.mark.parametrize(
        ("start", "latest", "celebrate"),
        [
            (6, 3, True),
            (6, 4, True),  # exactly 2 points
            (6, 5, False),  # 1 point
            (3, 2, True),  # 33 %
            (4, 3, False),  # 25 %
            (0, 0, False),
        ],
    )
    def test_a_clear_improvement_at_the_latest_check_in(
        self, start: int, latest: int, celebrate: bool
    ) -> None:
        decision = run(weekly(latest, start_pain=start))
        assert decision.celebrate is celebrate
        assert decision.baseline is not None and decision.latest is not None
        assert (decision.baseline.pain, decision.latest.pain) == (start, latest)

    def test_the_baseline_alone_is_nothing_to_celebrate(self) -> None:
        assert run(weekly()) == TrendDecision(baseline=weekly()[0], latest=weekly()[0])

    def test_no_points_decide_nothing(self) -> None:
        assert (
            decide(
                [],
                phase=Phase.BUILDING,
                last_hurt_on=None,
                recent_feelings=(),
                today=BASE,
                gp_suggested=False,
            )
            == TrendDecision()
        )


class TestHistory:
    def test_from_the_newest_baseline_skipping_unanswered_pain(self) -> None:
        rows = [
            ("weekly", BASE - timedelta(days=7), 9, 9),  # before any baseline
            ("baseline", BASE, 7, 6),
            ("weekly", BASE + timedelta(weeks=1), None, None),
            ("weekly", BASE + timedelta(weeks=2), 5, None),
        ]
        assert points_from_history(rows) == [
            Point(BASE, 7, 6),
            Point(BASE + timedelta(weeks=2), 5, None),
        ]
        again = [*rows, ("baseline", BASE + timedelta(weeks=3), 4, 4)]
        assert points_from_history(again) == [Point(BASE + timedelta(weeks=3), 4, 4)]


class TestSeries:
    def test_weeks_since_the_baseline_and_the_phase_changes(self) -> None:
        points = weekly(5, 4, 4)
        marks = [
            PhaseMark(BASE - timedelta(days=3), Phase.GENTLE, Phase.BUILDING),  # before: left out
            PhaseMark(BASE + timedelta(days=22), Phase.BUILDING, Phase.STRENGTHENING),
        ]
        series = trend_series(points, marks)
        assert series is not None
        assert series.weeks == (0.0, 1.0, 2.0, 3.0)
        assert series.pain == (6, 5, 4, 4)
        assert series.baseline_pain == 6
        assert [(x, m.harder) for x, m in series.marks] == [(22 / 7, True)]
        assert series.span == 4  # the change after the last check-in widens the axis

    def test_nothing_to_plot_without_points(self) -> None:
        assert trend_series([]) is None

    def test_a_gentler_change_is_not_harder(self) -> None:
        assert not PhaseMark(BASE, Phase.BUILDING, Phase.GENTLE).harder


score = st.integers(min_value=0, max_value=10)
point_lists = st.lists(
    st.tuples(st.integers(min_value=1, max_value=21), score, st.none() | score),
    min_size=0,
    max_size=12,
).map(
    lambda rows: [
        Point(BASE + timedelta(days=sum(gap for gap, _, _ in rows[: i + 1])), pain, function)
        for i, (_, pain, function) in enumerate(rows)
    ]
)
feelings = st.lists(st.sampled_from(["better", "same", "worse"]), max_size=6)


@FAST
@given(
    points=point_lists,
    phase=st.sampled_from(list(Phase)),
    hurt=st.none() | st.integers(min_value=0, max_value=60),
    recent=feelings,
    gp_suggested=st.booleans(),
)
def test_the_rules_never_contradict_each_other(
    points: list[Point],
    phase: Phase,
    hurt: int | None,
    recent: list[str],
    gp_suggested: bool,
) -> None:
    decision = run(
        points, phase=phase, hurt_days_ago=hurt, feelings=recent, gp_suggested=gp_suggested
    )
    # Never both ways, never harder while it hurts or is getting worse.
    assert decision.next_phase is None or decision.gentler_phase is None
    if decision.next_phase is not None:
        assert not decision.recheck
        assert points[-1].pain < points[0].pain
        assert not recent or recent[-1] != "worse"
        assert hurt is None or hurt >= 14
        assert decision.next_phase == next_phase(phase)
    if points and len(points) >= 2 and points[-1].pain > points[0].pain:
        assert decision.next_phase is None
    if decision.gentler_phase is not None:
        assert decision.recheck and decision.gentler_phase == gentler_phase(phase)
    if decision.recheck:
        assert not decision.celebrate
    if decision.see_gp:
        assert not gp_suggested and not decision.celebrate and decision.next_phase is None
        assert (points[-1].on - points[0].on).days >= 42
    if gp_suggested:
        assert not decision.see_gp
