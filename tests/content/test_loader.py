"""A broken content file stops the start with a message naming the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from content.loader import ContentError, load_library
from tests.content.conftest import EditYaml

CAT_COW = "exercises/cat_cow.yaml"


def error_for(root: Path) -> ContentError:
    """Load ``root`` expecting a content error, and return it."""
    with pytest.raises(ContentError) as caught:
        load_library(root)
    return caught.value


def test_default_root_is_the_shipped_content() -> None:
    """The bot loads its own content without being told where it is."""
    exercises = load_library().exercises
    assert len([e for e in exercises if e.variant_of is None]) == 12  # the article's twelve
    assert len(exercises) == 14  # and two standing or seated forms of them


def test_a_copy_loads_the_same(content_copy: Path) -> None:
    """The loader reads only the YAML, so a copy of it is a full library."""
    assert load_library(content_copy) == load_library()


def test_content_error_is_a_value_error() -> None:
    """Callers that catch ValueError also catch content problems."""
    assert issubclass(ContentError, ValueError)


def _drop_goal(data: dict[str, Any]) -> None:
    del data["goal"]


def _bad_difficulty(data: dict[str, Any]) -> None:
    data["difficulty"] = "extreme"


def _unknown_key(data: dict[str, Any]) -> None:
    data["colour"] = "red"


def _empty_steps(data: dict[str, Any]) -> None:
    data["steps"] = []


def _zero_sets(data: dict[str, Any]) -> None:
    data["dosage"]["sets"] = 0


def _no_measure(data: dict[str, Any]) -> None:
    data["dosage"] = {"sets": 3}


def _text_sets(data: dict[str, Any]) -> None:
    data["dosage"]["sets"] = "3"


def _bad_variant_kind(data: dict[str, Any]) -> None:
    data["variants"] = [{"id": "cat_cow_x", "name": "X", "kind": "medium", "description": "x"}]


def _bad_area(data: dict[str, Any]) -> None:
    data["areas"] = ["back", "neck"]


def _weighted_without_weight(data: dict[str, Any]) -> None:
    data["weighted"] = True


def _none_with_mat(data: dict[str, Any]) -> None:
    data["equipment"] = ["none", "mat"]


def _empty_step_text(data: dict[str, Any]) -> None:
    data["steps"] = ["Start on all fours.", ""]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (_drop_goal, "goal", "Field required"),
        (_bad_difficulty, "difficulty", "'easy', 'medium' or 'hard'"),
        (_unknown_key, "colour", "Extra inputs are not permitted"),
        (_empty_steps, "steps", "List should have at least 1 item"),
        (_zero_sets, "dosage.sets", "greater than 0"),
        (_no_measure, "dosage", "at least one of reps"),
        (_text_sets, "dosage.sets", "valid integer"),
        (_bad_variant_kind, "variants.0.kind", "'easier' or 'harder'"),
        (_bad_area, "areas.1", "'back'"),
        (_weighted_without_weight, "weighted", "equipment includes 'weight'"),
        (_none_with_mat, "equipment", "'none' cannot be combined"),
        (_empty_step_text, "steps.1", "at least 1 character"),
    ],
)
def test_broken_exercise_names_file_and_field(
    content_copy: Path, edit_yaml: EditYaml, change: Any, field: str, words: str
) -> None:
    """Each kind of mistake is reported as ``file: field: problem``."""
    edit_yaml(CAT_COW, change)
    error = error_for(content_copy)
    assert error.file == CAT_COW
    assert f"{CAT_COW}: {field}: " in str(error)
    assert words in str(error)


def test_empty_steps_message_reads_as_documented(content_copy: Path, edit_yaml: EditYaml) -> None:
    """The message a content author sees for an empty step list."""
    edit_yaml(CAT_COW, _empty_steps)
    assert str(error_for(content_copy)).startswith(
        "exercises/cat_cow.yaml: steps: List should have at least 1 item"
    )


def test_every_problem_in_a_file_is_reported(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Fixing one mistake should not reveal the next only on the following start."""

    def two_mistakes(data: dict[str, Any]) -> None:
        _drop_goal(data)
        _bad_difficulty(data)

    edit_yaml(CAT_COW, two_mistakes)
    assert set(error_for(content_copy).fields) == {"goal", "difficulty"}


