"""The twelve exercises say what the article says, without its translation slips."""

from __future__ import annotations

import re

import pytest

from content.format import format_dosage
from content.poses import load_pose_sets
from content.schema import Area, Difficulty, Equipment, Exercise, Goal, Library, Position

ARTICLE = {
    # id: (difficulty, goal) as the article rates them
    "superman": (Difficulty.MEDIUM, Goal.BOTH),
    "chest_lift": (Difficulty.MEDIUM, Goal.STRENGTHEN),
    "glute_bridge": (Difficulty.EASY, Goal.STRENGTHEN),
    "prone_leg_lift": (Difficulty.MEDIUM, Goal.STRENGTHEN),
    "bird_dog": (Difficulty.EASY, Goal.BOTH),
    "kettlebell_lift": (Difficulty.MEDIUM, Goal.STRENGTHEN),
    "ball_back_extension": (Difficulty.HARD, Goal.STRENGTHEN),
    "cobra": (Difficulty.MEDIUM, Goal.BOTH),
    "mountain_climber": (Difficulty.HARD, Goal.STRENGTHEN),
    "forward_bend": (Difficulty.EASY, Goal.STRETCH),
    "cat_cow": (Difficulty.EASY, Goal.STRETCH),
    # The article rates it but gives no goal; loosening is filed under stretch.
    "glute_roll": (Difficulty.MEDIUM, Goal.STRETCH),
}

SLIPS = (
    "gynecological",
    "pomus",
    "pomuscles",
    " passes",
    "vision",
    "angle the legs",
    "hunchback",
    "look watch",
    "trick",
)


def all_text(library: Library) -> list[str]:
    """Every user-facing sentence the content holds."""
    texts: list[str] = []
    for exercise in library.exercises:
        texts += [exercise.name, exercise.summary, *exercise.steps, *exercise.cautions]
        texts += [exercise.dosage_note] if exercise.dosage_note else []
        texts += [*exercise.muscles]
        for variant in exercise.variants:
            texts += [variant.name, variant.description]
    rules = library.rules
    texts += [text for flag in rules.flags for text in (flag.label, flag.question, flag.why)]
    texts += [text for tier in rules.tiers.values() for text in (tier.headline, tier.advice)]
    texts += [*rules.avoid_when_in_pain, *rules.avoid_as_beginner, *rules.during_exercise]
    texts += [rules.roller_rule]
    texts += [tip.text for tip in library.tips]
    return texts


def article(library: Library) -> list[Exercise]:
    """The article's own exercises: everything that is not a standing or seated form."""
    return [e for e in library.exercises if e.variant_of is None]


def test_exactly_the_twelve_article_exercises_load(library: Library) -> None:
    """The library holds the article's twelve exercises, no more, no fewer, plus marked forms."""
    assert sorted(e.id for e in article(library)) == sorted(ARTICLE)
    assert len(article(library)) == 12


# The standing or seated forms the desk routine is made of: (id, the article's exercise, position)
DESK_FORMS = {
    "seated_cat_cow": ("cat_cow", Position.SEATED),
    "standing_back_extension": ("cobra", Position.STANDING),
}


def test_every_variant_links_to_an_article_exercise_and_has_a_pose(library: Library) -> None:
    """A variant names the article's exercise it is a form of, and its card has a drawing."""
    variants = {e.id: e for e in library.exercises if e.variant_of is not None}
    assert set(variants) == set(DESK_FORMS)
    poses = load_pose_sets()
    for exercise_id, variant in variants.items():
        origin = library.exercise(str(variant.variant_of))
        assert origin.variant_of is None and origin.id in ARTICLE, exercise_id
        assert (variant.variant_of, variant.position) == DESK_FORMS[exercise_id]
        assert variant.position in (Position.STANDING, Position.SEATED), exercise_id
        assert variant.at_desk and variant.equipment == (Equipment.NONE,), exercise_id
        assert exercise_id in poses, f"{exercise_id}: no pose, so no card picture"
        assert variant.family == origin.id


def test_variants_keep_their_exercise_s_rating_dose_and_safety(library: Library) -> None:
    """A form changes where it is done, never how hard, how much, or how gentle it is."""
    for variant in library.exercises:
        if variant.variant_of is None:
            continue
        origin = library.exercise(variant.variant_of)
        assert variant.difficulty is origin.difficulty, variant.id
        assert variant.dosage == origin.dosage, variant.id
        assert variant.gentle is origin.gentle, variant.id
        assert not variant.in_stretch_routine, variant.id
        assert variant.cautions and variant.steps and variant.summary, variant.id
        # The article's own safety line is on every form's card.
        assert "If pain occurs, skip the exercise and move on to the next one." in (
            variant.cautions
        )


