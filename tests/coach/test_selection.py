"""Which exercises a user gets: weights, hard work, severe pain and pregnancy (issue 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.plan import build_mobility, build_stretch, build_today
from bot.coach.selection import (
    TrainingRecord,
    mobility_only,
    session_exercises,
    weights_allowed,
    weights_possible,
)
from bot.coach.triage import (
    Experience,
    PainDuration,
    Phase,
    TriageAnswers,
    allowed_exercises,
    choose_phase,
)
from content.schema import Difficulty, Equipment, Position
from tests.coach.library import EXERCISES, FAST

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
EVERYTHING = frozenset(Equipment)
# Six finished sessions, nothing hurt, pain answered yesterday.
READY = TrainingRecord(
    finished_sessions=6, last_hurt_on=None, pain_answered_at=NOW - timedelta(days=1)
)


def offered(answers: TriageAnswers, record: TrainingRecord = READY) -> set[str]:
    """The exercise ids a session may use for this user today."""
    phase = choose_phase(answers)
    return {
        e.id for e in session_exercises(answers, phase, EXERCISES, record, now=NOW, today=TODAY)
    }


def user(
    pain: int = 0,
    experience: Experience = Experience.REGULAR,
    equipment: frozenset[Equipment] = EVERYTHING,
    **extra: object,
) -> TriageAnswers:
    return TriageAnswers(
        pain_now=pain,
        pain_duration=PainDuration.WEEKS,
        experience=experience,
        equipment=equipment,
        **extra,  # type: ignore[arg-type]
    )


class TestWeights:
    """The kettlebell: regular exercisers at pain 0 with six calm sessions and a fresh answer."""

    def test_pain_0_now_and_then_with_a_weight_gets_no_kettlebell_on_day_one(self) -> None:
        day_one = TrainingRecord(pain_answered_at=NOW)
        assert "kettlebell_lift" not in offered(user(experience=Experience.SOME), day_one)
        assert "kettlebell_lift" not in offered(user(), day_one)

    def test_a_ready_regular_exerciser_gets_it(self) -> None:
        assert "kettlebell_lift" in offered(user())

    @pytest.mark.parametrize("pain", range(11))
    @pytest.mark.parametrize("experience", list(Experience))
    @pytest.mark.parametrize("owns_weight", [True, False])
    @pytest.mark.parametrize(
        ("history", "ready"),
        [
            (READY, True),
            (TrainingRecord(5, None, NOW - timedelta(days=1)), False),
            (TrainingRecord(40, TODAY - timedelta(days=13), NOW - timedelta(days=1)), False),
            (TrainingRecord(40, TODAY - timedelta(days=14), NOW - timedelta(days=1)), True),
            (TrainingRecord(40, None, NOW - timedelta(days=6, hours=23)), True),
            (TrainingRecord(40, None, NOW - timedelta(days=7)), False),
            (TrainingRecord(40, None, None), False),
        ],
        ids=["ready", "5-sessions", "hurt-13d", "hurt-14d", "answer-6d", "answer-7d", "no-answer"],
    )
    def test_rule_table(
        self,
        pain: int,
        experience: Experience,
        owns_weight: bool,
        history: TrainingRecord,
        ready: bool,
    ) -> None:
        equipment = EVERYTHING if owns_weight else EVERYTHING - {Equipment.WEIGHT}
        answers = user(pain, experience, equipment)
        expected = ready and pain == 0 and experience is Experience.REGULAR and owns_weight
        assert ("kettlebell_lift" in offered(answers, history)) is expected
        assert weights_allowed(answers, history, now=NOW, today=TODAY) is (
            ready and pain == 0 and experience is Experience.REGULAR
        )
        if expected:
            assert weights_possible(answers)

    def test_the_triage_summary_never_offers_weights(self) -> None:
        answers = user()
        assert all(
            not e.weighted for e in allowed_exercises(answers, choose_phase(answers), EXERCISES)
        )


class TestHard:
    """Mountain climber and ball back extension: only at pain 0."""

    @pytest.mark.parametrize("pain", range(11))
    def test_hard_only_at_pain_0(self, pain: int) -> None:
        hard = {"mountain_climber", "ball_back_extension"}
        got = offered(user(pain))
        assert (hard <= got) is (pain == 0)
        if pain:
            assert not hard & got

    def test_pain_1_regular_keeps_strengthening_without_the_mountain_climber(self) -> None:
        answers = user(1)
        assert choose_phase(answers) is Phase.STRENGTHENING
        got = offered(answers)
        assert "mountain_climber" not in got and "superman" in got


class TestSeverePain:
    """Pain 7-10: the forward bend, cat-cow, and the glute roll with a roller."""

    @pytest.mark.parametrize("pain", range(7, 11))
    @pytest.mark.parametrize("experience", list(Experience))
    def test_mobility_only(self, pain: int, experience: Experience) -> None:
        assert mobility_only(user(pain, experience))
        assert offered(user(pain, experience)) == {"forward_bend", "cat_cow", "glute_roll"}
        no_roller = user(pain, experience, frozenset({Equipment.MAT}))
        assert offered(no_roller) == {"forward_bend", "cat_cow"}

    def test_about_five_minutes_of_mobility(self) -> None:
        answers = user(8)
        allowed = session_exercises(
            answers, choose_phase(answers), EXERCISES, READY, now=NOW, today=TODAY
        )
        plan = build_mobility(allowed, equipment=answers.equipment, levels={})
        assert [c.exercise_id for c in plan.cards] == ["forward_bend", "glute_roll", "cat_cow"]
        assert plan.minutes == 5

    @pytest.mark.parametrize("pain", range(7))
    def test_below_seven_it_is_not_mobility_only(self, pain: int) -> None:
        assert not mobility_only(user(pain))


class TestPregnancy:
    def test_nothing_lying_on_the_stomach(self) -> None:
        got = offered(user(pregnant=True))
        prone = {e.id for e in EXERCISES if e.position is Position.PRONE}
        assert prone and not prone & got
        assert "glute_bridge" in got  # lying on the back is fine


answers_any = st.builds(
    TriageAnswers,
    pain_now=st.integers(0, 10),
    pain_duration=st.sampled_from(PainDuration),
    experience=st.sampled_from(Experience),
    equipment=st.frozensets(st.sampled_from(Equipment)),
    pregnant=st.booleans(),
)
records = st.builds(
    TrainingRecord,
    finished_sessions=st.integers(0, 50),
    last_hurt_on=st.none() | st.dates(date(2024, 1, 1), TODAY),
    pain_answered_at=st.none()
    | st.datetimes(datetime(2024, 1, 1), datetime(2025, 3, 10), timezones=st.just(UTC)),
)


@FAST
@given(answers_any, records, st.sampled_from(Phase), st.dates(date(2024, 1, 1), TODAY))
def test_no_plan_in_pain_ever_holds_hard_or_weighted_work(
    answers: TriageAnswers, record: TrainingRecord, phase: Phase, day: date
) -> None:
    allowed = session_exercises(answers, phase, EXERCISES, record, now=NOW, today=TODAY)
    plans = [
        build_today(allowed, day=day, levels={}, resting=frozenset(), phase=phase),
        build_stretch(allowed, equipment=answers.equipment, levels={}),
        build_mobility(allowed, equipment=answers.equipment, levels={}),
    ]
    by_id = {e.id: e for e in EXERCISES}
    used = [by_id[c.exercise_id] for plan in plans for c in plan.cards]
    if answers.pain_now >= 1:
        assert not any(e.weighted or e.difficulty is Difficulty.HARD for e in used)
    if answers.experience is not Experience.REGULAR:
        assert not any(e.weighted for e in used)
    if answers.pain_now >= 7:
        assert all(e.mobility for e in used)
    if answers.pregnant:
        assert not any(e.position is Position.PRONE for e in used)
