"""A short, versioned codec for callback data, so every button survives restarts.

Telegram allows 1-64 bytes of ``callback_data``. Each button kind has its own
prefix and a fixed number of fields; decoding returns ``None`` for anything
else (old formats, forged data), and handlers answer such presses politely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_BYTES: Final = 64
_FIELD = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")


@dataclass(frozen=True, slots=True)
class TriageAnswer:
    """A triage button: which question (by nonce) and the chosen value."""

    nonce: int
    value: str

    PREFIX = "t1"


@dataclass(frozen=True, slots=True)
class CardAnswer:
    """Done / skip / it hurts on one card of one workout."""

    workout_id: int
    position: int
    action: str  # done|skip|hurt|gentler|next

    PREFIX = "c1"
    ACTIONS = frozenset({"done", "skip", "hurt", "gentler", "next"})


@dataclass(frozen=True, slots=True)
class Feeling:
    """How the back feels after a workout."""

    workout_id: int
    value: str  # better|same|worse

    PREFIX = "f1"
    VALUES = frozenset({"better", "same", "worse"})


@dataclass(frozen=True, slots=True)
class NudgeAction:
    """A button under a nudge: start the stretch, snooze it, or log a glass of water."""

    action: str  # stretch|snooze|water

    PREFIX = "n1"
    ACTIONS = frozenset({"stretch", "snooze", "water"})


@dataclass(frozen=True, slots=True)
class Menu:
    """A settings, reminders, privacy or navigation button: a screen and an argument."""

    screen: str
    arg: str

    PREFIX = "m1"


@dataclass(frozen=True, slots=True)
class CheckInAnswer:
    """A check-in button: which check-in and question (0 for the nudge's), and the value.

    Values: a score ``0``..``10``, ``a.<activity>``, ``r.<activity>.<n>``, ``done``,
    ``none``, ``skip``; under the nudge ``start`` / ``skipweek``; after the trend
    ``up.<phase>`` / ``notyet``.
    """

    checkin_id: int
    question: int
    value: str

    PREFIX = "k1"


Callback = TriageAnswer | CardAnswer | Feeling | NudgeAction | Menu | CheckInAnswer


def encode(data: Callback) -> str:
    """Encode a callback; raises ``ValueError`` if a field would break the format or limit."""
    match data:
        case TriageAnswer(nonce, value):
            fields = [TriageAnswer.PREFIX, str(nonce), value]
        case CardAnswer(workout_id, position, action):
            fields = [CardAnswer.PREFIX, str(workout_id), str(position), action]
        case Feeling(workout_id, value):
            fields = [Feeling.PREFIX, str(workout_id), value]
        case NudgeAction(action):
            fields = [NudgeAction.PREFIX, action]
        case Menu(screen, arg):
            fields = [Menu.PREFIX, screen, arg]
        case CheckInAnswer(checkin_id, question, value):
            fields = [CheckInAnswer.PREFIX, str(checkin_id), str(question), value]
    for field in fields[1:]:
        if not _FIELD.match(field):
            raise ValueError(f"callback field {field!r} is not allowed")
    text = ":".join(fields)
    if len(text.encode()) > MAX_BYTES:
        raise ValueError("callback data over 64 bytes")
    return text


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 18 else None


def decode(text: object) -> Callback | None:
    """Decode callback data, or ``None`` for anything this version did not produce."""
    if not isinstance(text, str):
        return None
    try:
        size = len(text.encode())
    except UnicodeEncodeError:  # lone surrogates: no client sends them
        return None
    if not 0 < size <= MAX_BYTES:
        return None
    prefix, _, rest = text.partition(":")
    fields = rest.split(":") if rest else []
    if any(not _FIELD.match(field) for field in fields):
        return None
    match prefix, fields:
        case TriageAnswer.PREFIX, [nonce, value] if (n := _int(nonce)) is not None:
            return TriageAnswer(n, value)
        case CardAnswer.PREFIX, [workout, position, action] if action in CardAnswer.ACTIONS:
            w, p = _int(workout), _int(position)
            return CardAnswer(w, p, action) if w is not None and p is not None else None
        case Feeling.PREFIX, [workout, value] if value in Feeling.VALUES:
            w = _int(workout)
            return Feeling(w, value) if w is not None else None
        case NudgeAction.PREFIX, [action] if action in NudgeAction.ACTIONS:
            return NudgeAction(action)
        case Menu.PREFIX, [screen, arg]:
            return Menu(screen, arg)
        case CheckInAnswer.PREFIX, [checkin, question, value]:
            c, q = _int(checkin), _int(question)
            return CheckInAnswer(c, q, value) if c is not None and q is not None else None
    return None