def test_desk_exercises_are_standing_or_seated_with_no_gear(library: Library) -> None:
    """What the stretch nudge can start: the standing forward bend and the two forms."""
    desk = {e.id for e in library.exercises if e.at_desk}
    assert desk == {"forward_bend", *DESK_FORMS}
    for exercise_id in desk:
        exercise = library.exercise(exercise_id)
        assert exercise.position in (Position.STANDING, Position.SEATED), exercise_id
        assert exercise.equipment == (Equipment.NONE,), exercise_id


def test_the_seated_cat_cow_is_on_a_chair_and_breathes_as_the_article_says(
    library: Library,
) -> None:
    """The article's cow (hollow back) then, breathing in, the strong cat hump."""
    steps = " ".join(library.exercise("seated_cat_cow").steps)
    assert "chair" in steps and "hollow back" in steps
    assert "breathe in, make a strong cat hump" in steps
    extension = " ".join(library.exercise("standing_back_extension").steps)
    assert "until you feel the tension in your lower back" in extension
    assert "3 to 5 long breaths" in extension


@pytest.mark.parametrize(("exercise_id", "rating"), ARTICLE.items())
def test_difficulty_and_goal_match_the_article(
    library: Library, exercise_id: str, rating: tuple[Difficulty, Goal]
) -> None:
    """A card shows the article's difficulty and goal."""
    exercise = library.exercise(exercise_id)
    assert (exercise.difficulty, exercise.goal) == rating


def test_no_translation_slips_anywhere(library: Library) -> None:
    """None of the article's machine-translation slips reaches a user."""
    for text in all_text(library):
        lowered = text.lower()
        for slip in SLIPS:
            assert slip not in lowered, f"{slip!r} in {text!r}"


def test_steps_are_not_numbered_by_hand(library: Library) -> None:
    """Cards number the steps, so the text must not carry its own numbers."""
    for exercise in library.exercises:
        for step in exercise.steps:
            assert not re.match(r"^\s*\d+[.)]", step), (exercise.id, step)


def test_card_caption_fits_a_telegram_photo(library: Library) -> None:
    """Name, summary, steps and dosage fit the 1024-character caption with room to spare."""
    for exercise in library.exercises:
        caption = "\n".join(
            [
                exercise.name,
                exercise.summary,
                *exercise.steps,
                format_dosage(exercise.dosage, library),
            ]
        )
        assert len(caption) < 900, exercise.id


def test_kettlebell_is_the_only_weighted_exercise(library: Library) -> None:
    """Weights are never planned for beginners or people in pain, so only one is flagged."""
    assert [e.id for e in library.exercises if e.weighted] == ["kettlebell_lift"]
    assert [e.id for e in library.exercises if Equipment.WEIGHT in e.equipment] == [
        "kettlebell_lift"
    ]


def test_stretch_routine_is_exactly_the_four_stretches(library: Library) -> None:
    """/stretch offers the forward bend, cat-cow, cobra and glute roll."""
    routine = {e.id for e in library.exercises if e.in_stretch_routine}
    assert routine == {"forward_bend", "cat_cow", "cobra", "glute_roll"}


def test_gentle_exercises_are_easy_ones_and_the_glute_roll(library: Library) -> None:
    """Plans for strong pain use the four easy, slow exercises and rolling the buttocks."""
    gentle = {e.id for e in article(library) if e.gentle}
    assert gentle == {"forward_bend", "cat_cow", "glute_bridge", "bird_dog", "glute_roll"}
    # The article rates the roller medium but names it for anyone in pain (buttocks only).
    assert all(library.exercise(i).difficulty is Difficulty.EASY for i in gentle - {"glute_roll"})


def test_severe_pain_mobility_is_stretch_warm_up_and_massage(library: Library) -> None:
    """Pain 7-10: "first stretch, warm up, relax and let yourself be massaged"."""
    mobility = {e.id for e in article(library) if e.mobility}
    assert mobility == {"forward_bend", "cat_cow", "glute_roll"}
    # At a desk, the cat-cow's seated form (gentle, like the cat-cow) takes its place.
    assert {e.id for e in library.exercises if e.mobility} - mobility == {"seated_cat_cow"}


def test_the_seated_forward_bend_is_on_a_chair(library: Library) -> None:
    """The article's "standing or sitting" form: sitting on a chair, not on the floor."""
    seated = next(v for v in library.exercise("forward_bend").variants if "Seated" in v.name)
    assert "chair" in seated.description
    assert "on the floor with your legs" not in seated.description


