"""Pydantic models that check the raw YAML before it becomes frozen dataclasses.

They mirror ``content.schema`` field by field; anything the schema cannot
express (unknown keys, empty lists, non-positive counts, a dosage with no
measure) is rejected here so a broken file fails at start, not mid-session.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from content.schema import Area, Difficulty, Equipment, Goal, GroupKind, Position, Tier

# Ids travel in callback data (``s1:done:cat_cow``), so keep them short and plain.
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
Text = Annotated[str, Field(min_length=1)]
OneLine = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\n]+$")]
Count = Annotated[int, Field(gt=0)]
# A photo caption holds 1024 characters; the steps must leave room for the rest.
MAX_STEPS_CHARS = 700
# Where a desk exercise can be done: beside the desk or on its chair, never on the floor.
DESK_POSITIONS = (Position.STANDING, Position.SEATED)
# YAML hands enums over as plain strings, so these fields alone are lax.
DifficultyField = Annotated[Difficulty, Field(strict=False)]
GoalField = Annotated[Goal, Field(strict=False)]
PositionField = Annotated[Position, Field(strict=False)]
AreaField = Annotated[Area, Field(strict=False)]
EquipmentField = Annotated[Equipment, Field(strict=False)]


T = TypeVar("T")


def _unique(items: list[T]) -> list[T]:
    """Reject repeated entries, which always mean a copy-paste slip."""
    seen: list[T] = []
    for item in items:
        if item in seen:
            raise ValueError(f"duplicate entry {item!r}")
        seen.append(item)
    return items


def _no_duplicate_ids(field: str, ids: list[str], noun: str = "id") -> None:
    """Raise naming ``field`` when an id repeats, since lookups go by id."""
    for index, item in enumerate(ids):
        if item in ids[:index]:
            raise ValueError(f"{field}: duplicate {noun} {item!r}")


class Strict(BaseModel):
    """Base for every content model: no unknown keys, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DosageModel(Strict):
    """How much to do; at least one measure must be given."""

    sets: Count = 1
    reps: Count | None = None
    hold_seconds: Count | None = None
    hold_breaths: Count | None = None
    duration_seconds: Count | None = None
    per_side: bool = False

    @model_validator(mode="after")
    def _has_measure(self) -> DosageModel:
        """A dosage without reps, hold or duration cannot be shown on a card."""
        measures = (self.reps, self.hold_seconds, self.hold_breaths, self.duration_seconds)
        if all(value is None for value in measures):
            raise ValueError(
                "give at least one of reps, hold_seconds, hold_breaths, duration_seconds"
            )
        return self


class VariantModel(Strict):
    """An easier or harder form the article names."""

    id: Id
    name: Text
    kind: Literal["easier", "harder"]
    description: Text
    dosage: DosageModel | None = None


class ExerciseModel(Strict):
    """One exercise file."""

    id: Id
    name: Text
    aka: Annotated[list[Text], AfterValidator(_unique)] = []
    difficulty: DifficultyField
    goal: GoalField
    summary: OneLine
    muscles: Annotated[list[Text], Field(min_length=1), AfterValidator(_unique)]
    areas: Annotated[list[AreaField], Field(min_length=1), AfterValidator(_unique)]
    position: PositionField
    equipment: Annotated[list[EquipmentField], Field(min_length=1), AfterValidator(_unique)]
    steps: Annotated[list[Text], Field(min_length=1, max_length=8)]
    dosage: DosageModel
    cautions: list[Text] = []
    dosage_note: OneLine | None = None
    variants: list[VariantModel] = []
    gentle: bool = False
    weighted: bool = False
    in_stretch_routine: bool = False
    minutes: Annotated[float, Field(gt=0, le=30, strict=False)]
    # A standing or seated form of an article exercise (checked by the loader to exist).
    variant_of: Id | None = None
    at_desk: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ExerciseModel:
        """Catch flag combinations that would let the coach pick something unsafe."""
        if Equipment.NONE in self.equipment and len(self.equipment) > 1:
            raise ValueError("equipment: 'none' cannot be combined with other equipment")
        if self.weighted != (Equipment.WEIGHT in self.equipment):
            raise ValueError("weighted: must be true exactly when equipment includes 'weight'")
        if self.gentle and self.weighted:
            raise ValueError("gentle: a weighted exercise cannot be gentle")
        if sum(len(step) for step in self.steps) > MAX_STEPS_CHARS:
            raise ValueError(
                f"steps: more than {MAX_STEPS_CHARS} characters in total do not fit on a card"
            )
        _no_duplicate_ids("variants", [variant.id for variant in self.variants])
        self._desk_rules()
        return self

    def _desk_rules(self) -> None:
        """A desk exercise needs no floor and no gear; a variant is a desk form, never a 13th."""
        if self.at_desk and self.position not in DESK_POSITIONS:
            raise ValueError("at_desk: only a standing or seated exercise can be done at a desk")
        if self.at_desk and self.equipment != [Equipment.NONE]:
            raise ValueError("at_desk: an exercise done at a desk needs equipment [none]")
        if self.variant_of is None:
            return
        if self.variant_of == self.id:
            raise ValueError("variant_of: an exercise cannot be a variant of itself")
        if not self.at_desk:
            raise ValueError("variant_of: a variant is a standing or seated form: set at_desk")
        if self.in_stretch_routine:
            raise ValueError(
                "in_stretch_routine: a variant stays out of /stretch, which keeps the article's"
                " own exercises (the desk routine picks variants by at_desk)"
            )


