"""Triage: who may exercise, in which phase, and which exercises are safe for them.

Decisions, in order (a test checks each over every answer combination):

1. **Red flags** (clinical screening, from ``Rules.red_flags``): any "yes" that a
   doctor has not cleared blocks all exercise. An emergency flag means urgent
   care now; any other flag means see a doctor soon.
2. **Contraindications** (the article: fractures, inflammation, herniated disc,
   "see a doctor first"): the triage continues so the profile is complete, but
   exercise stays blocked until the user confirms a doctor cleared them; then
   they start on the gentlest plan.
3. **Phase** (``choose_phase``):

   * gentle: a cleared red flag or contraindication; strong pain now (6 or
     more out of 10); or acute pain (days) of 4 or more;
   * building: new to exercise or exercising now and then, or pain of 3 to 5;
   * strengthening: regular exercisers with pain of 2 or less (hard exercises
     such as the mountain climber are for people already used to training).

4. **Allowed exercises** (``allowed_exercises``):

   * the gentle phase offers only exercises the content marks ``gentle``
     (stretches and gentle movement, done slowly), never hard ones;
   * otherwise a difficulty gate: easy always, medium from building, hard only
     when strengthening;
   * beginners and anyone in pain (1 or more) never get ``weighted`` exercises
     nor hard ones that load the back with equipment (the article: "equipment
     and weights are absolutely unsuitable if you have pain", "beginners should
     also never train with weight");
   * an exercise needing equipment the user lacks is left out; a mat is never
     required (floor work is fine on a rug), nor is ``NONE``. The fascia roller
     exercise therefore needs a roller, and its card says: buttocks only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from content.schema import Difficulty, Equipment, Exercise, Rules

STRONG_PAIN = 6
ACUTE_PAIN = 4
MODERATE_PAIN = 3
NEVER_REQUIRED = frozenset({Equipment.NONE, Equipment.MAT})


class RedFlagLevel(StrEnum):
    """How urgently the user should see a doctor."""

    NONE = "none"
    SOON = "soon"
    EMERGENCY = "emergency"


class PainDuration(StrEnum):
    """How long the pain has lasted; ``MONTHS`` means more than three months."""

    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Experience(StrEnum):
    """How used to exercise the user is."""

    NEW = "new"
    SOME = "some"
    REGULAR = "regular"


class Phase(StrEnum):
    """How hard the plan may be; the article says stretch first, then build up slowly."""

    GENTLE = "gentle"
    BUILDING = "building"
    STRENGTHENING = "strengthening"


class Advice(StrEnum):
    """Which pieces of advice the triage summary shows (see ``advice_texts``)."""

    EMERGENCY = "emergency"
    SEE_DOCTOR = "see_doctor"
    DOCTOR_FIRST = "doctor_first"
    GO_SLOWLY = "go_slowly"
    AVOID_IN_PAIN = "avoid_in_pain"
    BEGINNER = "beginner"
    ROLLER = "roller"


@dataclass(frozen=True, slots=True)
class TriageAnswers:
    """A finished triage, as the coach needs it; ``cleared`` means a doctor cleared the user."""

    red_flags: frozenset[str] = frozenset()
    contraindications: frozenset[str] = frozenset()
    pain_now: int = 0
    pain_duration: PainDuration = PainDuration.DAYS
    experience: Experience = Experience.NEW
    equipment: frozenset[Equipment] = frozenset()
    cleared: bool = False

    def __post_init__(self) -> None:
        """Reject a pain score outside 0..10 so no rule has to guess."""
        if not 0 <= self.pain_now <= 10:
            raise ValueError(f"pain_now must be 0..10, got {self.pain_now}")


@dataclass(frozen=True, slots=True)
class TriageOutcome:
    """Everything the summary and the plan builders need from one triage."""

    level: RedFlagLevel
    blocked: bool
    doctor_first: bool
    phase: Phase
    allowed: tuple[Exercise, ...]
    advice: tuple[Advice, ...]


def red_flag_level(flag_ids: Iterable[str], rules: Rules) -> RedFlagLevel:
    """Any emergency flag wins; any other (even an unknown id, to stay safe) means soon."""
    ids = frozenset(flag_ids)
    if not ids:
        return RedFlagLevel.NONE
    if any(flag.emergency and flag.id in ids for flag in rules.red_flags):
        return RedFlagLevel.EMERGENCY
    return RedFlagLevel.SOON


def exercise_blocked(answers: TriageAnswers) -> bool:
    """A red flag or contraindication blocks every exercise until a doctor clears the user."""
    return bool(answers.red_flags or answers.contraindications) and not answers.cleared


def doctor_first(answers: TriageAnswers) -> bool:
    """A contraindication not yet cleared: the summary says see a doctor first."""
    return bool(answers.contraindications) and not answers.cleared


def choose_phase(answers: TriageAnswers) -> Phase:
    """Pick the phase by the rule in the module docstring (gentlest wins)."""
    if answers.red_flags or answers.contraindications:
        return Phase.GENTLE
    if answers.pain_now >= STRONG_PAIN:
        return Phase.GENTLE
    if answers.pain_duration is PainDuration.DAYS and answers.pain_now >= ACUTE_PAIN:
        return Phase.GENTLE
    if answers.experience is not Experience.REGULAR or answers.pain_now >= MODERATE_PAIN:
        return Phase.BUILDING
    return Phase.STRENGTHENING


def required_equipment(exercise: Exercise) -> frozenset[Equipment]:
    """Equipment the user must own for this exercise (a mat never counts)."""
    return frozenset(exercise.equipment) - NEVER_REQUIRED


def _difficulty_ok(exercise: Exercise, phase: Phase) -> bool:
    """Easy anywhere, medium from building (or gentle-marked in the gentle phase), hard last."""
    if exercise.difficulty is Difficulty.EASY:
        return True
    if exercise.difficulty is Difficulty.MEDIUM:
        return phase is not Phase.GENTLE or exercise.gentle
    return phase is Phase.STRENGTHENING


def _fits(exercise: Exercise, answers: TriageAnswers, phase: Phase) -> bool:
    """One exercise against every rule of the module docstring."""
    if phase is Phase.GENTLE and not exercise.gentle:
        return False
    if not _difficulty_ok(exercise, phase):
        return False
    careful = answers.experience is Experience.NEW or answers.pain_now >= 1
    needs = required_equipment(exercise)
    if careful and (exercise.weighted or (exercise.difficulty is Difficulty.HARD and needs)):
        return False
    return needs <= answers.equipment


def allowed_exercises(
    answers: TriageAnswers, phase: Phase, exercises: Iterable[Exercise]
) -> tuple[Exercise, ...]:
    """The exercises this user may be offered, in library order; none while blocked."""
    if exercise_blocked(answers):
        return ()
    return tuple(e for e in exercises if _fits(e, answers, phase))


def _advice(
    answers: TriageAnswers, level: RedFlagLevel, phase: Phase, allowed: tuple[Exercise, ...]
) -> tuple[Advice, ...]:
    """The advice to show, most urgent first."""
    if level is RedFlagLevel.EMERGENCY and not answers.cleared:
        return (Advice.EMERGENCY,)
    if level is RedFlagLevel.SOON and not answers.cleared:
        return (Advice.SEE_DOCTOR,)
    advice: list[Advice] = []
    if doctor_first(answers):
        advice.append(Advice.DOCTOR_FIRST)
    if answers.pain_now >= 1 or phase is Phase.GENTLE:
        advice.append(Advice.GO_SLOWLY)
    if answers.pain_now >= 1:
        advice.append(Advice.AVOID_IN_PAIN)
    if answers.experience is Experience.NEW:
        advice.append(Advice.BEGINNER)
    if any(Equipment.ROLLER in e.equipment for e in allowed):
        advice.append(Advice.ROLLER)
    return tuple(advice)


def assess(answers: TriageAnswers, rules: Rules, exercises: Iterable[Exercise]) -> TriageOutcome:
    """Run the whole triage decision once, for the summary and the stored profile."""
    level = red_flag_level(answers.red_flags, rules)
    phase = choose_phase(answers)
    allowed = allowed_exercises(answers, phase, exercises)
    return TriageOutcome(
        level=level,
        blocked=exercise_blocked(answers),
        doctor_first=doctor_first(answers),
        phase=phase,
        allowed=allowed,
        advice=_advice(answers, level, phase, allowed),
    )


def advice_texts(outcome: TriageOutcome, answers: TriageAnswers, rules: Rules) -> tuple[str, ...]:
    """The user-facing lines for ``outcome.advice``, taken from the content's rules."""
    flags = [f for f in rules.red_flags if f.id in answers.red_flags]
    lines: list[str] = []
    for advice in outcome.advice:
        if advice is Advice.EMERGENCY:
            lines.append(rules.emergency_advice)
            lines.extend(f.advice for f in flags if f.emergency)
        elif advice is Advice.SEE_DOCTOR:
            lines.append(rules.see_doctor_advice)
            lines.extend(f.advice for f in flags)
        elif advice is Advice.DOCTOR_FIRST:
            lines.extend(
                c.advice for c in rules.contraindications if c.id in answers.contraindications
            )
        elif advice is Advice.GO_SLOWLY:
            lines.extend(rules.during_exercise)
        elif advice is Advice.AVOID_IN_PAIN:
            lines.extend(rules.avoid_when_in_pain)
        elif advice is Advice.BEGINNER:
            lines.extend(rules.avoid_as_beginner)
        else:
            lines.append(rules.roller_rule)
    return tuple(dict.fromkeys(lines))
