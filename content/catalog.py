"""Message catalogs: every user-facing string of ``content/`` in gettext catalogs per language.

Why gettext with Babel: it is Python's own standard (``gettext`` reads the compiled
``.mo`` files, no extra runtime), ``.po`` files are what translators' tools (Poedit,
Weblate, Crowdin) open, and Babel brings the catalog commands and CLDR's plural rules.
Fluent would bring its own runtime and a syntax translators know less well.

The English source stays where authors write it: the YAML files under ``content/``.
This module walks them and names each translatable string by where it lives
(``msgctxt``: ``exercises/cat_cow.yaml:steps.2``, ``texts.yaml:welcome_new``; list
items with an ``id`` by their id) with the English as ``msgid``. An English text that
changes turns its translation fuzzy, and a fuzzy or missing translation is a test
failure, never a silent English word in a German screen.

Plurals: a text says ``{count:glass|glasses}``, one form per CLDR plural category of
the language (``content.plurals``), so one message may carry several counts.

    python -m content.catalog          # extract, update every .po, compile (the one command)
    python -m content.catalog compile  # only build the .mo files (done at install)
    python -m content.catalog init fr  # start a new language

The ``.po`` files are the translations' source of truth and are committed; the
``.mo`` files are built by ``compile`` at install (``.ci/run``, the Dockerfile).
"""

from __future__ import annotations

import argparse
import gettext
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

CONTENT_ROOT = Path(__file__).resolve().parent
LOCALE_DIR = CONTENT_ROOT / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"

# Fields whose values a person reads (in any file but texts.yaml, where every value is).
TRANSLATABLE_KEYS = frozenset(
    {
        # exercises and their variants
        "name",
        "aka",
        "summary",
        "muscles",
        "steps",
        "cautions",
        "dosage_note",
        "description",
        # poses (drawn on the pictures)
        "label",
        "text",
        # rules: the safety screen and the article's advice
        "question",
        "button",
        "why",
        "intro",
        "headline",
        "advice",
        "under_16",
        "avoid_as_beginner",
        "avoid_when_in_pain",
        "during_exercise",
        "roller_rule",
        # check-in
        "phrase",
        "pick",
        "pick_more",
        "rate",
        "function",
        "pain",
        # nudges and tips
        "stretch",
        "stretch_plain",
        "water",
        "topic",
    }
)
# Files with no words for people (numbers) or with per-language data instead of
# messages: free_text.yaml has its keyword lists per language (free_text.de.yaml).
SKIPPED_FILES = frozenset({"emergency_numbers.yaml", "free_text.yaml"})


@dataclass(frozen=True, slots=True)
class Message:
    """One translatable string: where it lives (the context) and its English text."""

    context: str
    text: str


def source_files(root: Path = CONTENT_ROOT) -> list[Path]:
    """The English YAML files, in a stable order (the catalog's order)."""
    files = [root / "texts.yaml"]
    files += sorted(
        path
        for path in root.glob("*.yaml")
        if path.name not in SKIPPED_FILES
        and path.name != "texts.yaml"
        and path.stem.count(".") == 0
    )
    for folder in ("exercises", "poses"):
        files += sorted((root / folder).glob("*.yaml"))
    return files


def _step(node: Any, key: str | int) -> str:
    """Name a list item by its ``id`` when it has one, so reordering keeps translations."""
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return str(node["id"])
    return str(key)


def _walk(node: Any, path: tuple[str, ...], wanted: bool) -> Iterator[tuple[tuple[str, ...], str]]:
    """Yield ``(path, text)`` for each string under a translatable key."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)), wanted or str(key) in TRANSLATABLE_KEYS)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, _step(value, index)), wanted)
    elif isinstance(node, str) and wanted and node.strip():
        yield path, node


def messages_of(rel: str, data: Any) -> Iterator[Message]:
    """The translatable strings of one parsed file, ``rel`` relative to the content root."""
    for path, text in _walk(data, (), rel == "texts.yaml"):
        yield Message(f"{rel}:{'.'.join(path)}", text)


def _relative(root: Path, path: Path) -> str:
    """A file's name in contexts: relative to the content root, with forward slashes."""
    return path.relative_to(root).as_posix()