class FlagModel(Strict):
    """One screening item."""

    id: Id
    tier: Annotated[Tier, Field(strict=False)]
    label: OneLine
    button: Annotated[str, Field(min_length=1, max_length=40)]
    question: Text
    why: Text
    when: Literal["age_50_plus"] | None = None


class GroupModel(Strict):
    """One message of the screen."""

    id: Id
    kind: Annotated[GroupKind, Field(strict=False)]
    intro: Text
    flags: Annotated[list[FlagModel], Field(min_length=1, max_length=8)]

    @model_validator(mode="after")
    def _kind_fits_tiers(self) -> GroupModel:
        """A stop group holds only stopping flags; a pick group none (they stop at once)."""
        for flag in self.flags:
            if flag.tier.stops != (self.kind is GroupKind.STOP):
                raise ValueError(f"flag {flag.id!r}: tier {flag.tier} in a {self.kind} group")
        return self


class TierTextModel(Strict):
    """A tier's headline and advice."""

    headline: OneLine
    advice: Text


class AgeModel(Strict):
    """The age question and the answer for people under 16."""

    question: Text
    under_16: Text


class RulesModel(Strict):
    """``rules.yaml``."""

    sources: Annotated[list[OneLine], Field(min_length=1)]
    tiers: dict[Annotated[Tier, Field(strict=False)], TierTextModel]
    groups: Annotated[list[GroupModel], Field(min_length=1)]
    age: AgeModel
    avoid_when_in_pain: Annotated[list[Text], Field(min_length=1)]
    avoid_as_beginner: Annotated[list[Text], Field(min_length=1)]
    during_exercise: Annotated[list[Text], Field(min_length=1)]
    roller_rule: Text

    @model_validator(mode="after")
    def _complete(self) -> RulesModel:
        """Answers are stored by id, so ids must not collide; every tier needs its words."""
        _no_duplicate_ids("groups", [group.id for group in self.groups])
        _no_duplicate_ids(
            "groups.flags", [flag.id for group in self.groups for flag in group.flags]
        )
        missing = set(Tier) - set(self.tiers)
        if missing:
            raise ValueError(f"tiers: missing {', '.join(sorted(missing))}")
        return self


class EmergencyNumbersModel(Strict):
    """``emergency_numbers.yaml``: ISO country code to the number to call."""

    numbers: dict[
        Annotated[str, Field(pattern=r"^[A-Z]{2}$")],
        Annotated[str, Field(pattern=r"^[0-9]{2,5}$")],
    ]


class TipModel(Strict):
    """One education tip."""

    id: Id
    topic: Text
    text: Annotated[str, Field(min_length=1, max_length=400)]


