"""Which catalog language to answer a user in.

The rules, in order:

1. A stored choice wins: the language the user picked in ``/settings``, or the one
   chosen for them at first contact, if a catalog for it exists.
2. Else Telegram's ``language_code`` of the user's app, by its primary subtag only:
   ``de``, ``de-AT`` and ``de-CH`` are German (``"de"``), ``en-GB`` is English.
   Case and ``_`` instead of ``-`` do not matter (``DE_at`` is German too).
3. Anything without a catalog (no code, an unknown language, a malformed code) is
   English, the language every text is written in first.

A stored value is read by the same primary-subtag rule, so rows written before
languages were chosen (they hold Telegram's raw code, such as ``de-AT``) keep working.
"""

from __future__ import annotations

from collections.abc import Collection

FALLBACK = "en"


def primary_subtag(code: str | None) -> str | None:
    """The language part of a BCP 47 tag, lower case: ``"de"`` for ``"de-AT"``; None if none."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary.isascii() and primary.isalpha() else None


def choose_language(
    stored: str | None, telegram_code: str | None, available: Collection[str]
) -> str:
    """The catalog language for a user: a stored choice, else Telegram's, else English."""
    for code in (stored, telegram_code):
        primary = primary_subtag(code)
        if primary is not None and primary in available:
            return primary
    return FALLBACK
