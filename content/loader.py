"""Load and validate the YAML content into the frozen ``content.schema`` records.

Called once at start; a broken file stops the bot with a message that names
the file and the field, so content mistakes never reach a user. Adding an
exercise means adding a file to ``exercises/``; no code changes.
"""

from __future__ import annotations

import re
import string
import zoneinfo
from collections.abc import Hashable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError

from content.catalog import SOURCE_LANGUAGE, Translator
from content.catalog import languages as catalog_languages
from content.models import (
    CheckInModel,
    DosageModel,
    EmergencyNumbersModel,
    ExerciseModel,
    FlagModel,
    FreeTextModel,
    GroupModel,
    NudgesModel,
    RegionsModel,
    RulesModel,
    TipsModel,
    VariantModel,
)
from content.schema import (
    CheckInActivity,
    CheckInContent,
    CheckInQuestions,
    City,
    Dosage,
    Exercise,
    Flag,
    FreeTextRules,
    Library,
    NudgeTexts,
    Region,
    Rules,
    ScreenGroup,
    TierText,
    Tip,
    Variant,
)

CONTENT_ROOT = Path(__file__).resolve().parent
EXERCISE_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M")

_TEXTS = TypeAdapter(dict[str, str], config=ConfigDict(strict=True))
# The catalog applied by ``_read`` while one language loads (None: English, as written).
_TRANSLATOR: ContextVar[Translator | None] = ContextVar("_TRANSLATOR", default=None)


class ContentError(ValueError):
    """A content file is missing, unreadable or invalid; the message names file and field."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        """Keep the file and each ``(field, message)`` so tests and logs can point at them."""
        self.file = file
        self.problems = tuple(problems)
        self.fields = tuple(field for field, _ in problems)
        lines = [
            f"{file}: {field}: {msg}" if field else f"{file}: {msg}" for field, msg in problems
        ]
        super().__init__("\n".join(lines))


_BOOL_TAG = "tag:yaml.org,2002:bool"


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses repeated keys and reads only true/false as booleans.

    YAML 1.1 turns bare ``yes``, ``no``, ``on`` and ``off`` into booleans, which
    silently breaks texts such as a ``no:`` button label; YAML 1.2 does not.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Reject a key seen twice in one mapping, a silent data loss otherwise."""
        self.flatten_mapping(node)
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _relative(root: Path, path: Path) -> str:
    """Name a file the way error messages do: relative to the content root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read(root: Path, path: Path) -> object:
    """Parse one YAML file, turning every failure into a ``ContentError``.

    With a language being loaded (``_TRANSLATOR``), the file's translatable strings are
    swapped for that language's before validation, so the same checks hold for it.
    """
    rel = _relative(root, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(rel, [("", f"cannot read file: {error}")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ContentError(rel, [("", f"invalid YAML{where}: {problem}")]) from None
    translator = _TRANSLATOR.get()
    return translator.translate(rel, data) if translator is not None else data


def _validate(adapter: TypeAdapter[M], data: object, rel: str) -> M:
    """Validate ``data``, reporting every problem with its dotted field path."""
    if not isinstance(data, dict):
        raise ContentError(rel, [("", "expected a mapping of keys to values at the top level")])
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            field = ".".join(str(part) for part in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append((field, message))
        raise ContentError(rel, problems) from None


def _load(root: Path, name: str, adapter: TypeAdapter[M]) -> M:
    """Read and validate one top-level file such as ``rules.yaml``."""
    path = root / name
    if not path.is_file():
        raise ContentError(name, [("", "file not found")])
    return _validate(adapter, _read(root, path), name)


def _dosage(model: DosageModel) -> Dosage:
    """Convert a checked dosage."""
    return Dosage(
        sets=model.sets,
        reps=model.reps,
        hold_seconds=model.hold_seconds,
        hold_breaths=model.hold_breaths,
        duration_seconds=model.duration_seconds,
        per_side=model.per_side,
    )


def _variant(model: VariantModel) -> Variant:
    """Convert a checked variant."""
    dosage = _dosage(model.dosage) if model.dosage is not None else None
    return Variant(
        id=model.id, name=model.name, kind=model.kind, description=model.description, dosage=dosage
    )


def _exercise(model: ExerciseModel, rel: str) -> Exercise:
    """Convert a checked exercise, remembering which file it came from."""
    return Exercise(
        id=model.id,
        name=model.name,
        difficulty=model.difficulty,
        goal=model.goal,
        summary=model.summary,
        muscles=tuple(model.muscles),
        areas=tuple(model.areas),
        position=model.position,
        equipment=tuple(model.equipment),
        steps=tuple(model.steps),
        dosage=_dosage(model.dosage),
        cautions=tuple(model.cautions),
        dosage_note=model.dosage_note,
        variants=tuple(_variant(variant) for variant in model.variants),
        aka=tuple(model.aka),
        gentle=model.gentle,
        weighted=model.weighted,
        in_stretch_routine=model.in_stretch_routine,
        minutes=model.minutes,
        source=f"seed/lower-back-exercises.txt via content/{rel}",
        variant_of=model.variant_of,
        at_desk=model.at_desk,
    )


def _load_exercises(root: Path) -> tuple[Exercise, ...]:
    """Load every exercise file in name order; ids must match file names and be unique."""
    folder = root / "exercises"
    if not folder.is_dir():
        raise ContentError("exercises", [("", "folder not found")])
    paths = sorted(
        path for path in folder.iterdir() if path.is_file() and path.suffix in EXERCISE_SUFFIXES
    )
    if not paths:
        raise ContentError("exercises", [("", "no exercise files found")])
    adapter = TypeAdapter(ExerciseModel)
    owners: dict[str, str] = {}  # every exercise and variant id -> file that defines it
    exercises = []
    for path in paths:
        rel = _relative(root, path)
        model = _validate(adapter, _read(root, path), rel)
        if model.id != path.stem:
            raise ContentError(
                rel, [("id", f"{model.id!r} does not match the file name {path.stem!r}")]
            )
        named = [("id", model.id)]
        named += [(f"variants.{i}.id", variant.id) for i, variant in enumerate(model.variants)]
        for field, item_id in named:
            if item_id in owners:
                raise ContentError(
                    rel, [(field, f"duplicate id {item_id!r} (also in {owners[item_id]})")]
                )
            owners[item_id] = rel
        exercises.append(_exercise(model, rel))
    _check_variants(exercises, owners)
    return tuple(exercises)


def _check_variants(exercises: list[Exercise], files: dict[str, str]) -> None:
    """Each ``variant_of`` names one of the article's exercises (not another variant)."""
    by_id = {exercise.id: exercise for exercise in exercises}
    for exercise in exercises:
        if exercise.variant_of is None:
            continue
        rel = files[exercise.id]
        origin = by_id.get(exercise.variant_of)
        if origin is None:
            problem = f"no exercise {exercise.variant_of!r} to be a variant of"
            raise ContentError(rel, [("variant_of", problem)])
        if origin.variant_of is not None:
            problem = f"{origin.id!r} is itself a variant; name the article's exercise"
            raise ContentError(rel, [("variant_of", problem)])


