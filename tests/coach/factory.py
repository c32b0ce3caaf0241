"""Exercises and rules built in code, shaped like the real content, so coach tests stand alone."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from bot.coach.triage import Experience, PainDuration, TriageAnswers
from content.schema import (
    Area,
    Contraindication,
    Difficulty,
    Dosage,
    Equipment,
    Exercise,
    Goal,
    Position,
    RedFlag,
    Rules,
    Variant,
)

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=50, deadline=None)


def make_exercise(
    id: str,
    *,
    difficulty: Difficulty = Difficulty.MEDIUM,
    goal: Goal = Goal.STRENGTHEN,
    areas: tuple[Area, ...] = (Area.BACK,),
    position: Position = Position.PRONE,
    equipment: tuple[Equipment, ...] = (Equipment.MAT,),
    dosage: Dosage | None = None,
    variants: tuple[Variant, ...] = (),
    gentle: bool = False,
    weighted: bool = False,
    in_stretch_routine: bool = False,
    minutes: float = 4.0,
) -> Exercise:
    """One exercise with only the fields the coach reads set meaningfully."""
    return Exercise(
        id=id,
        name=id.replace("_", " ").capitalize(),
        difficulty=difficulty,
        goal=goal,
        summary="",
        muscles=(),
        areas=areas,
        position=position,
        equipment=equipment,
        steps=("Do it.",),
        dosage=dosage or Dosage(sets=3, reps=10),
        cautions=(),
        variants=variants,
        gentle=gentle,
        weighted=weighted,
        in_stretch_routine=in_stretch_routine,
        minutes=minutes,
    )


E, M, H = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD
B, A, G, HIP, LEG = Area.BACK, Area.ABDOMEN, Area.GLUTES, Area.HIPS, Area.LEGS

EXERCISES: tuple[Exercise, ...] = (
    make_exercise(
        "superman",
        goal=Goal.BOTH,
        areas=(B, G),
        dosage=Dosage(sets=3, reps=10, hold_seconds=3),
        variants=(Variant("superman_arms_only", "Arms only", "easier", "Legs down."),),
    ),
    make_exercise("chest_lift", dosage=Dosage(sets=3, reps=10, hold_seconds=3)),
    make_exercise(
        "glute_bridge",
        difficulty=E,
        areas=(G, B),
        position=Position.SUPINE,
        dosage=Dosage(sets=3, reps=12, hold_seconds=3),
        gentle=True,
        minutes=5,
    ),
    make_exercise("prone_leg_lift", areas=(G, B), dosage=Dosage(sets=3, reps=10, hold_seconds=2)),
    make_exercise(
        "bird_dog",
        difficulty=E,
        goal=Goal.BOTH,
        areas=(B, A),
        position=Position.QUADRUPED,
        dosage=Dosage(sets=3, reps=10, per_side=True),
        gentle=True,
        minutes=5,
    ),
    make_exercise(
        "kettlebell_lift",
        position=Position.STANDING,
        equipment=(Equipment.WEIGHT,),
        dosage=Dosage(sets=3, reps=15, per_side=True),
        weighted=True,
        minutes=6,
    ),
    make_exercise(
        "ball_back_extension",
        difficulty=H,
        areas=(B, G),
        position=Position.ON_BALL,
        equipment=(Equipment.BALL,),
    ),
    make_exercise(
        "cobra",
        goal=Goal.BOTH,
        areas=(B, A),
        dosage=Dosage(reps=10, hold_breaths=3),
        in_stretch_routine=True,
        minutes=3.5,
    ),
    make_exercise(
        "mountain_climber",
        difficulty=H,
        areas=(A, G, B),
        position=Position.PLANK,
        dosage=Dosage(sets=2, reps=6, per_side=True),
        minutes=2,
    ),
    make_exercise(
        "forward_bend",
        difficulty=E,
        goal=Goal.STRETCH,
        areas=(B, LEG),
        position=Position.STANDING,
        equipment=(Equipment.NONE,),
        dosage=Dosage(hold_breaths=5),
        variants=(Variant("forward_bend_soft_knees", "Soft knees", "easier", "Bend knees."),),
        gentle=True,
        in_stretch_routine=True,
        minutes=1,
    ),
    make_exercise(
        "cat_cow",
        difficulty=E,
        goal=Goal.STRETCH,
        areas=(B, A),
        position=Position.QUADRUPED,
        gentle=True,
        in_stretch_routine=True,
        minutes=3.5,
    ),
    make_exercise(
        "glute_roll",
        goal=Goal.STRETCH,
        areas=(G, HIP),
        position=Position.SEATED,
        equipment=(Equipment.ROLLER,),
        dosage=Dosage(duration_seconds=60, per_side=True),
        in_stretch_routine=True,
        minutes=2.5,
    ),
)
BY_ID = {e.id: e for e in EXERCISES}

RULES = Rules(
    red_flags=(
        RedFlag("saddle_numbness", "Numb saddle?", True, "Urgent: saddle."),
        RedFlag("bladder_bowel", "Bladder?", True, "Urgent: bladder."),
        RedFlag("trauma", "Fall?", False, "Doctor: trauma."),
        RedFlag("fever_unwell", "Fever?", False, "Doctor: fever."),
    ),
    red_flag_source="test",
    emergency_advice="Call emergency services now.",
    see_doctor_advice="See a doctor soon.",
    contraindications=(
        Contraindication("spine_fracture", "Fracture?", "Doctor first: fracture."),
        Contraindication("herniated_disc", "Disc?", "Doctor first: disc."),
    ),
    avoid_when_in_pain=("No crunches in pain.",),
    avoid_as_beginner=("No weights as a beginner.",),
    during_exercise=("Go slowly.", "Skip what hurts."),
    roller_rule="Roller on the buttocks only.",
)

FLAG_IDS = tuple(f.id for f in RULES.red_flags)
CONTRA_IDS = tuple(c.id for c in RULES.contraindications)


def answers_strategy(
    *,
    flags: st.SearchStrategy[frozenset[str]] | None = None,
    contras: st.SearchStrategy[frozenset[str]] | None = None,
) -> st.SearchStrategy[TriageAnswers]:
    """Every combination of triage answers (flags and contraindications by default empty)."""
    return st.builds(
        TriageAnswers,
        red_flags=flags if flags is not None else st.just(frozenset()),
        contraindications=contras if contras is not None else st.just(frozenset()),
        pain_now=st.integers(0, 10),
        pain_duration=st.sampled_from(PainDuration),
        experience=st.sampled_from(Experience),
        equipment=st.frozensets(st.sampled_from(Equipment)),
        cleared=st.booleans(),
    )


ANY_ANSWERS = answers_strategy(
    flags=st.frozensets(st.sampled_from(FLAG_IDS)),
    contras=st.frozensets(st.sampled_from(CONTRA_IDS)),
)
