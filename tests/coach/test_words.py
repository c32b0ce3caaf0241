"""What the screens say, decided in the coach: typed text, today's state, doses and plurals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.day import Closing, TodayStatus, closing_for, today_status
from bot.coach.free_text import PainPointer, Topic, classify, pain_pointer, words
from bot.coach.plan import build_stretch, eased, stretch_minutes
from bot.coach.progression import LevelChange, describe
from content.loader import load_library
from content.schema import Dosage, Equipment, FreeTextRules
from tests.coach.library import BY_ID, EXERCISES, FAST, make_exercise

TEXTS = load_library()  # the English words of the summary lines
RULES = FreeTextRules(
    symptoms=("numb", "bladder", "fell down", "can't walk"),
    pain=("pain", "hurt", "hurts", "killing me", "flare up"),
    negations=("no", "not", "doesn't", "don't"),
    clause_words=("but", "and"),
)


class TestClassify:
    @pytest.mark.parametrize(
        "text",
        [
            "my back really hurts today, should I still exercise?",
            "pain is bad",
            "hurts a lot",
            "Back is KILLING me!!",
            "another flare-up",
            "It doesn’t stop and now it really hurts",  # the negation is too far before
            "no idea why but my back hurts",
        ],
    )
    def test_pain(self, text: str) -> None:
        assert classify(text, RULES) is Topic.PAIN

    @pytest.mark.parametrize(
        "text",
        ["hello", "no pain today", "It doesn’t hurt anymore", "painting the hall", "thanks!"],
    )
    def test_other(self, text: str) -> None:
        assert classify(text, RULES) is Topic.OTHER

    @pytest.mark.parametrize(
        "text",
        [
            "my left leg is numb and my back hurts",  # the warning sign wins over pain
            "I fell down the stairs",
            "I can't walk properly",
            "no pain but bladder trouble",
        ],
    )
    def test_warning_signs(self, text: str) -> None:
        assert classify(text, RULES) is Topic.SYMPTOMS

    def test_a_negated_warning_sign_leaves_the_pain(self) -> None:
        assert classify("I have no numb feeling, but it hurts", RULES) is Topic.PAIN
        assert classify("not numb", RULES) is Topic.OTHER

    def test_whole_words_with_straight_apostrophes(self) -> None:
        assert words("It DOESN’T hurt—really, ‘no’") == ["it", "doesn't", "hurt", "really", "no"]

    @given(st.text(max_size=200))
    @FAST
    def test_any_text_gets_a_topic(self, text: str) -> None:
        assert classify(text, RULES) in set(Topic)

    def test_no_rules_recognise_nothing(self) -> None:
        assert classify("my back hurts", FreeTextRules()) is Topic.OTHER


class TestToday:
    @pytest.mark.parametrize(
        ("finished", "stretch_only", "status", "closing"),
        [
            (False, False, TodayStatus.OPEN, Closing.TODAY_OPEN),
            (True, False, TodayStatus.DONE, Closing.TOMORROW),
            (False, True, TodayStatus.STRETCH_ONLY, Closing.TOMORROW),
            (True, True, TodayStatus.STRETCH_ONLY, Closing.TOMORROW),
        ],
    )
    def test_status_and_closing(
        self, finished: bool, stretch_only: bool, status: TodayStatus, closing: Closing
    ) -> None:
        found = today_status(finished_today=finished, stretch_only=stretch_only)
        assert found is status
        assert closing_for(found) is closing

    @pytest.mark.parametrize(
        ("status", "severe", "pointer"),
        [
            (TodayStatus.OPEN, False, PainPointer.GENTLY),
            (TodayStatus.OPEN, True, PainPointer.MOBILITY),
            (TodayStatus.DONE, False, PainPointer.STRETCH),
            (TodayStatus.DONE, True, PainPointer.STRETCH),
            (TodayStatus.STRETCH_ONLY, False, PainPointer.STRETCH),
        ],
    )
    def test_pain_pointer(self, status: TodayStatus, severe: bool, pointer: PainPointer) -> None:
        assert pain_pointer(status, mobility_only=severe) is pointer


class TestDoses:
    @pytest.mark.parametrize(
        ("today", "full", "expected"),
        [
            (Dosage(sets=1, reps=8), Dosage(sets=3, reps=10), True),
            (
                Dosage(sets=2, reps=10, hold_seconds=3),
                Dosage(sets=3, reps=10, hold_seconds=3),
                True,
            ),
            (Dosage(sets=3, reps=10), Dosage(sets=3, reps=10), False),
            (Dosage(sets=3, reps=12), Dosage(sets=3, reps=10), False),  # progressed: no goal
            (Dosage(sets=1, reps=12), Dosage(sets=3, reps=10), False),  # mixed: one dose only
            (Dosage(hold_breaths=5), Dosage(hold_breaths=5), False),
            (Dosage(duration_seconds=36, per_side=True), Dosage(duration_seconds=60), True),
        ],
    )
    def test_eased(self, today: Dosage, full: Dosage, expected: bool) -> None:
        assert eased(today, full) is expected

    def test_stretch_minutes_is_what_a_full_routine_is_planned_to(self) -> None:
        minutes = stretch_minutes(EXERCISES)
        assert (
            minutes == build_stretch(EXERCISES, equipment=frozenset(Equipment), levels={}).minutes
        )
        assert 1 <= minutes <= 5

    @given(st.frozensets(st.sampled_from(Equipment)))
    @FAST
    def test_no_ones_stretch_takes_longer_than_it_says(
        self, equipment: frozenset[Equipment]
    ) -> None:
        plan = build_stretch(EXERCISES, equipment=equipment, levels={})
        assert plan.minutes <= stretch_minutes(EXERCISES)


class TestLevelLines:
    def test_easier_is_marked_as_such(self) -> None:
        assert LevelChange("x", 0, -1).easier and not LevelChange("x", 0, 1).easier

    def test_one_rep_and_one_breath_are_singular(self) -> None:
        exercise = make_exercise("slow_one", dosage=Dosage(sets=1, reps=3, hold_breaths=2))
        line = describe(LevelChange(exercise.id, 0, -1), exercise, TEXTS)
        assert line == (
            "Slow one: next time 1 rep instead of 3, hold 1 breath instead of 2 — gentler for now"
        )
        line = describe(LevelChange("cat_cow", 0, -2), BY_ID["cat_cow"], TEXTS)
        assert "1 set instead of 3" in line
