"""What a typed message is about, from keyword rules that are data (``content/free_text.yaml``).

Rules (``classify``), for each language's own phrases (``free_text.de.yaml``):

* the text is read in lower case, with punctuation as spaces (apostrophes kept,
  curly ones made straight), and a phrase matches only as whole words: "pain"
  is not in "painting"; letters are folded as people type them without the keys
  (ß is ss, ä is ae, ö is oe, ü is ue), so "gestürzt", "gestuerzt" and a phrase
  written either way match;
* a phrase is negated when one of the content's negations ("no", "not",
  "doesn't", ...) stands within the ``NEGATION_WINDOW`` words before it, in the
  same clause: "no pain", "doesn't really hurt", but not "no pain, but bladder
  trouble" (punctuation and the content's clause words, "but", "and", end a
  negation's reach);
* a warning sign that is not negated ("numb", "bladder", "fell down") makes it
  ``SYMPTOMS``: that answer is a doctor, never an exercise, so it wins over pain;
* else a pain word that is not negated ("hurts", "sore", "killing me") makes it
  ``PAIN``;
* anything else is ``OTHER``.

What to point someone in pain to (``pain_pointer``): while today's session is
open, the gentle way in (the quick stretch, or today's session taken slowly;
only mobility when their pain is severe); once it is done, or while the safety
net allows stretches only, the quick stretch alone. Whoever may not exercise at
all never gets here: the gate answers first.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.coach.day import TodayStatus
from content.schema import FreeTextRules

NEGATION_WINDOW = 3


class Topic(StrEnum):
    """What a typed message is about."""

    SYMPTOMS = "symptoms"  # a possible warning sign: see a doctor, no exercise
    PAIN = "pain"  # the back hurts today
    OTHER = "other"


class PainPointer(StrEnum):
    """Where to point someone whose back hurts today."""

    GENTLY = "open"  # the quick stretch, or today's session taken slowly
    MOBILITY = "mobility"  # severe pain: today's session is gentle mobility only
    STRETCH = "stretch"  # today's session is done, or stretches only for now


def words(text: str) -> list[str]:
    """The text as lower-case words: punctuation is a space, apostrophes stay."""
    return [token for token in _tokens(text) if token not in _STOPS]


_STOPS = frozenset(".,;:!?")


_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "\u2019": "'", "\u2018": "'"})


def _fold(text: str) -> str:
    """Lower case as typed without special keys: casefold makes ß ss, then the umlauts."""
    return text.casefold().translate(_FOLDS)


def _tokens(text: str) -> list[str]:
    """Lower-case words, and each clause-ending punctuation mark as a token of its own."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)?|[.,;:!?]", _fold(text))


def _negated(tokens: list[str], start: int, rules: FreeTextRules) -> bool:
    """Whether a negation stands shortly before ``start``, in the same clause."""
    clause_words = {_fold(word) for word in rules.clause_words}
    negations = {_fold(word) for word in rules.negations}
    for seen, token in enumerate(reversed(tokens[:start])):
        if token in _STOPS or token in clause_words or seen == NEGATION_WINDOW:
            return False
        if token in negations:
            return True
    return False


def _found(tokens: list[str], phrases: tuple[str, ...], rules: FreeTextRules) -> bool:
    """Whether any phrase stands in ``tokens`` as whole words, and is not negated."""
    for phrase in phrases:
        wanted = words(phrase)
        size = len(wanted)
        if not size:
            continue
        for start in range(len(tokens) - size + 1):
            if tokens[start : start + size] == wanted and not _negated(tokens, start, rules):
                return True
    return False


def classify(text: str, rules: FreeTextRules) -> Topic:
    """What ``text`` is about (rules in the module docstring)."""
    said = _tokens(text)
    if _found(said, rules.symptoms, rules):
        return Topic.SYMPTOMS
    if _found(said, rules.pain, rules):
        return Topic.PAIN
    return Topic.OTHER


def pain_pointer(status: TodayStatus, *, mobility_only: bool) -> PainPointer:
    """Where to point someone in pain today (rules in the module docstring)."""
    if status is not TodayStatus.OPEN:
        return PainPointer.STRETCH
    return PainPointer.MOBILITY if mobility_only else PainPointer.GENTLY
