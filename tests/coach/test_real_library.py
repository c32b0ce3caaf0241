"""The coach rules against the real content: the twelve exercises and the real safety rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.desk import desk_session
from bot.coach.plan import (
    build_desk,
    build_mobility,
    build_stretch,
    build_today,
    card_minutes,
    stretch_minutes,
)
from bot.coach.progression import LevelChange, describe
from bot.coach.selection import mobility_only
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
from content.schema import Area, Difficulty, Equipment, Library, Position, Tier
from tests.coach.library import FAST

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
    if mobility_only(answers):
        today = build_mobility(outcome.allowed, equipment=answers.equipment, levels={})
    else:
        today = build_today(
            outcome.allowed, day=DAY, levels={}, resting=frozenset(), phase=outcome.phase
        )
    stretch = build_stretch(outcome.allowed, equipment=answers.equipment, levels={})
    return [c.exercise_id for c in today.cards], [c.exercise_id for c in stretch.cards]


@st.composite
def real_answers(draw: st.DrawFn, *, flagged: bool | None = None) -> TriageAnswers:
    rules = library().rules
    red = [f.id for f in rules.flags if f.tier.stops]
    doctor_first = [f.id for f in rules.flags if f.tier is Tier.DOCTOR_FIRST]
    flags = st.frozensets(st.sampled_from(red))
    contras = st.frozensets(st.sampled_from(doctor_first))
    cleared = st.frozensets(st.sampled_from(red + doctor_first))
    return TriageAnswers(
        red_flags=draw(flags) if flagged is not False else frozenset(),
        contraindications=draw(contras) if flagged is not False else frozenset(),
        pain_now=draw(st.integers(0, 10)),
        pain_duration=draw(st.sampled_from(PainDuration)),
        experience=draw(st.sampled_from(Experience)),
        equipment=draw(st.frozensets(st.sampled_from(Equipment))),
        cleared=draw(cleared) if flagged is not False else frozenset(),
        pregnant=draw(st.booleans()),
    )


@FAST
@given(real_answers())
def test_safety_properties_hold_on_the_real_content(answers: TriageAnswers) -> None:
    lib = library()
    outcome = assess(answers, lib.rules, lib.exercises)
    today, stretch = plans(answers)
    offered = [*outcome.allowed, *(lib.exercise(i) for i in [*today, *stretch])]
    if answers.open_flags:
        assert outcome.allowed == () and offered == []
    # The triage summary and first plans never hold the kettlebell (no history yet).
    assert not any(e.weighted for e in offered)
    if answers.pain_now >= 1:
        assert not any(e.difficulty is Difficulty.HARD for e in offered)
    if answers.pain_now >= 6:
        assert all(e.gentle for e in offered)
    if answers.pain_now >= 7:
        # The seated cat-cow is the cat-cow's desk form, offered by the desk routine only.
        mobility = {"forward_bend", "cat_cow", "glute_roll", "seated_cat_cow"}
        assert {e.id for e in offered} <= mobility
        assert "seated_cat_cow" not in [*today, *stretch]
    if answers.pregnant:
        assert not any(e.position is Position.PRONE for e in offered)
    for exercise in offered:
        assert required_equipment(exercise) <= answers.equipment


@FAST
@given(real_answers(flagged=False))
def test_every_unflagged_profile_gets_both_sessions(answers: TriageAnswers) -> None:
    today, stretch = plans(answers)
    assert today and stretch
    assert today[-1] == "cat_cow"


def test_severe_pain_plan_on_the_real_content() -> None:
    """Pain 8: forward bend, cat-cow, and the glute roll only with a roller."""
    today, stretch = plans(TriageAnswers(pain_now=8, pain_duration=PainDuration.DAYS))
    assert today == ["forward_bend", "cat_cow"] and stretch == ["forward_bend", "cat_cow"]
    roller = frozenset({Equipment.ROLLER})
    today, stretch = plans(TriageAnswers(pain_now=8, equipment=roller))
    assert today == ["forward_bend", "glute_roll", "cat_cow"] == stretch


def test_pain_two_regular_exerciser_gets_no_mountain_climber() -> None:
    """The mountain climber's own card: "leave it out while your back hurts"."""
    lib = library()
    for pain in (1, 2):
        answers = TriageAnswers(
            pain_now=pain, experience=Experience.REGULAR, equipment=frozenset(Equipment)
        )
        outcome = assess(answers, lib.rules, lib.exercises)
        ids = {e.id for e in outcome.allowed}
        assert not ids & {"mountain_climber", "ball_back_extension", "kettlebell_lift"}


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
    saddle = lib.rules.flag("saddle_numbness")
    assert saddle is not None
    answers = TriageAnswers(red_flags=frozenset({saddle.id}))
    outcome = assess(answers, lib.rules, lib.exercises)
    assert advice_texts(outcome, answers, lib.rules) == (saddle.why,)
    line = describe(LevelChange("superman", 0, 1), lib.exercise("superman"), lib)
    assert "12 reps instead of 10" in line


