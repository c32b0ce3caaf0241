"""Typed, frozen content records shared by the coach, the pictures and the handlers.

The YAML files under ``content/`` are validated into these types at load
(see ``content.loader``); everything downstream relies on them being complete
and immutable, so no code needs to re-check a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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
    # Safe in strong pain when done slowly (stretches and gentle movement).
    gentle: bool = False
    # Loaded with a weight: never for beginners or anyone in pain.
    weighted: bool = False
    # Part of the short stretch routine (/stretch).
    in_stretch_routine: bool = False
    # Estimated minutes for the whole dosage, used to size sessions.
    minutes: float = 2.0
    source: str = "seed/lower-back-exercises.txt"


@dataclass(frozen=True, slots=True)
class RedFlag:
    """One screening question; ``emergency`` ones send the user to urgent care now."""

    id: str
    question: str
    emergency: bool
    advice: str


@dataclass(frozen=True, slots=True)
class Contraindication:
    """A condition after which the article says to see a doctor before exercising."""

    id: str
    question: str
    advice: str


@dataclass(frozen=True, slots=True)
class Rules:
    """The article's safety rules and the clinical screening list, as data."""

    red_flags: tuple[RedFlag, ...]
    red_flag_source: str
    emergency_advice: str
    see_doctor_advice: str
    contraindications: tuple[Contraindication, ...]
    avoid_when_in_pain: tuple[str, ...]
    avoid_as_beginner: tuple[str, ...]
    during_exercise: tuple[str, ...]  # "skip what hurts", "go slowly when in pain", ...
    roller_rule: str  # the fascia roller only on the buttocks, never on the spine


@dataclass(frozen=True, slots=True)
class Tip:
    """A short education tip drawn from the article's advice."""

    id: str
    topic: str
    text: str


@dataclass(frozen=True, slots=True)
class NudgeTexts:
    """Varied reminder texts; none of them guilt-trips."""

    stretch: tuple[str, ...]
    water: tuple[str, ...]


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
class Library:
    """All content, loaded once at start and passed down."""

    exercises: tuple[Exercise, ...]
    rules: Rules
    tips: tuple[Tip, ...]
    nudges: NudgeTexts
    regions: tuple[Region, ...]
    texts: dict[str, str] = field(default_factory=dict)

    def exercise(self, exercise_id: str) -> Exercise:
        """Return the exercise with this id, raising ``KeyError`` if unknown."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def text(self, key: str, **values: object) -> str:
        """Return the user-facing string ``key`` with ``values`` filled in."""
        return self.texts[key].format(**values) if values else self.texts[key]
