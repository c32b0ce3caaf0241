"""Typed, frozen content records shared by the coach, the pictures and the handlers.

The YAML files under ``content/`` are validated into these types at load
(see ``content.loader``); everything downstream relies on them being complete
and immutable, so no code needs to re-check a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from babel.dates import format_date

from content.plurals import format_number, formatter_for


class Difficulty(StrEnum):
    """How hard an exercise is, as the article rates it."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Goal(StrEnum):
    """What an exercise is for."""

    STRENGTHEN = "strengthen"
    STRETCH = "stretch"
    BOTH = "both"


class Equipment(StrEnum):
    """Equipment a user may have at hand; ``NONE`` marks bodyweight on the floor."""

    NONE = "none"
    MAT = "mat"
    WEIGHT = "weight"  # kettlebell or dumbbell
    BALL = "ball"  # exercise ball, used against a wall or sofa
    ROLLER = "roller"  # fascia roller


class Area(StrEnum):
    """Body areas used to rotate sessions so a week covers back, abdomen and glutes."""

    BACK = "back"
    ABDOMEN = "abdomen"
    GLUTES = "glutes"
    HIPS = "hips"
    LEGS = "legs"


class Position(StrEnum):
    """Starting position, which also tells the picture how the figure lies."""

    PRONE = "prone"  # lying on the stomach
    SUPINE = "supine"  # lying on the back
    QUADRUPED = "quadruped"  # on hands and knees
    PLANK = "plank"
    STANDING = "standing"
    SEATED = "seated"
    ON_BALL = "on_ball"


@dataclass(frozen=True, slots=True)
class Dosage:
    """How much of an exercise to do; exactly the fields the article gives are set."""

    sets: int = 1
    reps: int | None = None
    hold_seconds: int | None = None
    hold_breaths: int | None = None
    duration_seconds: int | None = None
    per_side: bool = False


@dataclass(frozen=True, slots=True)
class Variant:
    """An easier or harder form of an exercise that the article names."""

    id: str
    name: str
    kind: str  # "easier" or "harder"
    description: str
    dosage: Dosage | None = None


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise card's worth of content."""

    id: str
    name: str
    difficulty: Difficulty
    goal: Goal
    summary: str
    muscles: tuple[str, ...]
    areas: tuple[Area, ...]
    position: Position
    equipment: tuple[Equipment, ...]
    steps: tuple[str, ...]
    dosage: Dosage
    cautions: tuple[str, ...]
    variants: tuple[Variant, ...] = ()
    aka: tuple[str, ...] = ()
    # Where the dosage comes from when the article gives none; a note, never a caution.
    dosage_note: str | None = None
    # Safe in strong pain when done slowly (stretches and gentle movement).
    gentle: bool = False
    # Loaded with a weight: never for beginners or anyone in pain.
    weighted: bool = False
    # Part of the short stretch routine (/stretch).
    in_stretch_routine: bool = False
    # Estimated minutes for the whole dosage, used to size sessions.
    minutes: float = 2.0
    source: str = "seed/lower-back-exercises.txt"
    # A standing or seated form of one of the article's exercises (its id): the same
    # movement, done where there is no floor to lie on. ``None`` for the article's own.
    variant_of: str | None = None
    # Doable at a desk: standing beside it or sitting on a chair, with nothing but a chair
    # (the stretch nudge's routine is made of these only).
    at_desk: bool = False

    @property
    def family(self) -> str:
        """The article exercise this is (a form of): its own id, or ``variant_of``."""
        return self.variant_of or self.id

    @property
    def mobility(self) -> bool:
        """A gentle pure stretch or loosening, the only work offered in severe pain.

        The article: "If you have pain, you should first stretch, warm up, relax and
        let yourself be massaged" (the forward bend, cat-cow and the glute roll).
        """
        return self.gentle and self.goal is Goal.STRETCH


class Tier(StrEnum):
    """What a Yes to a screening item means for the user, most urgent first."""

    EMERGENCY = "emergency"  # call the emergency number or go to the emergency department now
    SAME_DAY = "same_day"  # see a doctor today
    SOON = "soon"  # see a doctor in the next days; exercises wait
    DOCTOR_FIRST = "doctor_first"  # the article: doctor first, then the gentlest plan
    ROUTINE = "routine"  # exercise is fine; mention it to a GP
    ADAPT = "adapt"  # exercise is fine, the plan is adapted (pregnancy)

    @property
    def stops(self) -> bool:
        """A Yes stops the check at once (the three red-flag tiers)."""
        return self in (Tier.EMERGENCY, Tier.SAME_DAY, Tier.SOON)

    @property
    def blocks(self) -> bool:
        """A Yes blocks every exercise until a doctor clears it."""
        return self.stops or self is Tier.DOCTOR_FIRST


class GroupKind(StrEnum):
    """How a screen group is answered."""

    STOP = "stop"  # tap the item that fits (a Yes stops the check) or "None of these"
    PICK = "pick"  # tap every item that applies, then Done, or "None of these"


@dataclass(frozen=True, slots=True)
class Flag:
    """One screening item: its words, its tier, and why it matters."""

    id: str
    tier: Tier
    label: str  # a short noun phrase for summaries: "new bladder or bowel trouble"
    button: str  # the button's text
    question: str  # the item as listed in the group's message
    why: str  # one or two sentences: why this needs a doctor (or what changes)
    when: str | None = None  # "age_50_plus": shown only to people aged 50 or over