def test_triage_flow_asks_every_real_question() -> None:
    """Every real screen item is shown to someone over 50, and "None of these" answers it."""
    rules = library().rules
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    state = TriageState()
    for value in ("50_plus", "Europe/London"):
        state = record(state, rules, value, now)
    groups = 0
    while next_step(state, rules) is TriageStep.GROUP:
        state = record(state, rules, "none", now)
        groups += 1
    assert groups == len(rules.groups)
    assert {flag_id for flag_id, _ in state.flags} == {f.id for f in rules.flags}
    assert next_step(state, rules) is TriageStep.PAIN_NOW


def test_every_city_of_the_zone_picker_is_a_canonical_zone() -> None:
    from bot.coach.timezones import canonical_zones

    cities = [city for region in library().regions for city in region.cities]
    assert cities and {city.zone for city in cities} <= canonical_zones()


def desk(answers: TriageAnswers, hurt: dict[str, date] | None = None) -> list[str]:
    """The stretch nudge's routine for these answers (no history unless ``hurt``)."""
    lib = library()
    phase = assess(answers, lib.rules, lib.exercises).phase
    plan = desk_session(answers, phase, lib.exercises, levels={}, hurt=hurt or {}, today=DAY)
    return [card.exercise_id for card in plan.cards]


@FAST
@given(real_answers())
def test_the_desk_routine_is_standing_or_seated_and_keeps_every_safety_rule(
    answers: TriageAnswers,
) -> None:
    """Nothing on the floor, no gear, one form per article stretch, and the triage rules hold."""
    lib = library()
    cards = [lib.exercise(i) for i in desk(answers)]
    allowed = assess(answers, lib.rules, lib.exercises).allowed
    if answers.open_flags:
        assert cards == []
    assert all(e in allowed for e in cards)  # pain, phase, pregnancy: the same rules
    assert all(e.position in (Position.STANDING, Position.SEATED) for e in cards)
    assert all(e.at_desk and e.equipment == (Equipment.NONE,) for e in cards)
    families = [e.family for e in cards]
    assert len(families) == len(set(families))
    if not answers.open_flags:
        assert cards, "every unflagged profile has something to do at a desk"
        assert cards[-1].id == "seated_cat_cow"  # the cat-cow's form ends it, as on the floor
    # /today and /stretch keep to the article's own exercises.
    today, stretch = plans(answers)
    assert all(lib.exercise(i).variant_of is None for i in [*today, *stretch])


def test_the_desk_routine_on_the_real_content() -> None:
    """Standing first, the seated cat-cow last; gentler when it hurts; a hurt form rests."""
    assert desk(TriageAnswers(pain_now=2)) == [
        "forward_bend",
        "standing_back_extension",
        "seated_cat_cow",
    ]
    # Strong pain: the gentle stretches only (the back extension, like the cobra, is not).
    assert desk(TriageAnswers(pain_now=6)) == ["forward_bend", "seated_cat_cow"]
    assert desk(TriageAnswers(pain_now=8)) == ["forward_bend", "seated_cat_cow"]
    # The forward bend hurt yesterday: it rests, and the routine starts with the next.
    rested = desk(TriageAnswers(pain_now=2), hurt={"forward_bend": DAY - timedelta(days=1)})
    assert rested == ["standing_back_extension", "seated_cat_cow"]
    # The cat-cow hurt on the floor: its seated form rests with it.
    rested = desk(TriageAnswers(pain_now=2), hurt={"cat_cow": DAY})
    assert rested == ["forward_bend", "standing_back_extension"]


def test_the_desk_routine_is_as_long_as_the_quick_stretch() -> None:
    """The nudge's button says the quick stretch's one length; the desk routine keeps to it."""
    lib = library()
    full = build_desk(lib.exercises, levels={})
    assert full.minutes == stretch_minutes(lib.exercises)
