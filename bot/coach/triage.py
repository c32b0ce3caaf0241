"""Triage: who may exercise, in which phase, and which exercises are safe for them.

Decisions, in order (a test checks each over every answer combination):

1. **Red flags** (clinical screening, ``Rules.flags`` with a stopping tier): any
   "yes" that a doctor has not cleared blocks all exercise. The most urgent tier
   speaks: emergency (now), same day, or soon. A clearance names the flags it
   covers; a flag reported later is not covered.
2. **Contraindications** (the article: fractures, inflammation, herniated disc,
   "see a doctor first"; tier ``doctor_first``): the check continues so the
   profile is complete, but exercise stays blocked until the user confirms a
   doctor cleared them; then they start on the gentlest plan. Routine items
   (tell a GP) and pregnancy (no exercises lying on the stomach) never block.
3. **Phase** (``choose_phase``):

   * gentle: a cleared red flag or contraindication; strong pain now (6 or
     more out of 10); or acute pain (days) of 4 or more;
   * building: new to exercise or exercising now and then, or pain of 3 to 5;
   * strengthening: regular exercisers with pain of 2 or less (hard exercises
     such as the mountain climber are for people already used to training).

4. **Allowed exercises** (``allowed_exercises``):

   * severe pain (7 or more out of 10): mobility only, the exercises the content
     marks ``gentle`` whose goal is stretch (``Exercise.mobility``: the forward
     bend, cat-cow, and the glute roll with a roller); the article: "if you have
     pain, you should first stretch, warm up, relax and let yourself be massaged";
   * the gentle phase, or strong pain (6 or more) whatever the stored phase,
     offers only exercises the content marks ``gentle`` (stretches and gentle
     movement, done slowly), never hard ones;
   * otherwise a difficulty gate: easy always, medium from building, hard only
     when strengthening, and hard only at pain 0 (the mountain climber's own
     card: "leave it out while your back hurts");
   * ``weighted`` exercises (the kettlebell) only when the caller passes
     ``weights_ok`` (see ``bot.coach.selection.weights_allowed``: a regular
     exerciser at pain 0, with six sessions behind them, no "It hurts" for 14
     days and a pain answer from the last 7 days), and even then never for anyone
     but a regular exerciser at pain 0 (the article: "equipment and weights are
     absolutely unsuitable if you have pain or are prone to pain", "beginners
     should also never train with weight"); the triage summary never passes it;
   * in pregnancy, nothing lying on the stomach (``position: prone``);
   * an exercise needing equipment the user lacks is left out; a mat is never
     required (floor work is fine on a rug), nor is ``NONE``. The fascia roller
     exercise therefore needs a roller, and its card says: buttocks only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from content.schema import Difficulty, Equipment, Exercise, Position, Rules, Tier

STRONG_PAIN = 6
SEVERE_PAIN = 7
ACUTE_PAIN = 4
MODERATE_PAIN = 3
NEVER_REQUIRED = frozenset({Equipment.NONE, Equipment.MAT})


class RedFlagLevel(StrEnum):
    """How urgently the user should see a doctor (stored as ``profile.red_flag``)."""

    NONE = "none"
    SOON = "soon"
    SAME_DAY = "same_day"
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
    SAME_DAY = "same_day"
    SEE_DOCTOR = "see_doctor"
    DOCTOR_FIRST = "doctor_first"
    MENTION_TO_GP = "mention_to_gp"
    PREGNANCY = "pregnancy"
    GO_SLOWLY = "go_slowly"
    AVOID_IN_PAIN = "avoid_in_pain"
    BEGINNER = "beginner"
    ROLLER = "roller"


@dataclass(frozen=True, slots=True)
class TriageAnswers:
    """A finished triage, as the coach needs it.

    ``cleared`` holds the flags a doctor has cleared, one by one: a flag reported
    after a clearance (or not named by it) still blocks. ``pregnant`` rules out
    exercises lying on the stomach.
    """

    red_flags: frozenset[str] = frozenset()
    contraindications: frozenset[str] = frozenset()
    pain_now: int = 0
    pain_duration: PainDuration = PainDuration.DAYS
    experience: Experience = Experience.NEW
    equipment: frozenset[Equipment] = frozenset()
    cleared: frozenset[str] = frozenset()
    pregnant: bool = False
    notes: frozenset[str] = frozenset()  # routine items: exercise is fine, tell a GP

    @property
    def open_flags(self) -> frozenset[str]:
        """Reported red flags and contraindications that no clearance covers."""
        return (self.red_flags | self.contraindications) - self.cleared

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
    """The most urgent tier among these red flags; an unknown id counts as "soon", to stay safe.

    Contraindications and routine or adapting items are not red flags: they give
    ``NONE`` here (contraindications block through ``exercise_blocked``).
    """
    levels = [_level(flag_id, rules) for flag_id in flag_ids]
    order = list(RedFlagLevel)
    return max(levels, key=order.index, default=RedFlagLevel.NONE)


def _level(flag_id: str, rules: Rules) -> RedFlagLevel:
    flag = rules.flag(flag_id)
    if flag is None:
        return RedFlagLevel.SOON
    return {
        Tier.EMERGENCY: RedFlagLevel.EMERGENCY,
        Tier.SAME_DAY: RedFlagLevel.SAME_DAY,
        Tier.SOON: RedFlagLevel.SOON,
    }.get(flag.tier, RedFlagLevel.NONE)


def worst_tier(flag_ids: Iterable[str], rules: Rules) -> Tier | None:
    """The most urgent tier among these flags (unknown ids count as "soon"), or ``None``."""
    order = list(Tier)
    tiers = [flag.tier if (flag := rules.flag(i)) else Tier.SOON for i in flag_ids]
    return min(tiers, key=order.index, default=None)


def emergency_number(
    zone_name: str | None,
    zone_countries: Mapping[str, tuple[str, ...]],
    numbers: Mapping[str, str],
) -> str | None:
    """The number to call where the user's zone names one, else ``None``.

    A zone shared by several countries (Europe/Berlin also covers Denmark, Norway and
    Sweden) gives a number only when every one of them uses the same one.
    """
    countries = zone_countries.get(zone_name or "", ())
    found = {numbers.get(country) for country in countries}
    if len(found) != 1 or None in found:
        return None
    return found.pop()


def exercise_blocked(answers: TriageAnswers) -> bool:
    """Any reported red flag or contraindication blocks every exercise until a doctor clears it."""
    return bool(answers.open_flags)


def doctor_first(answers: TriageAnswers) -> bool:
    """A contraindication not yet cleared: the summary says see a doctor first."""
    return bool(answers.contraindications - answers.cleared)


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


def _difficulty_ok(exercise: Exercise, phase: Phase, pain_now: int) -> bool:
    """Easy anywhere, medium from building (or gentle-marked), hard only strengthening at pain 0."""
    if exercise.difficulty is Difficulty.EASY:
        return True
    if exercise.difficulty is Difficulty.MEDIUM:
        return phase is not Phase.GENTLE or exercise.gentle
    return phase is Phase.STRENGTHENING and pain_now == 0


def _fits(exercise: Exercise, answers: TriageAnswers, phase: Phase, weights_ok: bool) -> bool:
    """One exercise against every rule of the module docstring."""
    if answers.pain_now >= SEVERE_PAIN and not exercise.mobility:
        return False
    if (phase is Phase.GENTLE or answers.pain_now >= STRONG_PAIN) and not exercise.gentle:
        return False
    if not _difficulty_ok(exercise, phase, answers.pain_now):
        return False
    if exercise.weighted and not (
        weights_ok and answers.experience is Experience.REGULAR and answers.pain_now == 0
    ):
        return False
    if answers.pregnant and exercise.position is Position.PRONE:
        return False
    return required_equipment(exercise) <= answers.equipment


def allowed_exercises(
    answers: TriageAnswers,
    phase: Phase,
    exercises: Iterable[Exercise],
    *,
    weights_ok: bool = False,
) -> tuple[Exercise, ...]:
    """The exercises this user may be offered, in library order; none while blocked.

    ``weights_ok`` comes from ``bot.coach.selection.weights_allowed`` (the user's
    history); without it no weighted exercise is offered.
    """
    if exercise_blocked(answers):
        return ()
    return tuple(e for e in exercises if _fits(e, answers, phase, weights_ok))


def _advice(
    answers: TriageAnswers, level: RedFlagLevel, phase: Phase, allowed: tuple[Exercise, ...]
) -> tuple[Advice, ...]:
    """The advice to show, most urgent first; an open red flag leaves room for nothing else."""
    urgent = {
        RedFlagLevel.EMERGENCY: Advice.EMERGENCY,
        RedFlagLevel.SAME_DAY: Advice.SAME_DAY,
        RedFlagLevel.SOON: Advice.SEE_DOCTOR,
    }
    if level in urgent:
        return (urgent[level],)
    advice: list[Advice] = []
    if doctor_first(answers):
        advice.append(Advice.DOCTOR_FIRST)
    if answers.notes:
        advice.append(Advice.MENTION_TO_GP)
    if answers.pregnant:
        advice.append(Advice.PREGNANCY)
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
    level = red_flag_level(answers.red_flags - answers.cleared, rules)
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
    """The user-facing lines for ``outcome.advice``, taken from the content's rules.

    A tier's own advice is left to the caller (it needs the emergency number); these
    are the per-flag reasons and the article's rules.
    """
    open_red = answers.red_flags - answers.cleared
    lines: list[str] = []
    for advice in outcome.advice:
        if advice in (Advice.EMERGENCY, Advice.SAME_DAY, Advice.SEE_DOCTOR):
            lines.extend(f.why for f in rules.flags if f.id in open_red and f.tier.stops)
        elif advice is Advice.DOCTOR_FIRST:
            open_contra = answers.contraindications - answers.cleared
            lines.extend(f.why for f in rules.flags if f.id in open_contra)
        elif advice is Advice.MENTION_TO_GP:
            lines.extend(f.why for f in rules.flags if f.id in answers.notes)
        elif advice is Advice.PREGNANCY:
            lines.extend(f.why for f in rules.flags if f.tier is Tier.ADAPT)
        elif advice is Advice.GO_SLOWLY:
            lines.extend(rules.during_exercise)
        elif advice is Advice.AVOID_IN_PAIN:
            lines.extend(rules.avoid_when_in_pain)
        elif advice is Advice.BEGINNER:
            lines.extend(rules.avoid_as_beginner)
        else:
            lines.append(rules.roller_rule)
    return tuple(dict.fromkeys(lines))


class Access(StrEnum):
    """May this user be given an exercise card or a stretch nudge right now?"""

    ALLOWED = "allowed"
    NO_PROFILE = "no_profile"  # never finished the check: start it
    CHECK_OPEN = "check_open"  # a check (first or redo) is under way: resume it
    BLOCKED = "blocked"  # a reported flag that no doctor has cleared


def exercise_access(answers: TriageAnswers | None, *, check_open: bool) -> Access:
    """The one gate every card, button, nudge and snooze passes.

    An open check wins over the stored profile: while the user is answering the
    safety questions again, the old answers no longer speak for them. A blocked
    profile stays blocked whatever else is true.
    """
    if answers is not None and exercise_blocked(answers):
        return Access.BLOCKED
    if check_open:
        return Access.CHECK_OPEN
    if answers is None:
        return Access.NO_PROFILE
    return Access.ALLOWED
