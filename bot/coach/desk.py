"""The stretch nudge's routine and its words: a desk routine, named by its first card.

A stretch nudge comes at the user's chosen times (by default 11:00 and 15:30 on
workdays), when most people are at a desk, in work clothes, with no floor to lie
on. So its button starts the desk routine (``bot.coach.plan.build_desk``: standing
or seated only), wherever the user happens to be: a routine with nothing on the
floor can be done anywhere, while a floor routine cannot. The same safety rules
choose its exercises as any session's (``allowed_exercises``: flags, pain, phase,
pregnancy), and what hurt in the last week rests, with its other forms.

The nudge's text names the card its button will show first
(``stretch_nudge_text``), taken from the very plan the button starts
(``desk_session``) or from the desk routine already under way today, which the
button resumes (``nudge_card``). A text never names an exercise the routine may
not hold.

Pure: the caller passes the stored answers, levels, hurt dates and ``today``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from bot.coach.plan import PlannedCard, SessionPlan, build_desk
from bot.coach.progression import resting_ids
from bot.coach.triage import Phase, TriageAnswers, allowed_exercises
from content.schema import Exercise


def desk_session(
    answers: TriageAnswers,
    phase: Phase,
    exercises: Sequence[Exercise],
    *,
    levels: Mapping[str, int],
    hurt: Mapping[str, date],
    today: date,
) -> SessionPlan:
    """The desk routine this user may do today; empty when nothing at a desk is allowed."""
    allowed = allowed_exercises(answers, phase, exercises)
    return build_desk(allowed, levels=levels, resting=resting_ids(hurt, today))


def is_desk_plan(cards: Sequence[PlannedCard], at_desk: Callable[[str], bool]) -> bool:
    """Whether every card of a plan can be done at a desk (``at_desk`` looks an id up)."""
    return bool(cards) and all(at_desk(card.exercise_id) for card in cards)


def nudge_card(
    fresh: SessionPlan,
    open_cards: Sequence[PlannedCard] | None,
    position: int,
    at_desk: Callable[[str], bool],
) -> PlannedCard | None:
    """The card the nudge's button shows first: where an open desk routine stands, or ``fresh``'s.

    ``open_cards`` and ``position`` are today's unfinished stretch routine, if any; the
    button resumes it only when it is a desk routine (a floor one stays for `/stretch`).
    """
    if open_cards is not None and is_desk_plan(open_cards, at_desk):
        if 0 <= position < len(open_cards):
            return open_cards[position]
        return None  # every card answered: the button shows the summary
    return fresh.cards[0] if fresh.cards else None


# Languages that write every noun with a capital: a name keeps its case in a sentence.
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def in_sentence(name: str, language: str = "en") -> str:
    """An exercise's name as it reads inside a sentence: "Seated cat-cow" -> "seated cat-cow".

    A name that starts with an acronym ("TV stretch") keeps its case, and so does every
    name in German ("Katze-Kuh im Sitzen"), where nouns are capitalised.
    """
    if language.split("-")[0] in NOUNS_CAPITALISED:
        return name
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[1:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def stretch_nudge_text(template: str, first_name: str, language: str = "en") -> str:
    """A stretch nudge's text with ``{first}`` filled by the first card's name."""
    return template.format(first=in_sentence(first_name, language))
