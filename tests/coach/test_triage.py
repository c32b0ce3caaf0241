"""Triage decisions: red flags, phase, and which exercises a user may be offered."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.plan import build_stretch, build_today
from bot.coach.triage import (
    Advice,
    Experience,
    PainDuration,
    Phase,
    RedFlagLevel,
    TriageAnswers,
    advice_texts,
    allowed_exercises,
    assess,
    choose_phase,
    exercise_blocked,
    red_flag_level,
    required_equipment,
)
from content.schema import Difficulty, Equipment
from tests.coach.factory import (
    ANY_ANSWERS,
    CONTRA_IDS,
    EXERCISES,
    FAST,
    FLAG_IDS,
    RULES,
    answers_strategy,
)

ALL_EQUIPMENT = frozenset(Equipment)
DAY = date(2025, 3, 10)


def ids(answers: TriageAnswers, phase: Phase | None = None) -> set[str]:
    return {e.id for e in allowed_exercises(answers, phase or choose_phase(answers), EXERCISES)}


def plans(answers: TriageAnswers) -> tuple[set[str], set[str]]:
    outcome = assess(answers, RULES, EXERCISES)
    today = build_today(
        outcome.allowed, day=DAY, levels={}, resting=frozenset(), phase=outcome.phase
    )
    stretch = build_stretch(outcome.allowed, equipment=answers.equipment, levels={})
    return {c.exercise_id for c in today.cards}, {c.exercise_id for c in stretch.cards}


class TestRedFlags:
    def test_no_flags_is_none(self) -> None:
        assert red_flag_level(frozenset(), RULES) is RedFlagLevel.NONE

    def test_a_non_emergency_flag_means_see_a_doctor_soon(self) -> None:
        assert red_flag_level({"trauma"}, RULES) is RedFlagLevel.SAME_DAY
        assert red_flag_level({"weight_loss"}, RULES) is RedFlagLevel.SOON

    def test_any_emergency_flag_wins(self) -> None:
        assert red_flag_level({"trauma", "bladder_bowel"}, RULES) is RedFlagLevel.EMERGENCY

    def test_an_unknown_flag_still_sends_to_a_doctor(self) -> None:
        assert red_flag_level({"retired_question"}, RULES) is RedFlagLevel.SOON

    @pytest.mark.parametrize(
        ("answers", "blocked"),
        [
            (TriageAnswers(), False),
            (TriageAnswers(red_flags=frozenset({"trauma"})), True),
            (TriageAnswers(contraindications=frozenset({"herniated_disc"})), True),
            (TriageAnswers(red_flags=frozenset({"trauma"}), cleared=frozenset({"trauma"})), False),
            (
                TriageAnswers(
                    contraindications=frozenset({"spine_fracture"}),
                    cleared=frozenset({"spine_fracture"}),
                ),
                False,
            ),
            # A clearance covers the flags it names, not one reported after it.
            (
                TriageAnswers(
                    red_flags=frozenset({"trauma", "fever_unwell"}), cleared=frozenset({"trauma"})
                ),
                True,
            ),
        ],
    )
    def test_blocked_until_a_doctor_clears(self, answers: TriageAnswers, blocked: bool) -> None:
        assert exercise_blocked(answers) is blocked
        assert (ids(answers) == set()) is blocked

    def test_pain_outside_the_scale_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="pain_now"):
            TriageAnswers(pain_now=11)


class TestPhase:
    @pytest.mark.parametrize(
        ("pain", "duration", "experience", "phase"),
        [
            (6, PainDuration.MONTHS, Experience.REGULAR, Phase.GENTLE),
            (10, PainDuration.WEEKS, Experience.SOME, Phase.GENTLE),
            (4, PainDuration.DAYS, Experience.REGULAR, Phase.GENTLE),
            (3, PainDuration.DAYS, Experience.REGULAR, Phase.BUILDING),
            (4, PainDuration.WEEKS, Experience.REGULAR, Phase.BUILDING),
            (5, PainDuration.MONTHS, Experience.SOME, Phase.BUILDING),
            (0, PainDuration.MONTHS, Experience.NEW, Phase.BUILDING),
            (2, PainDuration.DAYS, Experience.SOME, Phase.BUILDING),
            (2, PainDuration.DAYS, Experience.REGULAR, Phase.STRENGTHENING),
            (0, PainDuration.WEEKS, Experience.REGULAR, Phase.STRENGTHENING),
        ],
    )
    def test_rule_table(
        self, pain: int, duration: PainDuration, experience: Experience, phase: Phase
    ) -> None:
        answers = TriageAnswers(pain_now=pain, pain_duration=duration, experience=experience)
        assert choose_phase(answers) is phase

    def test_cleared_contraindication_starts_gentle(self) -> None:
        answers = TriageAnswers(
            contraindications=frozenset({"herniated_disc"}),
            experience=Experience.REGULAR,
            cleared=frozenset({"herniated_disc"}),
        )
        assert choose_phase(answers) is Phase.GENTLE
        assert ids(answers) == {"glute_bridge", "bird_dog", "forward_bend", "cat_cow"}


class TestAllowed:
    fit = TriageAnswers(experience=Experience.REGULAR, equipment=ALL_EQUIPMENT)

    def test_a_fit_user_with_everything_gets_everything_but_weights(self) -> None:
        # Weights need a training record as well (bot/coach/selection.py), never day one.
        assert ids(self.fit) == {e.id for e in EXERCISES if not e.weighted}

    def test_a_little_pain_removes_weights_and_loaded_hard_work(self) -> None:
        in_pain = TriageAnswers(pain_now=1, experience=Experience.REGULAR, equipment=ALL_EQUIPMENT)
        assert choose_phase(in_pain) is Phase.STRENGTHENING
        got = ids(in_pain)
        assert "kettlebell_lift" not in got
        assert "ball_back_extension" not in got
        assert "mountain_climber" not in got  # hard: only at pain 0, as its card says

    def test_beginner_never_trains_with_weight_even_without_pain(self) -> None:
        beginner = TriageAnswers(experience=Experience.NEW, equipment=ALL_EQUIPMENT)
        assert "kettlebell_lift" not in ids(beginner, Phase.STRENGTHENING)

    def test_building_phase_has_no_hard_exercises(self) -> None:
        got = ids(TriageAnswers(pain_now=3, experience=Experience.REGULAR))
        assert got.isdisjoint({"mountain_climber", "ball_back_extension"})
        assert "superman" in got

    def test_mat_is_never_required(self) -> None:
        assert "superman" in ids(TriageAnswers(experience=Experience.SOME))

    def test_roller_exercise_only_with_a_roller(self) -> None:
        without = TriageAnswers(experience=Experience.SOME)
        with_roller = TriageAnswers(
            experience=Experience.SOME, equipment=frozenset({Equipment.ROLLER})
        )
        assert "glute_roll" not in ids(without)
        assert "glute_roll" in ids(with_roller)

    def test_advice_for_a_beginner_in_pain_with_a_roller(self) -> None:
        answers = TriageAnswers(
            pain_now=3,
            pain_duration=PainDuration.WEEKS,
            experience=Experience.NEW,
            equipment=frozenset({Equipment.ROLLER}),
        )
        outcome = assess(answers, RULES, EXERCISES)
        assert outcome.advice == (
            Advice.GO_SLOWLY,
            Advice.AVOID_IN_PAIN,
            Advice.BEGINNER,
            Advice.ROLLER,
        )
        lines = advice_texts(outcome, answers, RULES)
        assert "Roller on the buttocks only." in lines
        assert "Skip what hurts." in lines

    def test_emergency_advice_names_the_flag(self) -> None:
        answers = TriageAnswers(red_flags=frozenset({"saddle_numbness", "trauma"}))
        outcome = assess(answers, RULES, EXERCISES)
        assert (outcome.level, outcome.blocked, outcome.allowed) == (
            RedFlagLevel.EMERGENCY,
            True,
            (),
        )
        # The tier's own advice needs the emergency number; these are the reasons.
        assert advice_texts(outcome, answers, RULES) == ("Why: saddle_numbness.", "Why: trauma.")

    def test_contraindication_says_doctor_first(self) -> None:
        answers = TriageAnswers(contraindications=frozenset({"spine_fracture"}))
        outcome = assess(answers, RULES, EXERCISES)
        assert outcome.doctor_first and outcome.blocked
        assert "Why: spine_fracture." in advice_texts(outcome, answers, RULES)


flagged = answers_strategy(
    flags=st.frozensets(st.sampled_from(FLAG_IDS), min_size=1),
    contras=st.frozensets(st.sampled_from(CONTRA_IDS)),
).filter(lambda a: not a.cleared)
contraindicated = answers_strategy(
    contras=st.frozensets(st.sampled_from(CONTRA_IDS), min_size=1)
).filter(lambda a: not a.cleared)
clean = answers_strategy()


class TestProperties:
    @FAST
    @given(st.one_of(flagged, contraindicated))
    def test_red_flag_or_contraindication_means_no_exercise_at_all(
        self, answers: TriageAnswers
    ) -> None:
        outcome = assess(answers, RULES, EXERCISES)
        assert outcome.blocked and outcome.allowed == ()
        for phase in Phase:
            assert allowed_exercises(answers, phase, EXERCISES) == ()
        assert plans(answers) == (set(), set())

    @FAST
    @given(ANY_ANSWERS, st.sampled_from(Phase))
    def test_beginners_and_anyone_in_pain_never_get_weights(
        self, answers: TriageAnswers, phase: Phase
    ) -> None:
        allowed = allowed_exercises(answers, phase, EXERCISES)
        if answers.experience is Experience.NEW or answers.pain_now >= 1:
            assert not any(e.weighted for e in allowed)

    @FAST
    @given(ANY_ANSWERS)
    def test_strong_pain_gets_only_gentle_exercises(self, answers: TriageAnswers) -> None:
        outcome = assess(answers, RULES, EXERCISES)
        if answers.pain_now >= 6:
            assert outcome.phase is Phase.GENTLE
            assert all(e.gentle for e in outcome.allowed)
            today, stretch = plans(answers)
            gentle = {e.id for e in EXERCISES if e.gentle}
            assert today <= gentle and stretch <= gentle

    @FAST
    @given(ANY_ANSWERS)
    def test_hard_exercises_only_when_strengthening(self, answers: TriageAnswers) -> None:
        outcome = assess(answers, RULES, EXERCISES)
        if outcome.phase is not Phase.STRENGTHENING:
            assert all(e.difficulty is not Difficulty.HARD for e in outcome.allowed)

    @FAST
    @given(ANY_ANSWERS)
    def test_never_requires_equipment_the_user_lacks(self, answers: TriageAnswers) -> None:
        outcome = assess(answers, RULES, EXERCISES)
        for exercise in outcome.allowed:
            assert required_equipment(exercise) <= answers.equipment
        today, stretch = plans(answers)
        by_id = {e.id: e for e in EXERCISES}
        for exercise_id in today | stretch:
            assert required_equipment(by_id[exercise_id]) <= answers.equipment

    @FAST
    @given(clean)
    def test_every_unflagged_profile_gets_a_today_and_a_stretch_plan(
        self, answers: TriageAnswers
    ) -> None:
        today, stretch = plans(answers)
        assert today and stretch