@dataclass(frozen=True, slots=True)
class ScreenGroup:
    """Several flags asked in one message, each answered explicitly."""

    id: str
    kind: GroupKind
    intro: str
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class TierText:
    """What a tier tells the user: a headline and what to do."""

    headline: str
    advice: str  # may hold {number}: the emergency number


@dataclass(frozen=True, slots=True)
class Rules:
    """The clinical screen and the article's safety rules, as data."""

    groups: tuple[ScreenGroup, ...]
    tiers: dict[Tier, TierText]
    sources: tuple[str, ...]
    age_question: str
    under_16: str
    avoid_when_in_pain: tuple[str, ...]
    avoid_as_beginner: tuple[str, ...]
    during_exercise: tuple[str, ...]  # "skip what hurts", "go slowly when in pain", ...
    roller_rule: str  # the fascia roller only on the buttocks, never on the spine

    @property
    def flags(self) -> tuple[Flag, ...]:
        """Every screening item, in the order they are asked."""
        return tuple(flag for group in self.groups for flag in group.flags)

    def flag(self, flag_id: str) -> Flag | None:
        """The item with this id, or ``None`` for an id this content does not know."""
        return next((flag for flag in self.flags if flag.id == flag_id), None)


@dataclass(frozen=True, slots=True)
class Tip:
    """A short education tip drawn from the article's advice."""

    id: str
    topic: str
    text: str


@dataclass(frozen=True, slots=True)
class NudgeTexts:
    """Varied reminder texts; none of them guilt-trips.

    Each stretch text holds ``{first}``: the name of the card its button starts with
    (``bot.coach.desk.stretch_nudge_text``). ``stretch_plain`` names none, for someone
    with no routine to start (no finished check).
    """

    stretch: tuple[str, ...]
    water: tuple[str, ...]
    stretch_plain: str = "Time for a short stretch? Tap below when you're ready."


@dataclass(frozen=True, slots=True)
class City:
    """A city a user can pick during triage, mapped to its IANA zone."""

    name: str
    zone: str


@dataclass(frozen=True, slots=True)
class Region:
    """A group of cities shown as one button row during the time-zone step."""

    name: str
    cities: tuple[City, ...]


@dataclass(frozen=True, slots=True)
class CheckInActivity:
    """An everyday activity the back can make hard; rated 0..10 for how well it goes."""

    id: str
    name: str  # the button: "Sitting an hour"
    phrase: str  # inside the rating question: "sitting for an hour"


@dataclass(frozen=True, slots=True)
class CheckInQuestions:
    """The check-in's questions (``rate`` holds ``{activity}``)."""

    pain: str
    function: str
    pick: str
    pick_more: str
    rate: str


@dataclass(frozen=True, slots=True)
class CheckInContent:
    """The weekly check-in as data: questions, the activities offered, and the sources."""

    questions: CheckInQuestions = CheckInQuestions("", "", "", "", "{activity}")
    activities: tuple[CheckInActivity, ...] = ()
    max_activities: int = 3
    sources: tuple[str, ...] = ()

    def activity(self, activity_id: str) -> CheckInActivity | None:
        """The activity with this id, or ``None`` for an id this content does not know."""
        return next((a for a in self.activities if a.id == activity_id), None)


@dataclass(frozen=True, slots=True)
class FreeTextRules:
    """Phrases that tell what a typed message is about (``bot.coach.free_text``), English.

    ``symptoms`` are possible warning signs (a doctor, never an exercise), ``pain`` the
    back hurting today; ``negations`` are words that undo a phrase just after them, up
    to a ``clause_words`` word ("but") or a punctuation mark.
    """

    symptoms: tuple[str, ...] = ()
    pain: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    clause_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Library:
    """All content, loaded once at start and passed down."""

    exercises: tuple[Exercise, ...]
    rules: Rules
    tips: tuple[Tip, ...]
    nudges: NudgeTexts
    regions: tuple[Region, ...]
    texts: dict[str, str] = field(default_factory=dict)
    # Emergency numbers by ISO country code, and the countries each IANA zone covers.
    emergency_numbers: dict[str, str] = field(default_factory=dict)
    zone_countries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checkin: CheckInContent = field(default_factory=CheckInContent)
    free_text: FreeTextRules = field(default_factory=FreeTextRules)
    # The catalog language these texts are in ("en", "de"): plurals and numbers follow it.
    language: str = "en"

    def exercise(self, exercise_id: str) -> Exercise:
        """Return the exercise with this id, raising ``KeyError`` if unknown."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def text(self, key: str, **values: object) -> str:
        """Return the user-facing string ``key`` with ``values`` filled in.

        ``{count:glass|glasses}`` is the word for a number, one form per CLDR plural
        category of the language (``content.plurals``): English and German have two.
        """
        if not values:
            return self.texts[key]
        return formatter_for(self.language).format(self.texts[key], **values)

    def number(self, value: float) -> str:
        """A number as this language writes it: ``1.5`` in English, ``1,5`` in German."""
        return format_number(value, self.language)

    def day_month(self, day: date, *, long: bool = False) -> str:
        """A day and its month as this language writes them: ``3 Mar``, ``3.3.``; long,
        ``3 March``, ``3. März``.

        The pattern is the text ``date_day_month`` (``date_day_month_long``); the month
        names are Babel's (CLDR), never the process locale's.
        """
        key = "date_day_month_long" if long else "date_day_month"
        return str(format_date(day, self.texts[key], locale=self.language))
