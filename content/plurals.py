"""Words for numbers and numbers as words, by CLDR's rules for each catalog language.

A text says ``{count:glass|glasses}``: one form per plural category the language has,
in CLDR's order (zero, one, two, few, many, other; only the language's own categories).
English and German have ``one`` and ``other``; a language with ``one``, ``few``, ``many``
and ``other`` (Russian, Polish) writes four forms. A range such as "10–20" is not a
number and takes the last form. The rules come from Babel's CLDR data, so a translator
adds a language without code.
"""

from __future__ import annotations

import string
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal

CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


@cache
def categories(language: str) -> tuple[str, ...]:
    """The plural categories ``language`` uses, in the order its forms are written."""
    tags = Locale.parse(language).plural_form.tags | {"other"}
    return tuple(tag for tag in CLDR_ORDER if tag in tags)


class PluralFormatter(string.Formatter):
    """``str.format``, plus ``{n:form|form}``: the word that goes with the number ``n``."""

    def __init__(self, language: str) -> None:
        """Keep the language's CLDR rule and its categories."""
        super().__init__()
        self._rule = Locale.parse(language).plural_form
        self._categories = categories(language)

    def format_field(self, value: Any, format_spec: str) -> str:
        """Pick the form of ``value``'s category; anything not a whole number is "other"."""
        if "|" in format_spec:
            forms = format_spec.split("|")
            if isinstance(value, int) and not isinstance(value, bool):
                category = self._rule(value)
                if category in self._categories:
                    index = self._categories.index(category)
                    if index < len(forms):
                        return forms[index]
            return forms[-1]
        return str(super().format_field(value, format_spec))


@cache
def formatter_for(language: str) -> PluralFormatter:
    """One formatter per language, built on first use."""
    return PluralFormatter(language)


def format_number(value: float, language: str) -> str:
    """``1.5`` as the language writes it (``1,5`` in German); whole numbers without a point."""
    return str(format_decimal(value, locale=language, decimal_quantization=False))