def _flag(model: FlagModel) -> Flag:
    """Convert a checked screening item."""
    return Flag(
        id=model.id,
        tier=model.tier,
        label=model.label,
        button=model.button,
        question=model.question,
        why=model.why,
        when=model.when,
    )


def _group(model: GroupModel) -> ScreenGroup:
    """Convert a checked screen group."""
    return ScreenGroup(
        id=model.id,
        kind=model.kind,
        intro=model.intro,
        flags=tuple(_flag(flag) for flag in model.flags),
    )


def _load_rules(root: Path) -> Rules:
    """Load the safety screen and the article's rules."""
    model = _load(root, "rules.yaml", TypeAdapter(RulesModel))
    return Rules(
        groups=tuple(_group(group) for group in model.groups),
        tiers={
            tier: TierText(headline=text.headline, advice=text.advice)
            for tier, text in model.tiers.items()
        },
        sources=tuple(model.sources),
        age_question=model.age.question,
        under_16=model.age.under_16,
        avoid_when_in_pain=tuple(model.avoid_when_in_pain),
        avoid_as_beginner=tuple(model.avoid_as_beginner),
        during_exercise=tuple(model.during_exercise),
        roller_rule=model.roller_rule,
    )


def _load_emergency_numbers(root: Path) -> dict[str, str]:
    """Load the emergency number of each country (optional: missing means none known)."""
    if not (root / "emergency_numbers.yaml").is_file():
        return {}
    return dict(_load(root, "emergency_numbers.yaml", TypeAdapter(EmergencyNumbersModel)).numbers)


def _zone_countries() -> dict[str, tuple[str, ...]]:
    """Which countries each IANA zone covers, from the tz database's own tables.

    ``zone.tab`` names one country per zone (Europe/Copenhagen: DK); ``zone1970.tab``
    adds the zones shared by several countries (Europe/Berlin: DE, DK, NO, SE, SJ).
    """
    import importlib.resources

    folder = importlib.resources.files("tzdata").joinpath("zoneinfo")
    found: dict[str, tuple[str, ...]] = {}
    for name in ("zone1970.tab", "zone.tab"):
        for line in folder.joinpath(name).read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) >= 3:
                found[fields[2]] = tuple(fields[0].split(","))
    return found


