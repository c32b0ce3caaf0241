"""The safety check as a pure state machine, so handlers only render and store.

A handler loads the stored ``TriageState`` (``from_json``), asks ``next_step``
what to show, passes the pressed button's value to ``record`` and stores the
new state (``to_json``). The rules:

* consent first; "no" ends in ``DECLINED`` (nothing else is asked or stored);
* then where the user is (the time zone: local reminders, and the emergency
  number to give), then the age band: under 16 ends in ``NOT_FOR_YOU``;
* then the screen, one group of flags per message (``Rules.groups``). In a
  *stop* group a tap on an item is a Yes to that flag and "none" is a No to every
  item still unanswered; in a *pick* group items toggle and ``"done"`` commits
  (untapped items are a No). Every shown item is answered explicitly; an item
  marked ``age_50_plus`` is shown only to people aged 50 or over;
* any Yes to a stopping flag (emergency, same day, soon) that no clearance
  covers stops the check at once in ``STOPPED``, whatever was cleared before;
* a clearance (``with_cleared``, after the user confirmed a doctor's visit and
  that nothing is new) covers exactly the flags reported so far; the check then
  carries on with the items not yet answered;
* contraindications (tier ``doctor_first``) do not stop the check but block
  exercise until cleared; routine items and pregnancy never block;
* then pain now (0..10), pain duration, experience, equipment (multi-select:
  values toggle, ``"done"`` commits, ``"none"`` commits nothing), reminders
  (yes/no), then a summary that ``"ok"`` confirms;
* a *recheck* (the safety net, ``Scope.URGENT``) asks only the emergency group
  again, for someone who already finished a check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.coach.timezones import is_canonical_zone
from bot.coach.triage import Experience, PainDuration, TriageAnswers
from content.schema import Equipment, Flag, GroupKind, Rules, ScreenGroup, Tier

YES = "yes"
NO = "no"
DONE = "done"
OK = "ok"
NONE = "none"
FLAG = "f."  # a flag's button value: "f.saddle_numbness"

E = TypeVar("E", bound=StrEnum)


class TriageStep(StrEnum):
    """What the check shows next."""

    CONSENT = "consent"
    TIME_ZONE = "time_zone"
    AGE = "age"
    GROUP = "group"
    PAIN_NOW = "pain_now"
    PAIN_DURATION = "pain_duration"
    EXPERIENCE = "experience"
    EQUIPMENT = "equipment"
    REMINDERS = "reminders"
    SUMMARY = "summary"
    DONE = "done"
    STOPPED = "stopped"
    NOT_FOR_YOU = "not_for_you"
    DECLINED = "declined"


class AgeBand(StrEnum):
    """Age, as far as the screen needs it."""

    UNDER_16 = "under_16"
    ADULT = "16_49"
    OVER_50 = "50_plus"


class Scope(StrEnum):
    """The whole check, or only the emergency questions again (the safety net)."""

    FULL = "full"
    URGENT = "urgent"


class InvalidAnswerError(ValueError):
    """A value that does not answer the current step (stale or forged button, bad text)."""


@dataclass(frozen=True, slots=True)
class TriageState:
    """The answers so far; ``None`` means not asked yet.

    ``flags`` holds every screen item answered, in order, as (id, yes);
    ``reported`` the moment of each Yes (ISO 8601, UTC), so an emergency is not
    cleared within the hour; ``cleared`` the flags a doctor's clearance covers;
    ``consented`` the moment of the Yes to the first question (ISO 8601, UTC).
    """

    consent: bool | None = None
    consented: str | None = None
    time_zone: str | None = None
    age_band: AgeBand | None = None
    flags: tuple[tuple[str, bool], ...] = ()
    reported: tuple[tuple[str, str], ...] = ()
    cleared: frozenset[str] = frozenset()
    pick_draft: frozenset[str] = frozenset()
    pain_now: int | None = None
    pain_duration: PainDuration | None = None
    experience: Experience | None = None
    equipment_draft: frozenset[Equipment] = frozenset()
    equipment: frozenset[Equipment] | None = None
    reminders: bool | None = None
    confirmed: bool = False
    scope: Scope = Scope.FULL

    @property
    def yes_ids(self) -> frozenset[str]:
        """Every item answered Yes."""
        return frozenset(i for i, yes in self.flags if yes)

    @property
    def answered_ids(self) -> frozenset[str]:
        """Every item answered, Yes or No."""
        return frozenset(i for i, _ in self.flags)

    def open_ids(self, rules: Rules, *, tiers: frozenset[Tier] | None = None) -> frozenset[str]:
        """Blocking flags answered Yes that no clearance covers (optionally of some tiers)."""
        found = set()
        for flag_id in self.yes_ids - self.cleared:
            flag = rules.flag(flag_id)
            tier = flag.tier if flag is not None else Tier.SOON
            if tier.blocks and (tiers is None or tier in tiers):
                found.add(flag_id)
        return frozenset(found)

    def stopped_by(self, rules: Rules) -> frozenset[str]:
        """Open flags of a stopping tier: while any is there, the check goes no further."""
        return self.open_ids(rules, tiers=STOPPING)

    def reported_at(self, flag_id: str) -> datetime | None:
        """When this flag was last answered Yes."""
        stamp = dict(self.reported).get(flag_id)
        return None if stamp is None else datetime.fromisoformat(stamp)

    @property
    def consented_at(self) -> datetime | None:
        """When the user agreed to the check, if they did in this one."""
        return None if self.consented is None else datetime.fromisoformat(self.consented)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the ``triage_state.answers`` JSON column."""
        return {
            "consent": self.consent,
            "consented": self.consented,
            "time_zone": self.time_zone,
            "age_band": self.age_band,
            "flags": [[i, yes] for i, yes in self.flags],
            "reported": [[i, at] for i, at in self.reported],
            "cleared": sorted(self.cleared),
            "pick_draft": sorted(self.pick_draft),
            "pain_now": self.pain_now,
            "pain_duration": self.pain_duration,
            "experience": self.experience,
            "equipment_draft": sorted(self.equipment_draft),
            "equipment": None if self.equipment is None else sorted(self.equipment),
            "reminders": self.reminders,
            "confirmed": self.confirmed,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TriageState:
        """Rebuild a state stored by ``to_json`` (missing keys mean not asked)."""
        duration = data.get("pain_duration")
        experience = data.get("experience")
        equipment = data.get("equipment")
        age = data.get("age_band")
        return cls(
            consent=data.get("consent"),
            consented=data.get("consented"),
            time_zone=data.get("time_zone"),
            age_band=None if age is None else AgeBand(age),
            flags=tuple((str(i), bool(y)) for i, y in data.get("flags", [])),
            reported=tuple((str(i), str(at)) for i, at in data.get("reported", [])),
            cleared=frozenset(str(i) for i in data.get("cleared", [])),
            pick_draft=frozenset(str(i) for i in data.get("pick_draft", [])),
            pain_now=data.get("pain_now"),
            pain_duration=None if duration is None else PainDuration(duration),
            experience=None if experience is None else Experience(experience),
            equipment_draft=frozenset(Equipment(e) for e in data.get("equipment_draft", [])),
            equipment=None if equipment is None else frozenset(Equipment(e) for e in equipment),
            reminders=data.get("reminders"),
            confirmed=bool(data.get("confirmed", False)),
            scope=Scope(data.get("scope", Scope.FULL)),
        )


STOPPING = frozenset(tier for tier in Tier if tier.stops)


def recheck_state(time_zone: str | None, age_band: AgeBand | None) -> TriageState:
    """A recheck of the emergency questions for someone who finished a check before."""
    return TriageState(
        consent=True,
        time_zone=time_zone,
        age_band=age_band or AgeBand.ADULT,
        scope=Scope.URGENT,
    )


def shown_flags(group: ScreenGroup, state: TriageState) -> tuple[Flag, ...]:
    """The items of a group this user is asked (age-bound items only for their age)."""
    return tuple(
        flag
        for flag in group.flags
        if flag.when is None or (flag.when == "age_50_plus" and state.age_band is AgeBand.OVER_50)
    )


def _groups_in_scope(state: TriageState, rules: Rules) -> tuple[ScreenGroup, ...]:
    if state.scope is Scope.URGENT:
        return tuple(g for g in rules.groups if any(f.tier is Tier.EMERGENCY for f in g.flags))
    return rules.groups


def current_group(state: TriageState, rules: Rules) -> ScreenGroup | None:
    """The first group with an item still unanswered, if the screen is not finished."""
    answered = state.answered_ids
    for group in _groups_in_scope(state, rules):
        if any(flag.id not in answered for flag in shown_flags(group, state)):
            return group
    return None


def pending_flags(group: ScreenGroup, state: TriageState) -> tuple[Flag, ...]:
    """The items of this group not answered yet: what the group's message lists."""
    answered = state.answered_ids
    return tuple(flag for flag in shown_flags(group, state) if flag.id not in answered)


def next_step(state: TriageState, rules: Rules) -> TriageStep:
    """The step to show for the answers so far (see the module docstring)."""
    if state.consent is None:
        return TriageStep.CONSENT
    if not state.consent:
        return TriageStep.DECLINED
    if state.time_zone is None:
        return TriageStep.TIME_ZONE
    if state.age_band is None:
        return TriageStep.AGE
    if state.age_band is AgeBand.UNDER_16:
        return TriageStep.NOT_FOR_YOU
    if state.stopped_by(rules):
        return TriageStep.STOPPED
    if current_group(state, rules) is not None:
        return TriageStep.GROUP
    if state.scope is Scope.URGENT:
        return TriageStep.DONE
    pending: list[tuple[object, TriageStep]] = [
        (state.pain_now is None, TriageStep.PAIN_NOW),
        (state.pain_duration is None, TriageStep.PAIN_DURATION),
        (state.experience is None, TriageStep.EXPERIENCE),
        (state.equipment is None, TriageStep.EQUIPMENT),
        (state.reminders is None, TriageStep.REMINDERS),
        (not state.confirmed, TriageStep.SUMMARY),
    ]
    return next((step for missing, step in pending if missing), TriageStep.DONE)


def question_index(state: TriageState, rules: Rules) -> int:
    """A number that changes with every question, for stale-button checks and progress."""
    return len(state.flags)


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
    """Accept only a canonical IANA zone (no backward link, ``Factory`` or ``localtime``)."""
    if not is_canonical_zone(value):
        raise InvalidAnswerError(value)
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


def _answer_flags(state: TriageState, answers: dict[str, bool], now: datetime) -> TriageState:
    """Store these answers (a new answer replaces an old one) and stamp every Yes."""
    kept = tuple((i, yes) for i, yes in state.flags if i not in answers)
    flags = kept + tuple(answers.items())
    yes = {i for i, answer in answers.items() if answer}
    reported = tuple((i, at) for i, at in state.reported if i not in yes) + tuple(
        (i, now.isoformat()) for i in answers if answers[i]
    )
    # A Yes given again is a new report: an earlier clearance does not cover it.
    return replace(state, flags=flags, reported=reported, cleared=state.cleared - yes)


def _group_answer(state: TriageState, group: ScreenGroup, value: str, now: datetime) -> TriageState:
    """A tap in the current group (see the module docstring)."""
    pending = pending_flags(group, state)
    ids = [flag.id for flag in pending]
    if value == NONE:
        return replace(_answer_flags(state, dict.fromkeys(ids, False), now), pick_draft=frozenset())
    if group.kind is GroupKind.PICK and value == DONE:
        answers = {i: i in state.pick_draft for i in ids}
        return replace(_answer_flags(state, answers, now), pick_draft=frozenset())
    flag_id = value.removeprefix(FLAG)
    if not value.startswith(FLAG) or flag_id not in ids:
        raise InvalidAnswerError(value)
    if group.kind is GroupKind.PICK:
        return replace(state, pick_draft=state.pick_draft ^ {flag_id})
    return _answer_flags(state, {flag_id: True}, now)


def report(state: TriageState, rules: Rules, flag_id: str, now: datetime) -> TriageState:
    """A Yes to a stopping flag pressed on any copy of its question, even an old one.

    Safety first: a late Yes is never thrown away, and it stops the check again.
    """
    flag = rules.flag(flag_id)
    if flag is None or not flag.tier.stops:
        raise InvalidAnswerError(flag_id)
    return _answer_flags(state, {flag_id: True}, now)


def with_cleared(state: TriageState, flag_ids: frozenset[str]) -> TriageState:
    """A doctor cleared these flags: the check carries on with what is still unanswered."""
    return replace(state, cleared=state.cleared | (flag_ids & state.yes_ids))


def record(state: TriageState, rules: Rules, value: str, now: datetime) -> TriageState:
    """Apply one answer to the current step; raise ``InvalidAnswerError`` if it does not fit."""
    step = next_step(state, rules)
    if step is TriageStep.CONSENT:
        agreed = _yes_no(value)
        return replace(state, consent=agreed, consented=now.isoformat() if agreed else None)
    if step is TriageStep.TIME_ZONE:
        return replace(state, time_zone=_zone(value))
    if step is TriageStep.AGE:
        return replace(state, age_band=_enum(AgeBand, value))
    if step is TriageStep.GROUP:
        group = current_group(state, rules)
        assert group is not None
        return _group_answer(state, group, value, now)
    if step is TriageStep.PAIN_NOW:
        return replace(state, pain_now=_pain(value))
    if step is TriageStep.PAIN_DURATION:
        return replace(state, pain_duration=_enum(PainDuration, value))
    if step is TriageStep.EXPERIENCE:
        return replace(state, experience=_enum(Experience, value))
    if step is TriageStep.EQUIPMENT:
        return _equipment(state, value)
    if step is TriageStep.REMINDERS:
        return replace(state, reminders=_yes_no(value))
    if step is TriageStep.SUMMARY and value == OK:
        return replace(state, confirmed=True)
    raise InvalidAnswerError(value)


def ids_of_tier(state: TriageState, rules: Rules, *tiers: Tier) -> frozenset[str]:
    """Items answered Yes whose tier is one of these (cleared or not)."""
    wanted = frozenset(tiers)
    return frozenset(
        i for i in state.yes_ids if (flag := rules.flag(i)) is not None and flag.tier in wanted
    )


def answers_from(state: TriageState, rules: Rules) -> TriageAnswers:
    """The answers for ``assess``; questions not reached (a stopped check) take defaults."""
    red = frozenset(i for i in state.yes_ids if (flag := rules.flag(i)) is None or flag.tier.stops)
    return TriageAnswers(
        red_flags=red,
        contraindications=ids_of_tier(state, rules, Tier.DOCTOR_FIRST),
        pain_now=state.pain_now or 0,
        pain_duration=state.pain_duration or PainDuration.DAYS,
        experience=state.experience or Experience.NEW,
        equipment=state.equipment or frozenset(),
        cleared=state.cleared & state.yes_ids,
        pregnant=bool(ids_of_tier(state, rules, Tier.ADAPT)),
        notes=ids_of_tier(state, rules, Tier.ROUTINE),
    )
