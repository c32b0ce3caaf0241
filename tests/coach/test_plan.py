"""Session plans: what `/today` and `/stretch` show, in which order, and how much."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.plan import (
    MAX_LEVEL,
    MIN_LEVEL,
    PlannedCard,
    SessionKind,
    SessionPlan,
    apply_level,
    build_mobility,
    build_stretch,
    build_today,
    card_minutes,
    gentler_option,
)
from bot.coach.triage import Phase
from content.schema import Area, Dosage, Equipment, Exercise, Goal
from tests.coach.library import BY_ID, EXERCISES, FAST

DAY = date(2025, 3, 10)
FOCUS = {Area.BACK, Area.ABDOMEN, Area.GLUTES}
EVERYTHING = frozenset(Equipment)


def today(
    allowed: tuple[Exercise, ...] = EXERCISES,
    *,
    day: date = DAY,
    levels: dict[str, int] | None = None,
    resting: frozenset[str] = frozenset(),
    phase: Phase = Phase.STRENGTHENING,
) -> SessionPlan:
    return build_today(allowed, day=day, levels=levels or {}, resting=resting, phase=phase)


def ids(plan: SessionPlan) -> list[str]:
    return [c.exercise_id for c in plan.cards]


def estimate(plan: SessionPlan) -> float:
    return sum(card_minutes(BY_ID[c.exercise_id], c.dosage) for c in plan.cards)


class TestApplyLevel:
    base = Dosage(sets=3, reps=10, hold_seconds=3)

    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            (0, Dosage(sets=3, reps=10, hold_seconds=3)),
            (1, Dosage(sets=3, reps=12, hold_seconds=4)),
            (3, Dosage(sets=3, reps=16, hold_seconds=6)),
            (9, Dosage(sets=3, reps=16, hold_seconds=6)),
            (-1, Dosage(sets=2, reps=10, hold_seconds=3)),
            (-2, Dosage(sets=1, reps=10, hold_seconds=3)),
            (-7, Dosage(sets=1, reps=10, hold_seconds=3)),
        ],
    )
    def test_levels(self, level: int, expected: Dosage) -> None:
        assert apply_level(self.base, level) == expected

    def test_one_set_exercises_ease_through_reps_and_breaths(self) -> None:
        cobra = Dosage(reps=10, hold_breaths=3)
        assert apply_level(cobra, -1) == Dosage(reps=8, hold_breaths=2)
        assert apply_level(Dosage(hold_breaths=5), 2) == Dosage(hold_breaths=7)
        assert apply_level(Dosage(duration_seconds=60, per_side=True), 1).duration_seconds == 70

    @FAST
    @given(
        st.builds(
            Dosage,
            sets=st.integers(1, 5),
            reps=st.none() | st.integers(1, 30),
            hold_seconds=st.none() | st.integers(1, 10),
            hold_breaths=st.none() | st.integers(1, 10),
            duration_seconds=st.none() | st.integers(1, 120),
        ),
        st.integers(-5, 5),
    )
    def test_never_below_one_and_monotone(self, dosage: Dosage, level: int) -> None:
        lower, higher = apply_level(dosage, level), apply_level(dosage, level + 1)
        for field in ("sets", "reps", "hold_seconds", "hold_breaths", "duration_seconds"):
            low, high = getattr(lower, field), getattr(higher, field)
            assert (low is None) == (getattr(dosage, field) is None)
            if low is not None:
                assert 1 <= low <= high
        assert MIN_LEVEL < 0 < MAX_LEVEL


class TestJson:
    def test_plan_round_trips_through_json(self) -> None:
        plan = today()
        stored = json.loads(json.dumps(plan.to_json()))
        assert SessionPlan.from_json(stored) == plan
        card = PlannedCard("superman", "superman_arms_only", Dosage(sets=2, reps=8))
        assert PlannedCard.from_json(json.loads(json.dumps(card.to_json()))) == card


class TestToday:
    def test_shape_warm_up_main_and_cat_cow_to_finish(self) -> None:
        plan = today()
        cards = ids(plan)
        assert plan.kind is SessionKind.TODAY
        assert BY_ID[cards[0]].goal is Goal.STRETCH
        assert cards[-1] == "cat_cow"
        assert 3 <= len(cards) - 2 <= 5
        assert len(set(cards)) == len(cards)
        assert 10 <= plan.minutes <= 20
        assert estimate(plan) <= 20

    def test_same_day_same_plan_and_days_vary(self) -> None:
        assert today() == today()
        week = {tuple(ids(today(day=DAY + timedelta(days=i)))) for i in range(7)}
        assert len(week) >= 3

    def test_resting_exercises_are_left_out(self) -> None:
        resting = frozenset({"cat_cow", "superman", "glute_bridge"})
        for offset in range(7):
            assert resting.isdisjoint(ids(today(day=DAY + timedelta(days=offset), resting=resting)))

    def test_levels_change_the_dose(self) -> None:
        only = (BY_ID["forward_bend"], BY_ID["glute_bridge"], BY_ID["cat_cow"])
        plan = today(only, levels={"glute_bridge": 2}, phase=Phase.GENTLE)
        bridge = next(c for c in plan.cards if c.exercise_id == "glute_bridge")
        assert bridge.dosage.reps == 16

    def test_gentle_session_with_real_like_content(self) -> None:
        gentle = tuple(e for e in EXERCISES if e.gentle and e.id != "glute_roll")
        plan = today(gentle, phase=Phase.GENTLE)
        assert ids(plan)[0] == "forward_bend" and ids(plan)[-1] == "cat_cow"
        assert set(ids(plan)) == {e.id for e in gentle}

    def test_nothing_allowed_means_an_empty_plan(self) -> None:
        plan = today(())
        assert plan.cards == () and plan.minutes == 0

    def test_main_exercises_are_grouped_by_position(self) -> None:
        for offset in range(7):
            cards = [BY_ID[i] for i in ids(today(day=DAY + timedelta(days=offset)))]
            main = cards[1:-1]
            positions = [e.position for e in main]
            # each position appears in one run: no getting up and down again
            runs = [p for i, p in enumerate(positions) if i == 0 or positions[i - 1] != p]
            assert len(runs) == len(set(runs))

    @FAST
    @given(
        st.sets(st.sampled_from(sorted(BY_ID)), min_size=1),
        st.sets(st.sampled_from(sorted(BY_ID))),
        st.sampled_from(Phase),
        st.dates(date(2020, 1, 1), date(2035, 1, 1)),
    )
    def test_any_week_covers_back_abdomen_and_glutes(
        self, allowed_ids: set[str], resting: set[str], phase: Phase, start: date
    ) -> None:
        allowed = tuple(e for e in EXERCISES if e.id in allowed_ids)
        candidates = [e for e in allowed if e.id not in resting]
        coverable = FOCUS & {a for e in candidates for a in e.areas}
        covered: set[Area] = set()
        for offset in range(7):
            plan = today(
                allowed, day=start + timedelta(days=offset), resting=frozenset(resting), phase=phase
            )
            cards = ids(plan)
            assert len(set(cards)) == len(cards)
            assert set(cards) <= {e.id for e in candidates}
            assert bool(cards) == bool(candidates)
            if "cat_cow" in cards:
                assert cards[-1] == "cat_cow"
            assert estimate(plan) <= 20
            covered |= {a for i in cards for a in BY_ID[i].areas}
        assert coverable <= covered


class TestStretch:
    def test_order_one_set_and_a_few_minutes(self) -> None:
        plan = build_stretch(EXERCISES, equipment=EVERYTHING, levels={})
        assert plan.kind is SessionKind.STRETCH
        assert ids(plan) == ["forward_bend", "glute_roll", "cobra", "cat_cow"]
        assert all(c.dosage.sets == 1 for c in plan.cards)
        assert 3 <= plan.minutes <= 5

    def test_roller_only_with_a_roller(self) -> None:
        plan = build_stretch(EXERCISES, equipment=frozenset({Equipment.MAT}), levels={})
        assert ids(plan) == ["forward_bend", "cobra", "cat_cow"]

    def test_short_gentle_routine_still_lasts_a_few_minutes(self) -> None:
        gentle = tuple(e for e in EXERCISES if e.gentle)
        plan = build_stretch(gentle, equipment=frozenset(), levels={})
        assert ids(plan) == ["forward_bend", "cat_cow"]
        assert 3 <= estimate(plan) <= 5

    def test_nothing_allowed_means_no_routine(self) -> None:
        assert build_stretch((), equipment=EVERYTHING, levels={}).cards == ()

    @FAST
    @given(st.sets(st.sampled_from(sorted(BY_ID))), st.frozensets(st.sampled_from(Equipment)))
    def test_never_longer_than_five_minutes(
        self, allowed_ids: set[str], equipment: frozenset[Equipment]
    ) -> None:
        allowed = tuple(e for e in EXERCISES if e.id in allowed_ids)
        plan = build_stretch(allowed, equipment=equipment, levels={})
        assert plan.minutes <= 5
        assert all(BY_ID[i].in_stretch_routine for i in ids(plan))


class TestMobility:
    """Severe pain: about five minutes of mobility only."""

    def test_forward_bend_glute_roll_and_cat_cow_with_a_roller(self) -> None:
        plan = build_mobility(EXERCISES, equipment=EVERYTHING, levels={})
        assert plan.kind is SessionKind.TODAY
        assert ids(plan) == ["forward_bend", "glute_roll", "cat_cow"]
        assert 4 <= estimate(plan) <= 5 and plan.minutes == 5

    def test_without_a_roller_the_two_stretches_still_last_about_five_minutes(self) -> None:
        plan = build_mobility(EXERCISES, equipment=frozenset({Equipment.MAT}), levels={})
        assert ids(plan) == ["forward_bend", "cat_cow"]
        assert 4 <= estimate(plan) <= 5

    def test_resting_exercises_are_left_out(self) -> None:
        plan = build_mobility(
            EXERCISES, equipment=EVERYTHING, levels={}, resting=frozenset({"cat_cow"})
        )
        assert ids(plan) == ["forward_bend", "glute_roll"]

    @FAST
    @given(st.sets(st.sampled_from(sorted(BY_ID))), st.frozensets(st.sampled_from(Equipment)))
    def test_only_mobility_and_never_more_than_five_minutes(
        self, allowed_ids: set[str], equipment: frozenset[Equipment]
    ) -> None:
        allowed = tuple(e for e in EXERCISES if e.id in allowed_ids)
        plan = build_mobility(allowed, equipment=equipment, levels={})
        assert all(BY_ID[i].mobility for i in ids(plan))
        assert plan.minutes <= 5


class TestGentler:
    """After "It hurts": a different gentle exercise, never the same one nor its variant."""

    def test_a_hurting_forward_bend_is_never_offered_again_as_soft_knees(self) -> None:
        option = gentler_option(
            BY_ID["forward_bend"],
            EXERCISES,
            shown_ids={"forward_bend"},
            later_ids={"superman", "cat_cow"},
        )
        assert option is not None
        assert option.exercise_id != "forward_bend" and option.variant_id is None
        assert BY_ID[option.exercise_id].gentle

    def test_a_gentle_exercise_for_the_same_area_not_in_the_plan_one_set(self) -> None:
        option = gentler_option(
            BY_ID["chest_lift"],
            EXERCISES,
            shown_ids={"forward_bend", "chest_lift"},
            later_ids={"cat_cow"},
        )
        assert option is not None
        assert option.exercise_id in {"glute_bridge", "bird_dog"}
        assert option.dosage.sets == 1

    def test_one_planned_later_when_nothing_else_fits(self) -> None:
        allowed = (BY_ID["superman"], BY_ID["glute_bridge"], BY_ID["cat_cow"])
        option = gentler_option(
            BY_ID["superman"], allowed, shown_ids={"superman"}, later_ids={"glute_bridge"}
        )
        assert option is not None and option.exercise_id in {"glute_bridge", "cat_cow"}
        option = gentler_option(
            BY_ID["superman"],
            allowed,
            shown_ids={"superman", "cat_cow"},
            later_ids={"glute_bridge"},
        )
        assert option is not None and option.exercise_id == "glute_bridge"

    def test_none_when_nothing_fits(self) -> None:
        allowed = (BY_ID["superman"], BY_ID["glute_bridge"])
        option = gentler_option(BY_ID["superman"], allowed, shown_ids={"superman", "glute_bridge"})
        assert option is None


@FAST
@given(
    st.sampled_from(EXERCISES),
    st.sets(st.sampled_from(sorted(BY_ID))),
    st.sets(st.sampled_from(sorted(BY_ID))),
    st.sets(st.sampled_from(sorted(BY_ID))),
)
def test_the_gentler_option_is_never_the_exercise_that_hurt(
    hurt: Exercise, allowed_ids: set[str], shown: set[str], later: set[str]
) -> None:
    allowed = tuple(e for e in EXERCISES if e.id in allowed_ids)
    option = gentler_option(hurt, allowed, shown_ids=shown, later_ids=later)
    if option is None:
        assert not [e for e in allowed if e.gentle and e.id not in shown | {hurt.id}]
        return
    other = BY_ID[option.exercise_id]
    assert other.id != hurt.id and option.variant_id is None
    assert other.gentle and other.id in allowed_ids and other.id not in shown
    if option.exercise_id in later:
        assert all(e.id in later for e in allowed if e.gentle and e.id not in shown | {hurt.id})