class TipsModel(Strict):
    """``tips.yaml``."""

    tips: Annotated[list[TipModel], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> TipsModel:
        """Tips are rotated by id, so ids must not collide."""
        _no_duplicate_ids("tips", [tip.id for tip in self.tips])
        return self


NudgeText = Annotated[str, Field(min_length=1, max_length=200)]


def _placeholders(text: str) -> list[str]:
    """The ``{names}`` in a text; a broken brace is an error."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        raise ValueError(f"broken placeholder in {text!r}: {error}") from None


def _names_first_card(texts: list[str]) -> list[str]:
    """Each stretch text names the card its button starts with: ``{first}``, once."""
    for text in texts:
        if _placeholders(text) != ["first"]:
            raise ValueError(f"{text!r} must hold {{first}} (the first card's name) once")
    return texts


def _plain(text: str) -> str:
    """A text sent as it is: no placeholders."""
    if _placeholders(text):
        raise ValueError(f"{text!r} must hold no placeholder")
    return text


PlainNudgeText = Annotated[NudgeText, AfterValidator(_plain)]


class NudgesModel(Strict):
    """``nudges.yaml``."""

    stretch: Annotated[
        list[NudgeText],
        Field(min_length=1),
        AfterValidator(_unique),
        AfterValidator(_names_first_card),
    ]
    water: Annotated[list[PlainNudgeText], Field(min_length=1), AfterValidator(_unique)]
    stretch_plain: PlainNudgeText


class CityModel(Strict):
    """A city and its IANA zone (checked against zoneinfo by the loader)."""

    name: Annotated[str, Field(min_length=1, max_length=40)]
    zone: Text


class RegionModel(Strict):
    """One button row of cities."""

    name: Annotated[str, Field(min_length=1, max_length=40)]
    cities: Annotated[list[CityModel], Field(min_length=1)]


class RegionsModel(Strict):
    """``regions.yaml``."""

    regions: Annotated[list[RegionModel], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> RegionsModel:
        """A city button is found by name, so names must not collide."""
        _no_duplicate_ids("regions", [region.name for region in self.regions], "name")
        cities = [city.name for region in self.regions for city in region.cities]
        _no_duplicate_ids("regions.cities", cities, "name")
        return self


# --- free text

# A phrase as typed, in lower case: words and spaces, apostrophes inside words.
# Lower-case words of any language ("gestürzt"), as ``bot.coach.free_text`` reads them.
Phrase = Annotated[
    str, Field(pattern=r"^(?:[^\W_A-ZÄÖÜ]|')+(?: (?:[^\W_A-ZÄÖÜ]|')+)*$", max_length=40)
]
Phrases = Annotated[list[Phrase], Field(min_length=1), AfterValidator(_unique)]
Word = Annotated[str, Field(pattern=r"^[^\W\d_A-ZÄÖÜ]+(?:'[^\W\d_A-ZÄÖÜ]+)?$", max_length=20)]
Words = Annotated[list[Word], Field(min_length=1), AfterValidator(_unique)]


class FreeTextModel(Strict):
    """``free_text.yaml``: what typed messages are about (English for now)."""

    symptoms: Phrases
    pain: Phrases
    negations: Words
    clause_words: Words

    @model_validator(mode="after")
    def _apart(self) -> FreeTextModel:
        """A phrase is a warning sign or pain, not both: the warning sign would always win."""
        both = sorted(set(self.symptoms) & set(self.pain))
        if both:
            raise ValueError(f"in both symptoms and pain: {', '.join(both)}")
        return self


# --- check-ins


class CheckInActivityModel(Strict):
    """An everyday activity the back can make hard (Patient-Specific Functional Scale)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
    name: Annotated[str, Field(min_length=1, max_length=40)]  # the button
    phrase: OneLine  # "sitting for an hour", inside the rating question


class CheckInQuestionsModel(Strict):
    """The check-in's questions, in the order they are asked."""

    pain: OneLine
    function: OneLine
    pick: OneLine
    pick_more: OneLine
    rate: OneLine  # holds {activity}


class CheckInModel(Strict):
    """``checkin.yaml``."""

    sources: Annotated[list[Text], Field(min_length=1)]
    max_activities: Annotated[int, Field(ge=1, le=5)]
    questions: CheckInQuestionsModel
    activities: Annotated[list[CheckInActivityModel], Field(min_length=1, max_length=8)]

    @model_validator(mode="after")
    def _complete(self) -> CheckInModel:
        """Activity ids are stored in answers and buttons, so they must not collide."""
        _no_duplicate_ids("activities", [activity.id for activity in self.activities])
        if "{activity}" not in self.questions.rate:
            raise ValueError("questions.rate must hold {activity}")
        return self
