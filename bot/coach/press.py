"""What one press on a session card leads to: the rules, without Telegram or a database.

A session is one message. Each press turns it into what comes next, in place: the
next card, the gentler offer after "It hurts", or the summary with "how does your
back feel?". So a press costs one edit of that message, and pressing the live
message again can only ever draw the same thing again.

The rules, in order:

1. A press on a session that is not the user's, or gone: stale.
2. Someone who may not exercise now (a red flag, a check under way): refused,
   whatever the button; nothing is stored.
3. A press on a message that is no longer the session's live one (an earlier
   session, a card replaced by `/today`): stale, and that old message loses its buttons.
4. A finished session whose summary never reached its message (the process died
   between) draws it now; any other press on a finished session is stale.
5. An answer (done / skip / it hurts) to the card on show is recorded and moves on:
   a second "It hurts" in one session ends it early (the summary, with the advice);
   one "It hurts" shows the gentler offer (even on the last card: its button then
   finishes); the last card's answer finishes; anything else shows the next card.
6. After the offer, "Next" shows the card on show (finishing past the last one) and
   "gentler" puts the gentler exercise in first.
7. Anything else on the live message (a double tap, a press whose answer was stored
   by a process that died before drawing what follows) draws the current state
   again: the offer if the last answer hurt, else the card on show. Drawing the
   same thing twice is harmless ("message is not modified").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

# A second "It hurts" in one session ends it: enough for today.
HURTS_TO_STOP = 2


class Action(StrEnum):
    """The buttons of a card and of the offer after "It hurts"."""

    DONE = "done"
    SKIP = "skip"
    HURT = "hurt"
    NEXT = "next"
    GENTLER = "gentler"


ANSWERS = {Action.DONE: "done", Action.SKIP: "skipped", Action.HURT: "hurt"}


class Step(Enum):
    """What the handler does with the press."""

    STALE = "stale"  # say so; an old message loses its buttons
    REFUSED = "refused"  # the gate's answer; nothing stored
    RECORD = "record"  # store the answer and move the session on
    ADVANCE = "advance"  # no write: show the card on show (after the offer)
    GENTLER = "gentler"  # put the gentler card in, then show it
    REDRAW = "redraw"  # no write: draw the current state again


class Shows(Enum):
    """What the live message turns into."""

    CARD = "card"
    OFFER = "offer"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class SessionView:
    """The facts of one session that a press is decided on, read in one query."""

    owned: bool  # the session exists and is the presser's
    live: bool  # the pressed message is the session's live message
    finished: bool
    summary_owed: bool  # finished, but the summary never reached the message (a crash)
    position: int  # the card on show (answers so far)
    cards: int
    hurts: int
    last_hurt: bool = False  # the answer before the card on show was "It hurts"


@dataclass(frozen=True, slots=True)
class Decision:
    """The step to take, what the message shows after it, and whether the session ends."""

    step: Step
    shows: Shows | None = None
    outcome: str | None = None  # the answer to store (RECORD)
    finish: bool = False
    early: bool = False  # ended by pain


STALE = Decision(Step.STALE)


def decide(view: SessionView, action: Action, position: int, *, allowed: bool) -> Decision:
    """Decide one press (the module docstring gives the rules)."""
    if not view.owned:
        return STALE
    if not allowed:
        return Decision(Step.REFUSED)
    if not view.live:
        return STALE
    if view.finished:
        return Decision(Step.REDRAW, Shows.SUMMARY) if view.summary_owed else STALE
    if position != view.position:
        return redraw(view)
    if action in ANSWERS:
        return _answered(view, action)
    if action is Action.NEXT:
        if position >= view.cards:
            return Decision(Step.ADVANCE, Shows.SUMMARY, finish=True)
        return Decision(Step.ADVANCE, Shows.CARD)
    return Decision(Step.GENTLER, Shows.CARD)  # none to offer: the card on show


def redraw(view: SessionView) -> Decision:
    """Draw the current state of an unfinished session again (rule 7)."""
    if view.last_hurt:
        return Decision(Step.REDRAW, Shows.OFFER)
    if view.position >= view.cards:  # every card answered, the finish never drawn
        return Decision(Step.ADVANCE, Shows.SUMMARY, finish=True)
    return Decision(Step.REDRAW, Shows.CARD)


def _answered(view: SessionView, action: Action) -> Decision:
    outcome = ANSWERS[action]
    if action is Action.HURT:
        if view.hurts + 1 >= HURTS_TO_STOP:
            return Decision(Step.RECORD, Shows.SUMMARY, outcome, finish=True, early=True)
        return Decision(Step.RECORD, Shows.OFFER, outcome)
    if view.position + 1 >= view.cards:
        return Decision(Step.RECORD, Shows.SUMMARY, outcome, finish=True)
    return Decision(Step.RECORD, Shows.CARD, outcome)
