"""Exercises built in code, shaped like the real content, so coach tests stand alone.

Kept apart from ``factory`` (which also builds screening rules) so plan and
selection tests do not depend on the rules' shape.
"""

from __future__ import annotations

from hypothesis import settings

from content.schema import (
    Area,
    Difficulty,
    Dosage,
    Equipment,
    Exercise,
    Goal,
    Position,
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
        gentle=True,
        in_stretch_routine=True,
        minutes=2.5,
    ),
)
BY_ID = {e.id: e for e in EXERCISES}