def _load_tips(root: Path) -> tuple[Tip, ...]:
    """Load the education tips."""
    model = _load(root, "tips.yaml", TypeAdapter(TipsModel))
    return tuple(Tip(id=tip.id, topic=tip.topic, text=tip.text) for tip in model.tips)


def _load_nudges(root: Path) -> NudgeTexts:
    """Load the stretch and water reminder texts."""
    model = _load(root, "nudges.yaml", TypeAdapter(NudgesModel))
    return NudgeTexts(
        stretch=tuple(model.stretch), water=tuple(model.water), stretch_plain=model.stretch_plain
    )


def _load_regions(root: Path) -> tuple[Region, ...]:
    """Load the time-zone picker, checking every zone against the zoneinfo database."""
    model = _load(root, "regions.yaml", TypeAdapter(RegionsModel))
    for r, region in enumerate(model.regions):
        for c, city in enumerate(region.cities):
            try:
                zoneinfo.ZoneInfo(city.zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ContentError(
                    "regions.yaml",
                    [(f"regions.{r}.cities.{c}.zone", f"unknown IANA time zone {city.zone!r}")],
                ) from None
    return tuple(
        Region(
            name=region.name,
            cities=tuple(City(name=city.name, zone=city.zone) for city in region.cities),
        )
        for region in model.regions
    )


def _load_texts(root: Path) -> dict[str, str]:
    """Load the UI strings if ``texts.yaml`` exists; an empty file means no strings yet."""
    path = root / "texts.yaml"
    if not path.is_file():
        return {}
    data = _read(root, path)
    if data is None:
        return {}
    texts = _validate(_TEXTS, data, "texts.yaml")
    for key, text in texts.items():
        try:
            list(string.Formatter().parse(text))
        except ValueError as error:
            raise ContentError("texts.yaml", [(key, f"broken placeholder: {error}")]) from None
    return texts


def _load_checkin(root: Path) -> CheckInContent:
    """Load the weekly check-in's questions and activities."""
    model = _load(root, "checkin.yaml", TypeAdapter(CheckInModel))
    q = model.questions
    return CheckInContent(
        questions=CheckInQuestions(
            pain=q.pain, function=q.function, pick=q.pick, pick_more=q.pick_more, rate=q.rate
        ),
        activities=tuple(
            CheckInActivity(id=a.id, name=a.name, phrase=a.phrase) for a in model.activities
        ),
        max_activities=model.max_activities,
        sources=tuple(model.sources),
    )


def _load_free_text(root: Path, language: str = SOURCE_LANGUAGE) -> FreeTextRules:
    """Load what typed messages are about (optional: without the file, nothing is recognised).

    The phrases are per language, not translations (``free_text.de.yaml``): people type
    their own words, so each language lists its own.
    """
    name = "free_text.yaml" if language == SOURCE_LANGUAGE else f"free_text.{language}.yaml"
    if not (root / name).is_file():
        return FreeTextRules()
    model = _load(root, name, TypeAdapter(FreeTextModel))
    return FreeTextRules(
        symptoms=tuple(model.symptoms),
        pain=tuple(model.pain),
        negations=tuple(model.negations),
        clause_words=tuple(model.clause_words),
    )


def load_library(root: Path | None = None, language: str = SOURCE_LANGUAGE) -> Library:
    """Load all content from ``root`` (default: this package's folder), failing loudly.

    ``language`` other than English applies its compiled catalog
    (``content/locale/<lang>/LC_MESSAGES/messages.mo``) to every file as it is read.
    """
    base = (root or CONTENT_ROOT).resolve()
    translator = Translator(language, base) if language != SOURCE_LANGUAGE else None
    token = _TRANSLATOR.set(translator)
    try:
        return _load_all(base, language)
    finally:
        _TRANSLATOR.reset(token)


def _load_all(base: Path, language: str) -> Library:
    """Every file of one language; ``_read`` translates as it reads."""
    return Library(
        exercises=_load_exercises(base),
        rules=_load_rules(base),
        tips=_load_tips(base),
        nudges=_load_nudges(base),
        regions=_load_regions(base),
        texts=_load_texts(base),
        emergency_numbers=_load_emergency_numbers(base),
        zone_countries=_zone_countries(),
        checkin=_load_checkin(base),
        free_text=_load_free_text(base, language),
        language=language,
    )


def load_libraries(root: Path | None = None) -> dict[str, Library]:
    """Every catalog language's library, English first (the source and the fallback)."""
    base = (root or CONTENT_ROOT).resolve()
    found = {SOURCE_LANGUAGE: load_library(base)}
    for language in catalog_languages(base):
        found[language] = load_library(base, language)
    return found
