"""The catalogs stay whole: every language says everything, with the same blanks to fill.

A missing or fuzzy translation, a placeholder that differs, a plural with the wrong
number of forms, an HTML tag lost, or a German text left in English fails here, naming
the language and where the text lives (``exercises/cat_cow.yaml:steps.2``).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog

from content.catalog import (
    CONTENT_ROOT,
    DOMAIN,
    Translator,
    compile_all,
    extract,
    init,
    languages,
    messages_of,
    po_path,
    read_catalog,
    update,
)
from content.loader import load_libraries, load_library
from content.plurals import categories

LANGUAGES = languages()
# A translator marks a text that is right as it is (a name, "OK") with this comment.
SAME_MARK = "same in this language"


def _fields(text: str) -> tuple[Counter[str], list[tuple[str, int]]]:
    """The placeholder names of a text, and each plural spec's field and number of forms."""
    names: Counter[str] = Counter()
    plurals = []
    for _, name, spec, _ in string.Formatter().parse(text):
        if name is None:
            continue
        names[name] += 1
        if spec and "|" in spec:
            plurals.append((name, len(spec.split("|"))))
    return names, plurals


def _tags(text: str) -> Counter[str]:
    """HTML tags by name and kind (``b``, ``/b``): Telegram refuses a text with a lost one."""
    return Counter(re.findall(r"</?[a-z]+", text))


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


def test_there_is_a_second_language() -> None:
    assert "de" in LANGUAGES


def test_the_template_in_the_tree_is_up_to_date(template: Catalog) -> None:
    """Editing an English text without ``python -m content.catalog`` fails here."""
    with (CONTENT_ROOT / "locale" / f"{DOMAIN}.pot").open("rb") as handle:
        from babel.messages.pofile import read_po

        committed = read_po(handle)
    wanted = {(m.context, m.id) for m in template if m.id}
    have = {(m.context, m.id) for m in committed if m.id}
    assert wanted - have == set(), "run `python -m content.catalog` to extract the new texts"
    assert have - wanted == set(), "run `python -m content.catalog`: texts were removed"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated(language: str, template: Catalog) -> None:
    catalog = read_catalog(language)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not found.string or found.fuzzy:
            missing.append(message.context)
    assert missing == [], f"{language}: {len(missing)} untranslated: {missing[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_plurals_and_tags_match(language: str) -> None:
    forms = len(categories(language))
    problems = []
    for message in read_catalog(language):
        if not message.id or not message.string:
            continue
        source, translated = str(message.id), str(message.string)
        (want, _), (have, plurals) = _fields(source), _fields(translated)
        if set(want) != set(have):
            problems.append(f"{message.context}: placeholders {sorted(want)} vs {sorted(have)}")
        for name, count in plurals:
            if count != forms:
                problems.append(
                    f"{message.context}: {{{name}}} has {count} forms, {language} has {forms}"
                )
        if _tags(source) != _tags(translated):
            problems.append(f"{message.context}: HTML tags differ")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_left_in_english(language: str) -> None:
    """A translation equal to the English is a slip unless marked as right as it is."""
    left = []
    for message in read_catalog(language):
        if not message.id or message.string != message.id:
            continue
        prose = re.sub(r"\{[^}]*\}|<[^>]*>", " ", str(message.id))
        words = re.findall(r"[A-Za-z]{4,}", prose)
        if not words or any(SAME_MARK in comment for comment in message.user_comments):
            continue
        left.append(message.context)
    assert left == [], f"{language}: still English: {left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_built_catalog_is_the_po_file(language: str) -> None:
    """What the bot loads is what the ``.po`` says (the ``.mo`` was rebuilt after edits)."""
    library = load_library(language=language)
    catalog = read_catalog(language)
    stale = []
    for key, text in library.texts.items():
        entry = catalog.get(load_library().texts[key], context=f"texts.yaml:{key}")
        if entry is not None and entry.string and not entry.fuzzy and entry.string != text:
            stale.append(key)
    assert stale == [], f"run `python -m content.catalog compile`: {stale[:10]}"


