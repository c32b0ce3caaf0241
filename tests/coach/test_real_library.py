"""The coach rules against the real content: the twelve exercises and the real safety rules."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.plan import build_stretch, build_today, card_minutes
from bot.coach.progression import LevelChange, describe
from bot.coach.triage import (
    Experience,
    PainDuration,
    Phase,
    TriageAnswers,
    advice_texts,
    assess,
    required_equipment,
)
from bot.coach.triage_flow import TriageState, TriageStep, next_step, record
from content.schema import Area, Equipment, Library
from tests.coach.factory import FAST

loader = pytest.importorskip("content.loader")

IDS = {
    "superman",
    "chest_lift",
    "glute_bridge",
    "prone_leg_lift",
    "bird_dog",
    "kettlebell_lift",
    "ball_back_extension",
    "cobra",
    "mountain_climber",
    "forward_bend",
    "cat_cow",
    "glute_roll",
}
DAY = date(2025, 3, 10)


@cache
def library() -> Library:
    try:
        lib: Library = loader.load_library()
    except Exception as error:  # content still being written: skip, do not fail
        pytest.skip(f"content library not loadable yet: {error}")
    if IDS - {e.id for e in lib.exercises}:
        pytest.skip("the twelve exercises are not all there yet")
    return lib


def plans(answers: TriageAnswers) -> tuple[list[str], list[str]]:
    lib = library()
    outcome = assess(answers, lib.rules, lib.exercises)
    today = build_today(
        outcome.allowed, day=DAY, levels={}, resting=frozenset(), phase=outcome.phase
    )
    stretch = build_stretch(outcome.allowed, equipment=answers.equipment, levels={})
    return [c.exercise_id for c in today.cards], [c.exercise_id for c in stretch.cards]


@st.composite
def real_answers(draw: st.DrawFn, *, flagged: bool | None = None) -> TriageAnswers:
    rules = library().rules
    flags = st.frozensets(st.sampled_from([f.id for f in rules.red_flags]))
    contras = st.frozensets(st.sampled_from([c.id for c in rules.contraindications]))
    return TriageAnswers(
        red_flags=draw(flags) if flagged is not False else frozenset(),
        contraindications=draw(contras) if flagged is not False else frozenset(),
        pain_now=draw(st.integers(0, 10)),
        pain_duration=draw(st.sampled_from(PainDuration)),
        experience=draw(st.sampled_from(Experience)),
        equipment=draw(st.frozensets(st.sampled_from(Equipment))),
        cleared=draw(st.booleans()) if flagged is not False else False,
    )


@FAST
@given(real_answers())
def test_safety_properties_hold_on_the_real_content(answers: TriageAnswers) -> None:
    lib = library()
    outcome = assess(answers, lib.rules, lib.exercises)
    today, stretch = plans(answers)
    offered = [*outcome.allowed, *(lib.exercise(i) for i in [*today, *stretch])]
    if (answers.red_flags or answers.contraindications) and not answers.cleared:
        assert outcome.allowed == () and offered == []
    if answers.experience is Experience.NEW or answers.pain_now >= 1:
        assert not any(e.weighted for e in offered)
    if answers.pain_now >= 6:
        assert all(e.gentle for e in offered)
    for exercise in offered:
        assert required_equipment(exercise) <= answers.equipment


@FAST
@given(real_answers(flagged=False))
def test_every_unflagged_profile_gets_both_sessions(answers: TriageAnswers) -> None:
    today, stretch = plans(answers)
    assert today and stretch
    assert today[-1] == "cat_cow"


def test_gentle_plan_on_the_real_content() -> None:
    today, stretch = plans(TriageAnswers(pain_now=8, pain_duration=PainDuration.DAYS))
    assert today[0] == "forward_bend" and today[-1] == "cat_cow"
    assert stretch == ["forward_bend", "cat_cow"]


def test_a_full_profile_week_covers_every_area_and_stays_short() -> None:
    lib = library()
    answers = TriageAnswers(experience=Experience.REGULAR, equipment=frozenset(Equipment))
    outcome = assess(answers, lib.rules, lib.exercises)
    assert outcome.phase is Phase.STRENGTHENING
    covered: set[Area] = set()
    for offset in range(7):
        plan = build_today(
            outcome.allowed,
            day=DAY + timedelta(days=offset),
            levels={},
            resting=frozenset(),
            phase=outcome.phase,
        )
        exercises = [lib.exercise(c.exercise_id) for c in plan.cards]
        minutes = sum(card_minutes(e, c.dosage) for e, c in zip(exercises, plan.cards, strict=True))
        assert 10 <= minutes <= 20
        assert 5 <= len(plan.cards) <= 7
        covered |= {a for e in exercises for a in e.areas}
    assert {Area.BACK, Area.ABDOMEN, Area.GLUTES} <= covered
    stretch = build_stretch(outcome.allowed, equipment=answers.equipment, levels={})
    assert [c.exercise_id for c in stretch.cards] == [
        "forward_bend",
        "glute_roll",
        "cobra",
        "cat_cow",
    ]
    assert 3 <= stretch.minutes <= 5


def test_real_advice_and_descriptions_read_well() -> None:
    lib = library()
    answers = TriageAnswers(red_flags=frozenset({lib.rules.red_flags[0].id}))
    outcome = assess(answers, lib.rules, lib.exercises)
    assert advice_texts(outcome, answers, lib.rules)[0] == lib.rules.emergency_advice
    line = describe(LevelChange("superman", 0, 1), lib.exercise("superman"))
    assert "12 reps instead of 10" in line


def test_triage_flow_asks_every_real_question() -> None:
    rules = library().rules
    state = record(TriageState(), rules, "yes")
    asked = 0
    while next_step(state, rules) in (TriageStep.RED_FLAG, TriageStep.CONTRAINDICATION):
        state = record(state, rules, "no")
        asked += 1
    assert asked == len(rules.red_flags) + len(rules.contraindications)
    assert next_step(state, rules) is TriageStep.PAIN_NOW