def extract(root: Path = CONTENT_ROOT) -> Catalog:
    """The template: every translatable English string with its place."""
    catalog = Catalog(
        project="Lumbar",
        domain=DOMAIN,
        locale=None,
        msgid_bugs_address="",
        copyright_holder="Lumbar",
        charset="utf-8",
    )
    for path in source_files(root):
        rel = _relative(root, path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for message in messages_of(rel, data):
            catalog.add(message.text, context=message.context, locations=[(rel, 0)])
    return catalog


def po_path(language: str, root: Path = CONTENT_ROOT) -> Path:
    """Where a language's catalog lives (``locale/<lang>/LC_MESSAGES/messages.po``)."""
    return root / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str, root: Path = CONTENT_ROOT) -> Path:
    """Where its compiled form is built."""
    return po_path(language, root).with_suffix(".mo")


def languages(root: Path = CONTENT_ROOT) -> list[str]:
    """The catalog languages besides English, from the ``.po`` files present."""
    folder = root / "locale"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if po_path(p.name, root).is_file())


def read_catalog(language: str, root: Path = CONTENT_ROOT) -> Catalog:
    """Parse one language's ``.po`` file."""
    with po_path(language, root).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _write(catalog: Catalog, path: Path, **options: Any) -> None:
    """Write a ``.po`` or ``.pot`` file sorted as extracted, wrapped for reading."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, **options)


def update(root: Path = CONTENT_ROOT) -> Catalog:
    """Write the template and merge it into every language (changed English → fuzzy)."""
    template = extract(root)
    _write(template, root / "locale" / f"{DOMAIN}.pot", omit_header=False)
    for language in languages(root):
        catalog = read_catalog(language, root)
        catalog.update(template, update_header_comment=False)
        _write(catalog, po_path(language, root), ignore_obsolete=True)
    return template


def compile_all(root: Path = CONTENT_ROOT) -> list[Path]:
    """Build each ``.mo`` from its ``.po``; fuzzy entries stay out (English shows instead)."""
    built = []
    for language in languages(root):
        catalog = read_catalog(language, root)
        target = mo_path(language, root)
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        built.append(target)
    return built


def init(language: str, root: Path = CONTENT_ROOT) -> Path:
    """Start a catalog for a new language from the template (every entry empty)."""
    template = extract(root)
    catalog = Catalog(locale=language, domain=DOMAIN, project="Lumbar", charset="utf-8")
    for message in template:
        if message.id:
            catalog.add(message.id, "", context=message.context, locations=message.locations)
    path = po_path(language, root)
    if path.exists():
        raise SystemExit(f"{path} exists; run `python -m content.catalog` to update it")
    _write(catalog, path)
    return path


class Translator:
    """Applies one language's compiled catalog to parsed English content, at load."""

    def __init__(self, language: str, root: Path = CONTENT_ROOT) -> None:
        """Open ``locale/<language>/LC_MESSAGES/messages.mo``; a missing one is an error."""
        self.language = language
        path = mo_path(language, root)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: build the catalogs with `python -m content.catalog compile`"
            )
        with path.open("rb") as handle:
            self._catalog = gettext.GNUTranslations(handle)
        self._root = root

    def translate(self, rel: str, data: Any) -> Any:
        """A copy of ``data`` (the file ``rel``) with every translated string swapped in."""
        everything = rel == "texts.yaml"
        return self._swap(data, rel, (), everything)

    def _swap(self, node: Any, rel: str, path: tuple[str, ...], wanted: bool) -> Any:
        """Walk as ``messages_of`` does, so every extracted string is looked up."""
        if isinstance(node, dict):
            return {
                key: self._swap(
                    value, rel, (*path, str(key)), wanted or str(key) in TRANSLATABLE_KEYS
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [
                self._swap(value, rel, (*path, _step(value, index)), wanted)
                for index, value in enumerate(node)
            ]
        if isinstance(node, str) and wanted and node.strip():
            return self._catalog.pgettext(f"{rel}:{'.'.join(path)}", node)
        return node


def main(argv: list[str] | None = None) -> int:
    """``python -m content.catalog [all|extract|compile|init LANG]``."""
    parser = argparse.ArgumentParser(prog="python -m content.catalog", description=__doc__)
    parser.add_argument(
        "command", nargs="?", default="all", choices=["all", "extract", "compile", "init"]
    )
    parser.add_argument("language", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "init":
        if not args.language:
            parser.error("init needs a language code, e.g. `init fr`")
        print(init(args.language))
        return 0
    if args.command in ("all", "extract"):
        template = update()
        print(f"{len(template)} messages; catalogs: {', '.join(languages()) or 'none'}")
    if args.command in ("all", "compile"):
        for path in compile_all():
            print(f"built {path.relative_to(CONTENT_ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