@pytest.mark.parametrize(
    ("exercise_id", "technique"),
    [
        ("kettlebell_lift", "The movement starts from your lower back"),
        ("prone_leg_lift", "Do this one slowly"),
    ],
)
def test_safety_cautions_come_before_technique_notes(
    library: Library, exercise_id: str, technique: str
) -> None:
    """Cards list cautions in content order, so the safety ones must come first."""
    cautions = library.exercise(exercise_id).cautions
    note = next(i for i, c in enumerate(cautions) if c.startswith(technique))
    skip = next(i for i, c in enumerate(cautions) if c.startswith("If pain occurs"))
    assert skip < note


def test_equipment_the_article_needs(library: Library) -> None:
    """Users without a ball or roller are never shown those exercises."""
    assert library.exercise("ball_back_extension").equipment == (Equipment.BALL,)
    assert library.exercise("glute_roll").equipment == (Equipment.ROLLER,)
    assert library.exercise("forward_bend").equipment == (Equipment.NONE,)


def test_a_week_can_cover_back_abdomen_and_glutes(library: Library) -> None:
    """Rotation by area has exercises for each of the three areas the article stresses."""
    for area in (Area.BACK, Area.ABDOMEN, Area.GLUTES):
        assert any(area in e.areas for e in library.exercises), area
    gentle_areas = {a for e in library.exercises if e.gentle for a in e.areas}
    assert {Area.BACK, Area.ABDOMEN, Area.GLUTES} <= gentle_areas


@pytest.mark.parametrize(
    ("exercise_id", "shown"),
    [
        ("superman", "3 sets × 10 reps, hold 3 s"),
        ("chest_lift", "3 sets × 10 reps, hold 3 s"),
        ("glute_bridge", "3 sets × 12 reps, hold 3 s"),
        ("prone_leg_lift", "3 sets × 10 reps, hold 2 s"),
        ("bird_dog", "3 sets × 10 reps per side"),
        ("kettlebell_lift", "3 sets × 15 reps per side"),
        ("ball_back_extension", "3 sets × 10 reps"),
        ("cobra", "10 reps, hold 3 breaths"),
        ("forward_bend", "5 deep breaths"),
        ("cat_cow", "3 sets × 10 reps"),
        ("glute_roll", "about 1 min per side"),
    ],
)
def test_dosage_is_the_articles(library: Library, exercise_id: str, shown: str) -> None:
    """The card shows the article's reps, holds and sets."""
    assert format_dosage(library.exercise(exercise_id).dosage, library) == shown


def test_hold_ranges_stay_in_the_steps(library: Library) -> None:
    """The dosage keeps the lower bound, so the step text keeps the article's range."""
    assert any("3–5 seconds" in step for step in library.exercise("superman").steps)
    assert any("2–3 seconds" in step for step in library.exercise("prone_leg_lift").steps)
    assert any("3 to 5 long breaths" in step for step in library.exercise("cobra").steps)


def test_mountain_climber_dosage_is_marked_as_lumbars_choice(library: Library) -> None:
    """The article gives no count, so the card must not pretend it does."""
    climber = library.exercise("mountain_climber")
    assert climber.dosage.reps is not None and climber.dosage.reps <= 10
    assert climber.dosage_note is not None
    assert "Lumbar" in climber.dosage_note and "article" in climber.dosage_note
    # A sourcing note is not a caution: the cautions are about safety only.
    assert not any("article" in caution for caution in climber.cautions)
    assert any("while your back hurts" in caution for caution in climber.cautions)


def test_article_warnings_are_on_the_cards(library: Library) -> None:
    """The kettlebell and roller cards carry the article's own warnings."""
    kettlebell = " ".join(library.exercise("kettlebell_lift").cautions).lower()
    assert "beginner" in kettlebell and "pain" in kettlebell and "lower back" in kettlebell
    roller = " ".join(library.exercise("glute_roll").cautions).lower()
    assert "buttocks" in roller and "never on your spine" in roller


@pytest.mark.parametrize(
    ("exercise_id", "kind"),
    [
        ("superman", "easier"),
        ("kettlebell_lift", "harder"),
        ("mountain_climber", "harder"),
        ("forward_bend", "easier"),
    ],
)
def test_named_variants(library: Library, exercise_id: str, kind: str) -> None:
    """Variants the article names are offered with the right direction."""
    assert kind in {v.kind for v in library.exercise(exercise_id).variants}


def test_unnamed_exercises_keep_a_name_the_article_used(library: Library) -> None:
    """Renamed exercises keep the article's name in ``aka`` so the source stays traceable."""
    assert "Supine back stretch (Superman exercise)" in library.exercise("superman").aka
    assert "Quadruped stand diagonally" in library.exercise("bird_dog").aka


def test_minutes_are_realistic(library: Library) -> None:
    """Session sizing relies on estimates between a minute and ten."""
    for exercise in library.exercises:
        assert 0.5 <= exercise.minutes <= 10, exercise.id
    assert library.exercise("forward_bend").minutes < library.exercise("bird_dog").minutes
