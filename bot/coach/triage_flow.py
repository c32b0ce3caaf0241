"""The triage conversation as a pure state machine, so handlers only render and store.

A handler loads the stored ``TriageState`` (``from_json``), asks ``next_step``
what to show, passes the pressed button's value to ``record`` and stores the
new state (``to_json``). The rules:

* consent first; "no" ends in ``DECLINED`` (nothing else is asked or stored);
* one question per red flag, in the content's order; a "yes" stops the triage
  at once: ``STOPPED_EMERGENCY`` for an emergency flag, else ``STOPPED_DOCTOR``.
  Answering ``"cleared"`` there (a doctor has seen them) resumes the triage;
* one question per contraindication; a "yes" does not stop the triage but marks
  the state ``doctor_first``: the summary says see a doctor first and exercise
  stays blocked until the user answers ``"cleared"`` (at the summary, or later
  through the stored profile); then the plan starts gentle;
* pain now (0..10), pain duration, experience, equipment (multi-select: values
  toggle, ``"done"`` commits, ``"none"`` commits nothing), time zone (an IANA
  key), reminders (yes/no), then a summary that ``"ok"`` confirms.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from bot.coach.triage import (
    Experience,
    PainDuration,
    RedFlagLevel,
    TriageAnswers,
    red_flag_level,
)
from content.schema import Contraindication, Equipment, RedFlag, Rules

YES = "yes"
NO = "no"
DONE = "done"
OK = "ok"
CLEARED = "cleared"

E = TypeVar("E", bound=StrEnum)


class TriageStep(StrEnum):
    """What the triage shows next."""

    CONSENT = "consent"
    RED_FLAG = "red_flag"
    CONTRAINDICATION = "contraindication"
    PAIN_NOW = "pain_now"
    PAIN_DURATION = "pain_duration"
    EXPERIENCE = "experience"
    EQUIPMENT = "equipment"
    TIME_ZONE = "time_zone"
    REMINDERS = "reminders"
    SUMMARY = "summary"
    DONE = "done"
    STOPPED_EMERGENCY = "stopped_emergency"
    STOPPED_DOCTOR = "stopped_doctor"
    DECLINED = "declined"


class InvalidAnswerError(ValueError):
    """A value that does not answer the current step (stale or forged button, bad text)."""


@dataclass(frozen=True, slots=True)
class TriageState:
    """The answers so far; ``None`` means not asked yet."""

    consent: bool | None = None
    red_flags: tuple[tuple[str, bool], ...] = ()
    contraindications: tuple[tuple[str, bool], ...] = ()
    cleared: bool = False
    pain_now: int | None = None
    pain_duration: PainDuration | None = None
    experience: Experience | None = None
    equipment_draft: frozenset[Equipment] = frozenset()
    equipment: frozenset[Equipment] | None = None
    time_zone: str | None = None
    reminders: bool | None = None
    confirmed: bool = False

    @property
    def red_flag_ids(self) -> frozenset[str]:
        """Red flags answered yes."""
        return frozenset(i for i, yes in self.red_flags if yes)

    @property
    def contraindication_ids(self) -> frozenset[str]:
        """Contraindications answered yes."""
        return frozenset(i for i, yes in self.contraindications if yes)

    @property
    def doctor_first(self) -> bool:
        """A contraindication not yet cleared: see a doctor before any exercise."""
        return bool(self.contraindication_ids) and not self.cleared

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the ``triage_state.answers`` JSON column."""
        return {
            "consent": self.consent,
            "red_flags": [[i, yes] for i, yes in self.red_flags],
            "contraindications": [[i, yes] for i, yes in self.contraindications],
            "cleared": self.cleared,
            "pain_now": self.pain_now,
            "pain_duration": self.pain_duration,
            "experience": self.experience,
            "equipment_draft": sorted(self.equipment_draft),
            "equipment": None if self.equipment is None else sorted(self.equipment),
            "time_zone": self.time_zone,
            "reminders": self.reminders,
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TriageState:
        """Rebuild a state stored by ``to_json`` (missing keys mean not asked)."""
        duration = data.get("pain_duration")
        experience = data.get("experience")
        equipment = data.get("equipment")
        return cls(
            consent=data.get("consent"),
            red_flags=tuple((str(i), bool(y)) for i, y in data.get("red_flags", [])),
            contraindications=tuple(
                (str(i), bool(y)) for i, y in data.get("contraindications", [])
            ),
            cleared=bool(data.get("cleared", False)),
            pain_now=data.get("pain_now"),
            pain_duration=None if duration is None else PainDuration(duration),
            experience=None if experience is None else Experience(experience),
            equipment_draft=frozenset(Equipment(e) for e in data.get("equipment_draft", [])),
            equipment=None if equipment is None else frozenset(Equipment(e) for e in equipment),
            time_zone=data.get("time_zone"),
            reminders=data.get("reminders"),
            confirmed=bool(data.get("confirmed", False)),
        )


def next_step(state: TriageState, rules: Rules) -> TriageStep:
    """The step to show for the answers so far (see the module docstring)."""
    if state.consent is None:
        return TriageStep.CONSENT
    if not state.consent:
        return TriageStep.DECLINED
    if state.red_flag_ids and not state.cleared:
        if red_flag_level(state.red_flag_ids, rules) is RedFlagLevel.EMERGENCY:
            return TriageStep.STOPPED_EMERGENCY
        return TriageStep.STOPPED_DOCTOR
    pending: list[tuple[object, TriageStep]] = [
        (len(state.red_flags) < len(rules.red_flags), TriageStep.RED_FLAG),
        (len(state.contraindications) < len(rules.contraindications), TriageStep.CONTRAINDICATION),
        (state.pain_now is None, TriageStep.PAIN_NOW),
        (state.pain_duration is None, TriageStep.PAIN_DURATION),
        (state.experience is None, TriageStep.EXPERIENCE),
        (state.equipment is None, TriageStep.EQUIPMENT),
        (state.time_zone is None, TriageStep.TIME_ZONE),
        (state.reminders is None, TriageStep.REMINDERS),
        (not state.confirmed, TriageStep.SUMMARY),
    ]
    return next((step for missing, step in pending if missing), TriageStep.DONE)


def current_red_flag(state: TriageState, rules: Rules) -> RedFlag | None:
    """The red-flag question to ask now, if the step is ``RED_FLAG``."""
    if next_step(state, rules) is not TriageStep.RED_FLAG:
        return None
    return rules.red_flags[len(state.red_flags)]


def current_contraindication(state: TriageState, rules: Rules) -> Contraindication | None:
    """The contraindication question to ask now, if the step is ``CONTRAINDICATION``."""
    if next_step(state, rules) is not TriageStep.CONTRAINDICATION:
        return None
    return rules.contraindications[len(state.contraindications)]


def question_index(state: TriageState, rules: Rules) -> int:
    """A number that changes with every question, for stale-button checks and progress."""
    step = next_step(state, rules)
    if step is TriageStep.RED_FLAG:
        return len(state.red_flags)
    if step is TriageStep.CONTRAINDICATION:
        return len(state.contraindications)
    return 0


def _yes_no(value: str) -> bool:
    """Parse a yes/no button."""
    if value == YES:
        return True
    if value == NO:
        return False
    raise InvalidAnswerError(value)


def _enum(kind: type[E], value: str) -> E:
    """Parse one enum button."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidAnswerError(value) from None


def _zone(value: str) -> str:
    """Accept only a key zoneinfo knows."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidAnswerError(value) from None
    return value


def _equipment(state: TriageState, value: str) -> TriageState:
    """Toggle one item, or commit the selection with ``done`` / nothing with ``none``."""
    if value == DONE:
        return replace(state, equipment=state.equipment_draft)
    item = _enum(Equipment, value)
    if item is Equipment.NONE:
        return replace(state, equipment_draft=frozenset(), equipment=frozenset())
    return replace(state, equipment_draft=state.equipment_draft ^ {item})


def _pain(value: str) -> int:
    """A pain score 0..10."""
    if not value.isdigit() or not 0 <= int(value) <= 10:
        raise InvalidAnswerError(value)
    return int(value)


def record(state: TriageState, rules: Rules, value: str) -> TriageState:
    """Apply one answer to the current step; raise ``InvalidAnswerError`` if it does not fit."""
    step = next_step(state, rules)
    if step is TriageStep.CONSENT:
        return replace(state, consent=_yes_no(value))
    if step in (TriageStep.STOPPED_EMERGENCY, TriageStep.STOPPED_DOCTOR):
        if value != CLEARED:
            raise InvalidAnswerError(value)
        return replace(state, cleared=True)
    if step is TriageStep.RED_FLAG:
        flag = rules.red_flags[len(state.red_flags)]
        return replace(state, red_flags=(*state.red_flags, (flag.id, _yes_no(value))))
    if step is TriageStep.CONTRAINDICATION:
        item = rules.contraindications[len(state.contraindications)]
        pair = (item.id, _yes_no(value))
        return replace(state, contraindications=(*state.contraindications, pair))
    if step is TriageStep.PAIN_NOW:
        return replace(state, pain_now=_pain(value))
    if step is TriageStep.PAIN_DURATION:
        return replace(state, pain_duration=_enum(PainDuration, value))
    if step is TriageStep.EXPERIENCE:
        return replace(state, experience=_enum(Experience, value))
    if step is TriageStep.EQUIPMENT:
        return _equipment(state, value)
    if step is TriageStep.TIME_ZONE:
        return replace(state, time_zone=_zone(value))
    if step is TriageStep.REMINDERS:
        return replace(state, reminders=_yes_no(value))
    if step is TriageStep.SUMMARY:
        if value == CLEARED and state.doctor_first:
            return replace(state, cleared=True)
        if value == OK:
            return replace(state, confirmed=True)
    raise InvalidAnswerError(value)


def answers_from(state: TriageState) -> TriageAnswers:
    """The answers for ``assess``; questions not reached (a stopped triage) take defaults."""
    return TriageAnswers(
        red_flags=state.red_flag_ids,
        contraindications=state.contraindication_ids,
        pain_now=state.pain_now or 0,
        pain_duration=state.pain_duration or PainDuration.DAYS,
        experience=state.experience or Experience.NEW,
        equipment=state.equipment or frozenset(),
        cleared=state.cleared,
    )
