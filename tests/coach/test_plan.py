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
    build_stretch,
    build_today,
    card_minutes,
    gentler_option,
)
from bot.coach.triage import Phase
from content.schema import Area, Dosage, Equipment, Exercise, Goal
from tests.coach.factory import BY_ID, EXERCISES, FAST

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
        gentle = tuple(e for e in EXERCISES if e.gentle)
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


class TestGentler:
    def test_easier_variant_first(self) -> None:
        card = PlannedCard("superman", None, Dosage(sets=3, reps=10, hold_seconds=3))
        option = gentler_option(card, BY_ID["superman"], EXERCISES, {"superman"})
        assert option == PlannedCard("superman", "superman_arms_only", card.dosage)

    def test_then_a_gentle_exercise_for_the_same_area_not_used_yet(self) -> None:
        card = PlannedCard("chest_lift", None, BY_ID["chest_lift"].dosage)
        used = {"chest_lift", "forward_bend", "cat_cow"}
        option = gentler_option(card, BY_ID["chest_lift"], EXERCISES, used)
        assert option is not None
        assert option.exercise_id in {"glute_bridge", "bird_dog"}
        assert BY_ID[option.exercise_id].gentle

    def test_none_when_nothing_fits(self) -> None:
        card = PlannedCard("superman", "superman_arms_only", Dosage())
        allowed = (BY_ID["superman"], BY_ID["glute_bridge"])
        assert (
            gentler_option(card, BY_ID["superman"], allowed, {"superman", "glute_bridge"}) is None
        )


@FAST
@given(
    st.sampled_from(EXERCISES),
    st.sets(st.sampled_from(sorted(BY_ID))),
    st.sets(st.sampled_from(sorted(BY_ID))),
    st.booleans(),
)
def test_a_gentler_option_is_easier_or_gentle_and_new(
    exercise: Exercise, allowed_ids: set[str], used: set[str], on_variant: bool
) -> None:
    variant = exercise.variants[0].id if on_variant and exercise.variants else None
    card = PlannedCard(exercise.id, variant, exercise.dosage)
    allowed = tuple(e for e in EXERCISES if e.id in allowed_ids)
    option = gentler_option(card, exercise, allowed, used)
    if option is None:
        return
    if option.exercise_id == exercise.id:
        assert variant is None
        assert any(v.id == option.variant_id and v.kind == "easier" for v in exercise.variants)
    else:
        other = BY_ID[option.exercise_id]
        assert other.gentle and other.id in allowed_ids and other.id not in used
        assert set(other.areas) & set(exercise.areas)