def test_every_language_loads_with_the_same_content_shape() -> None:
    libraries = load_libraries()
    english = libraries["en"]
    for language, library in libraries.items():
        assert library.language == language
        assert [e.id for e in library.exercises] == [e.id for e in english.exercises]
        assert library.texts.keys() == english.texts.keys()
        assert [len(e.steps) for e in library.exercises] == [
            len(e.steps) for e in english.exercises
        ]
        assert [f.id for g in library.rules.groups for f in g.flags] == [
            f.id for g in english.rules.groups for f in g.flags
        ]
        assert library.free_text.symptoms, f"{language}: no warning-sign phrases for typed text"


def test_german_reads_german() -> None:
    german = load_libraries()["de"]
    assert german.exercise("cat_cow").name != load_library().exercise("cat_cow").name
    assert german.text("welcome_back", name="Anna", minutes=1).endswith("1 Minute.") or (
        "1 Minute" in german.text("welcome_back", name="Anna", minutes=1)
    )
    assert "Minuten" in german.text("welcome_back", name="Anna", minutes=12)


def test_a_new_language_starts_from_the_template_and_updates(tmp_path: Path) -> None:
    """The documented commands: init a language, change an English text, update, compile."""
    root = tmp_path / "content"
    (root / "exercises").mkdir(parents=True)
    (root / "poses").mkdir()
    (root / "texts.yaml").write_text("hello: Hello\nbye: Bye {name}\n", encoding="utf-8")
    (root / "exercises" / "a.yaml").write_text(
        "id: a\nname: Cat\nsteps: [Kneel, Round the back]\ndifficulty: easy\n", encoding="utf-8"
    )
    path = init("fr", root)
    catalog = read_catalog("fr", root)
    assert {m.context for m in catalog if m.id} == {
        "texts.yaml:hello",
        "texts.yaml:bye",
        "exercises/a.yaml:name",
        "exercises/a.yaml:steps.0",
        "exercises/a.yaml:steps.1",
    }
    catalog.get("Hello", context="texts.yaml:hello").string = "Bonjour"  # type: ignore[union-attr]
    catalog.get("Cat", context="exercises/a.yaml:name").string = "Chat"  # type: ignore[union-attr]
    from content.catalog import _write

    _write(catalog, path)
    (root / "texts.yaml").write_text("hello: Hello there\nbye: Bye {name}\n", encoding="utf-8")
    update(root)
    changed = read_catalog("fr", root).get("Hello there", context="texts.yaml:hello")
    assert changed is not None and changed.fuzzy  # the English changed: the French is doubtful
    compile_all(root)
    translator = Translator("fr", root)
    data = yaml.safe_load((root / "exercises" / "a.yaml").read_text(encoding="utf-8"))
    translated = translator.translate("exercises/a.yaml", data)
    assert translated["name"] == "Chat" and translated["difficulty"] == "easy"
    assert translator.translate("texts.yaml", {"hello": "Hello there"}) == {"hello": "Hello there"}


def test_ids_and_codes_are_never_offered_for_translation(template: Catalog) -> None:
    contexts = [m.context or "" for m in template if m.id]
    for suffix in (".id", ".difficulty", ".zone", ".tier", ".when", ".kind", ".position"):
        assert not [c for c in contexts if c.endswith(suffix)], suffix
    assert not [c for c in contexts if c.startswith(("emergency_numbers", "free_text"))]
    rel = "exercises/cat_cow.yaml"
    data = yaml.safe_load((CONTENT_ROOT / rel).read_text(encoding="utf-8"))
    assert {m.context for m in messages_of(rel, data)} >= {f"{rel}:name", f"{rel}:steps.0"}
    assert po_path("de").is_file()