def test_id_must_match_file_name(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Ids are stable because they are the file names."""
    edit_yaml(CAT_COW, lambda data: data.update(id="cow"))
    error = error_for(content_copy)
    assert str(error) == "exercises/cat_cow.yaml: id: 'cow' does not match the file name 'cat_cow'"


def test_duplicate_exercise_id_is_refused(content_copy: Path) -> None:
    """Two files defining the same exercise would make lookups ambiguous."""
    shutil.copy(content_copy / CAT_COW, content_copy / "exercises" / "cat_cow.yml")
    error = error_for(content_copy)
    assert "exercises/cat_cow.yml: id: duplicate id 'cat_cow'" in str(error)
    assert "exercises/cat_cow.yaml" in str(error)


def test_variant_id_must_be_unique_across_exercises(
    content_copy: Path, edit_yaml: EditYaml
) -> None:
    """Variant ids travel in callback data, so they may not collide with another file's."""

    def steal_variant(data: dict[str, Any]) -> None:
        data["variants"].append(
            {"id": "forward_bend_soft_knees", "name": "X", "kind": "easier", "description": "x"}
        )

    edit_yaml("exercises/superman.yaml", steal_variant)
    error = error_for(content_copy)
    assert error.file == "exercises/superman.yaml"
    assert "variants.1.id: duplicate id 'forward_bend_soft_knees'" in str(error)
    assert "(also in exercises/forward_bend.yaml)" in str(error)


def test_variant_ids_unique_within_an_exercise(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Two variants with one id in the same file are refused."""

    def twin_variants(data: dict[str, Any]) -> None:
        variant = {"id": "cat_cow_slow", "name": "Slow", "kind": "easier", "description": "x"}
        data["variants"] = [variant, dict(variant, name="Slower")]

    edit_yaml(CAT_COW, twin_variants)
    assert "variants: duplicate id 'cat_cow_slow'" in str(error_for(content_copy))


def test_bad_yaml_names_file_and_line(content_copy: Path) -> None:
    """A syntax error points at the file and line instead of a parser traceback."""
    path = content_copy / CAT_COW
    path.write_text("id: cat_cow\nsteps: [unclosed\n", encoding="utf-8")
    error = error_for(content_copy)
    assert error.file == CAT_COW
    assert "invalid YAML at line" in str(error)


def test_repeated_yaml_key_is_refused(content_copy: Path) -> None:
    """A key written twice would silently drop the first value."""
    path = content_copy / CAT_COW
    path.write_text(path.read_text(encoding="utf-8") + "minutes: 9\n", encoding="utf-8")
    assert "duplicate key 'minutes'" in str(error_for(content_copy))


def test_top_level_must_be_a_mapping(content_copy: Path) -> None:
    """An empty or list-shaped exercise file is reported, not crashed on."""
    (content_copy / CAT_COW).write_text("- just a list\n", encoding="utf-8")
    assert str(error_for(content_copy)).startswith(f"{CAT_COW}: expected a mapping")


def test_a_thirteenth_exercise_needs_no_code(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Adding an exercise is adding a file."""
    shutil.copy(content_copy / CAT_COW, content_copy / "exercises" / "neck_roll.yaml")

    def rename(data: dict[str, Any]) -> None:
        data.update(id="neck_roll", name="Neck roll")

    edit_yaml("exercises/neck_roll.yaml", rename)
    library = load_library(content_copy)
    assert len(library.exercises) == len(load_library().exercises) + 1
    assert library.exercise("neck_roll").name == "Neck roll"


def test_non_yaml_files_in_exercises_are_ignored(content_copy: Path) -> None:
    """A README or editor backup beside the exercises does not break the start."""
    (content_copy / "exercises" / "README.md").write_text("# notes\n", encoding="utf-8")
    assert len(load_library(content_copy).exercises) == len(load_library().exercises)


def test_missing_rules_file_is_named(content_copy: Path) -> None:
    """Every top-level file is required except the UI texts."""
    (content_copy / "rules.yaml").unlink()
    error = error_for(content_copy)
    assert str(error) == "rules.yaml: file not found"


def test_duplicate_flag_id_is_refused(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Screen answers are stored by flag id."""

    def twin(data: dict[str, Any]) -> None:
        data["groups"][0]["flags"].append(dict(data["groups"][0]["flags"][0]))

    edit_yaml("rules.yaml", twin)
    assert "duplicate id 'saddle_numbness'" in str(error_for(content_copy))


def test_flag_tier_must_be_known(content_copy: Path, edit_yaml: EditYaml) -> None:
    """A vague ``tier: maybe`` must not be read as anything."""
    edit_yaml("rules.yaml", lambda data: data["groups"][0]["flags"][0].update(tier="maybe"))
    assert "rules.yaml: groups.0.flags.0.tier" in str(error_for(content_copy))


def test_a_stopping_flag_in_a_pick_group_is_refused(
    content_copy: Path, edit_yaml: EditYaml
) -> None:
    """A pick group commits on Done: an emergency there would wait for a second tap."""
    edit_yaml("rules.yaml", lambda data: data["groups"][3]["flags"][0].update(tier="emergency"))
    assert "in a pick group" in str(error_for(content_copy))


def test_unknown_time_zone_is_refused(content_copy: Path, edit_yaml: EditYaml) -> None:
    """A city with a wrong zone would schedule nudges at the wrong hour."""
    edit_yaml("regions.yaml", lambda data: data["regions"][0]["cities"][0].update(zone="Mars/Base"))
    error = error_for(content_copy)
    assert str(error) == "regions.yaml: regions.0.cities.0.zone: unknown IANA time zone 'Mars/Base'"


def test_overlong_nudge_is_refused(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Nudges stay short enough to read at a glance."""
    edit_yaml("nudges.yaml", lambda data: data["water"].append("Drink. " * 40))
    assert "nudges.yaml: water." in str(error_for(content_copy))


def test_duplicate_tip_id_is_refused(content_copy: Path, edit_yaml: EditYaml) -> None:
    """Tips rotate by id."""
    edit_yaml("tips.yaml", lambda data: data["tips"].append(dict(data["tips"][0])))
    assert "tips.yaml: tips: duplicate id" in str(error_for(content_copy))


def test_texts_are_optional(content_copy: Path) -> None:
    """Without texts.yaml the library loads with no UI strings."""
    (content_copy / "texts.yaml").unlink(missing_ok=True)
    assert load_library(content_copy).texts == {}


def test_texts_load_flat_and_keep_yes_and_no_as_words(content_copy: Path) -> None:
    """Bare ``yes``/``no`` stay words (YAML 1.1 would turn them into booleans)."""
    (content_copy / "texts.yaml").write_text(
        "yes: Yes\nno: No\ngreeting: Hello, {name}!\n", encoding="utf-8"
    )
    library = load_library(content_copy)
    assert library.texts == {"yes": "Yes", "no": "No", "greeting": "Hello, {name}!"}
    assert library.text("greeting", name="Ada") == "Hello, Ada!"


def test_nested_texts_are_refused(content_copy: Path) -> None:
    """UI strings are a flat key-to-string mapping."""
    (content_copy / "texts.yaml").write_text("menu:\n  start: Start\n", encoding="utf-8")
    error = error_for(content_copy)
    assert error.file == "texts.yaml"
    assert "texts.yaml: menu: Input should be a valid string" in str(error)


def test_broken_placeholder_in_texts_is_refused(content_copy: Path) -> None:
    """A stray brace would crash when the text is first shown, so it fails at start."""
    (content_copy / "texts.yaml").write_text("streak: 'Streak: {days'\n", encoding="utf-8")
    assert str(error_for(content_copy)).startswith("texts.yaml: streak: broken placeholder")


def test_unhashable_yaml_key_is_a_content_error(content_copy: Path) -> None:
    """Odd YAML such as a list used as a key is reported, not crashed on."""
    (content_copy / CAT_COW).write_text("? [a, b]\n: value\n", encoding="utf-8")
    assert "invalid YAML" in str(error_for(content_copy))


SEATED = "exercises/seated_cat_cow.yaml"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d.update(variant_of="neck_roll"), "variant_of", "no exercise 'neck_roll'"),
        (
            lambda d: d.update(variant_of="standing_back_extension"),
            "variant_of",
            "is itself a variant",
        ),
        (lambda d: d.update(variant_of="seated_cat_cow"), "", "a variant of itself"),
        (lambda d: d.update(at_desk=False), "", "set at_desk"),
        (lambda d: d.update(position="quadruped"), "", "standing or seated"),
        (lambda d: d.update(equipment=["mat"]), "", "equipment [none]"),
        (lambda d: d.update(in_stretch_routine=True), "", "stays out of /stretch"),
    ],
)
def test_a_broken_desk_variant_names_file_and_field(
    content_copy: Path, edit_yaml: EditYaml, change: Any, field: str, words: str
) -> None:
    """A variant must name an article exercise and be a gear-free standing or seated form."""
    edit_yaml(SEATED, change)
    error = error_for(content_copy)
    assert error.file == SEATED
    assert f"{SEATED}: {field}" in str(error) and words in str(error)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["stretch"].append("A stretch now?"), "must hold {first}"),
        (lambda d: d["stretch"].append("Start with the {first}, then the {first}."), "once"),
        (lambda d: d["stretch"].append("Start with the {exercise}."), "must hold {first}"),
        (lambda d: d["water"].append("Drink after the {first}."), "no placeholder"),
        (lambda d: d.update(stretch_plain="Start with the {first}."), "no placeholder"),
    ],
)
def test_every_stretch_nudge_names_its_first_card(
    content_copy: Path, edit_yaml: EditYaml, change: Any, words: str
) -> None:
    """A stretch nudge's text holds {first} exactly once; nothing else holds a placeholder."""
    edit_yaml("nudges.yaml", change)
    error = error_for(content_copy)
    assert error.file == "nudges.yaml" and words in str(error)
