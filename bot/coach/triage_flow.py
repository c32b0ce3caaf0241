"""The safety check as a pure state machine, so handlers only render and store.

A handler loads the stored ``TriageState`` (``from_json``), asks ``next_step``
what to show, passes the pressed button's value (or a typed answer) to ``move``
and stores what the returned ``Move`` says (``to_json``). The rules:

* the first question is consent and the age band in one: a tap on an age band is
  a Yes to the check; ``"no"`` ends in ``DECLINED`` and under 16 in
  ``NOT_FOR_YOU`` (nothing else is asked, nothing is stored). A redo, already
  consented, asks the age band alone;
* then where the user is (the time zone: local reminders, and the emergency
  number to give), from a typed town, a shared location or a list;
* then the screen, one group of flags per message (``Rules.groups``), numbered
  "n of N" over the groups this user is asked (``group_position``). In a *stop*
  group a tap on an item is a Yes to that flag and "none" is a No to every item
  still unanswered; in a *pick* group items toggle and ``"done"`` commits
  (untapped items are a No). Every shown item is answered explicitly; an item
  marked ``age_50_plus`` is shown only to people aged 50 or over. The groups go
  from the most urgent tier down, so a tap in a stop group is the most urgent stop
  that applies;
* any Yes to a stopping flag (emergency, same day, soon) that no clearance covers
  stops the check at once in ``STOPPED``, whatever was cleared before. Such a Yes
  counts even when it does not answer the question on screen (a late tap on an old
  copy of its question, ``move``): safety first;
* a clearance (``with_cleared``, after the user confirmed a doctor's visit and
  that nothing is new) covers exactly the flags reported so far; the check then
  carries on with the items not yet answered;
* contraindications (tier ``doctor_first``) do not stop the check but block
  exercise until cleared; routine items and pregnancy never block;
* then pain now (0..10; a typed number counts, ``typed_answer``) and how long it
  has lasted;
* then the plan (``PLAN``), for someone who may exercise: experience, equipment and
  reminders start at safe defaults (new to exercise, no equipment, stretch
  reminders at the suggested times and water off until chosen) and are shown with
  the plan on one screen. ``"ok"`` confirms it all and the first session starts
  (``Move.starts_session``); ``"x.experience"``, ``"x.equipment"`` and
  ``"x.reminders"`` ask that one question (equipment: values toggle, ``"done"``
  commits, ``"none"`` commits nothing), then the plan comes back. Someone a
  contraindication keeps from exercise confirms no plan: the check ends
  (``DONE``) with the doctor-first advice;
* a *recheck* (the safety net, ``Scope.URGENT``) asks only the emergency group
  again, for someone who already finished a check.

What the user sees follows ``Move.in_place``: a tick in a multi-select, and going
to or back from a change of the plan, redraw the message on screen; any other
answer closes its question (which then shows the answer) and asks the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.coach.nudges import NudgePrefs, default_prefs
from bot.coach.timezones import is_canonical_zone
from bot.coach.triage import Experience, PainDuration, TriageAnswers
from content.schema import Equipment, Flag, GroupKind, Rules, ScreenGroup, Tier

YES = "yes"
NO = "no"
DONE = "done"
OK = "ok"
NONE = "none"
FLAG = "f."  # a flag's button value: "f.saddle_numbness"
CHANGE = "x."  # a plan screen's "change" button: "x.equipment"

E = TypeVar("E", bound=StrEnum)


class TriageStep(StrEnum):
    """What the check shows next."""

    CONSENT = "consent"
    AGE = "age"
    TIME_ZONE = "time_zone"
    GROUP = "group"
    PAIN_NOW = "pain_now"
    PAIN_DURATION = "pain_duration"
    EXPERIENCE = "experience"
    EQUIPMENT = "equipment"
    REMINDERS = "reminders"
    PLAN = "plan"
    DONE = "done"
    STOPPED = "stopped"
    NOT_FOR_YOU = "not_for_you"
    DECLINED = "declined"


# The plan's choices that its screen can change, one question each.
CHANGEABLE = (TriageStep.EXPERIENCE, TriageStep.EQUIPMENT, TriageStep.REMINDERS)
# Steps that ask something with buttons (the others end the check or stop it).
QUESTIONS = frozenset(
    {
        TriageStep.CONSENT,
        TriageStep.AGE,
        TriageStep.TIME_ZONE,
        TriageStep.GROUP,
        TriageStep.PAIN_NOW,
        TriageStep.PAIN_DURATION,
        TriageStep.PLAN,
        *CHANGEABLE,
    }
)


class AgeBand(StrEnum):
    """Age, as far as the screen needs it."""

    UNDER_16 = "under_16"
    ADULT = "16_49"
    OVER_50 = "50_plus"


class Reminders(StrEnum):
    """Which reminders the check sets up."""

    STRETCH = "stretch"  # the default: stretch nudges at the suggested times, water off
    ALL = "all"  # stretch and water
    NONE = "none"
    KEEP = "keep"  # a redo: the reminders stay as they are (never a button)


class Scope(StrEnum):
    """The whole check, or only the emergency questions again (the safety net)."""

    FULL = "full"
    URGENT = "urgent"


class Ending(StrEnum):
    """What becomes of the stored check after an answer."""

    GOES_ON = "goes_on"  # stored as it is now; the next question follows
    FORGET = "forget"  # declined, not for this user, or a recheck done: nothing is kept
    SAVE = "save"  # finished: the profile and the reminders are stored, the check closes


class InvalidAnswerError(ValueError):
    """A value that does not answer the current step (stale or forged button, bad text)."""


@dataclass(frozen=True, slots=True)
class TriageState:
    """The answers so far; ``None`` means not asked yet.

    ``flags`` holds every screen item answered, in order, as (id, yes);
    ``reported`` the moment of each Yes (ISO 8601, UTC), so an emergency is not
    cleared within the hour; ``cleared`` the flags a doctor's clearance covers;
    ``consented`` the moment of the Yes to the first question (ISO 8601, UTC);
    ``changing`` the plan's choice being changed, if any.
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
    reminders: Reminders | None = None
    changing: TriageStep | None = None
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

    @property
    def reminder_choice(self) -> Reminders:
        """The reminders chosen, or the default (stretch, water off) when none was."""
        return self.reminders or Reminders.STRETCH

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
            "changing": self.changing,
            "confirmed": self.confirmed,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TriageState:
        """Rebuild a state stored by ``to_json`` (missing keys mean not asked).

        A check stored before the plan screen kept reminders as a yes or no: Yes
        meant stretch and water.
        """
        duration = data.get("pain_duration")
        experience = data.get("experience")
        equipment = data.get("equipment")
        age = data.get("age_band")
        reminders = data.get("reminders")
        if isinstance(reminders, bool):
            reminders = Reminders.ALL if reminders else Reminders.NONE
        changing = data.get("changing")
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
            reminders=None if reminders is None else Reminders(reminders),
            changing=None if changing is None else TriageStep(changing),
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
    """The groups this user is asked: in a recheck only the emergency ones; none left empty."""
    groups = rules.groups
    if state.scope is Scope.URGENT:
        groups = tuple(g for g in groups if any(f.tier is Tier.EMERGENCY for f in g.flags))
    return tuple(g for g in groups if shown_flags(g, state))


def current_group(state: TriageState, rules: Rules) -> ScreenGroup | None:
    """The first group with an item still unanswered, if the screen is not finished."""
    answered = state.answered_ids
    for group in _groups_in_scope(state, rules):
        if any(flag.id not in answered for flag in shown_flags(group, state)):
            return group
    return None


def group_position(state: TriageState, rules: Rules) -> tuple[int, int]:
    """The current group's number and how many groups this user is asked (1-based).

    "Safety check 2 of 4" is true for this user: a recheck asks one group, and a
    group with nothing shown to this user is not counted.
    """
    groups = _groups_in_scope(state, rules)
    group = current_group(state, rules)
    return (groups.index(group) + 1 if group in groups else 0), len(groups)


def pending_flags(group: ScreenGroup, state: TriageState) -> tuple[Flag, ...]:
    """The items of this group not answered yet: what the group's message lists."""
    answered = state.answered_ids
    return tuple(flag for flag in shown_flags(group, state) if flag.id not in answered)


def why_flags(state: TriageState, rules: Rules) -> tuple[Flag, ...]:
    """The items whose reasons answer "not sure" typed at a safety question (else none)."""
    group = current_group(state, rules)
    if next_step(state, rules) is not TriageStep.GROUP or group is None:
        return ()
    return pending_flags(group, state)


def next_step(state: TriageState, rules: Rules) -> TriageStep:
    """The step to show for the answers so far (see the module docstring)."""
    if state.consent is None:
        return TriageStep.CONSENT
    if not state.consent:
        return TriageStep.DECLINED
    if state.age_band is None:
        return TriageStep.AGE
    if state.age_band is AgeBand.UNDER_16:
        return TriageStep.NOT_FOR_YOU
    if state.stopped_by(rules):
        return TriageStep.STOPPED
    if state.time_zone is None:
        return TriageStep.TIME_ZONE
    if current_group(state, rules) is not None:
        return TriageStep.GROUP
    if state.scope is Scope.URGENT:
        return TriageStep.DONE
    if state.pain_now is None:
        return TriageStep.PAIN_NOW
    if state.pain_duration is None:
        return TriageStep.PAIN_DURATION
    if state.changing is not None:
        return state.changing
    if not state.confirmed and not state.open_ids(rules):
        return TriageStep.PLAN
    return TriageStep.DONE


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


def _consent(state: TriageState, value: str, now: datetime) -> TriageState:
    """An age band agrees and answers the age at once; "no" declines ("yes" agrees only)."""
    if value in (YES, NO):
        agreed = _yes_no(value)
        return replace(state, consent=agreed, consented=now.isoformat() if agreed else None)
    band = _enum(AgeBand, value)
    return replace(state, consent=True, consented=now.isoformat(), age_band=band)


def _equipment(state: TriageState, value: str) -> TriageState:
    """Toggle one item, or commit the selection with ``done`` / nothing with ``none``."""
    if value == DONE:
        return replace(state, equipment=state.equipment_draft, changing=None)
    item = _enum(Equipment, value)
    if item is Equipment.NONE:
        return replace(state, equipment_draft=frozenset(), equipment=frozenset(), changing=None)
    return replace(state, equipment_draft=state.equipment_draft ^ {item})


def _plan(state: TriageState, value: str) -> TriageState:
    """Confirm the plan with ``ok``, or open one of its choices to change it."""
    if value == OK:
        return replace(state, confirmed=True)
    wanted = value.removeprefix(CHANGE)
    step = next((s for s in CHANGEABLE if s.value == wanted), None)
    if not value.startswith(CHANGE) or step is None:
        raise InvalidAnswerError(value)
    return replace(state, changing=step, equipment_draft=state.equipment or frozenset())


def _reminders(value: str) -> Reminders:
    """A reminders button: stretch only, stretch and water, or none."""
    choice = _enum(Reminders, value)
    if choice is Reminders.KEEP:
        raise InvalidAnswerError(value)
    return choice


def _pain(value: str) -> int:
    """A pain score 0..10."""
    if not value.isdigit() or not 0 <= int(value) <= 10:
        raise InvalidAnswerError(value)
    return int(value)


_TYPED_PAIN = re.compile(r"^\s*(\d{1,2})\s*(?:/\s*10)?\s*$")


def typed_answer(step: TriageStep, text: str) -> str | None:
    """A typed message that answers this step as its button would ("3" or "3/10" for pain)."""
    found = _TYPED_PAIN.match(text)
    if step is TriageStep.PAIN_NOW and found and 0 <= int(found.group(1)) <= 10:
        return str(int(found.group(1)))
    return None


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
        return _consent(state, value, now)
    if step is TriageStep.AGE:
        return replace(state, age_band=_enum(AgeBand, value))
    if step is TriageStep.TIME_ZONE:
        return replace(state, time_zone=_zone(value))
    if step is TriageStep.GROUP:
        group = current_group(state, rules)
        assert group is not None
        return _group_answer(state, group, value, now)
    if step is TriageStep.PAIN_NOW:
        return replace(state, pain_now=_pain(value))
    if step is TriageStep.PAIN_DURATION:
        return replace(state, pain_duration=_enum(PainDuration, value))
    if step is TriageStep.EXPERIENCE:
        return replace(state, experience=_enum(Experience, value), changing=None)
    if step is TriageStep.EQUIPMENT:
        return _equipment(state, value)
    if step is TriageStep.REMINDERS:
        return replace(state, reminders=_reminders(value), changing=None)
    if step is TriageStep.PLAN:
        return _plan(state, value)
    raise InvalidAnswerError(value)


@dataclass(frozen=True, slots=True)
class Move:
    """What one answer does: the new state, what comes next, and how it is shown.

    ``in_place``: the message on screen is redrawn (a tick, or a plan change opened
    or closed) rather than closed with its answer and followed by a new question.
    ``newly_open``: flags that block exercise from now on; the handler blocks at once.
    """

    before: TriageStep
    state: TriageState
    after: TriageStep
    in_place: bool
    newly_open: frozenset[str]

    @property
    def ending(self) -> Ending:
        """Whether the check goes on, is forgotten, or is saved as the profile."""
        if self.after in (TriageStep.DECLINED, TriageStep.NOT_FOR_YOU):
            return Ending.FORGET
        if self.after is TriageStep.DONE:
            return Ending.FORGET if self.state.scope is Scope.URGENT else Ending.SAVE
        return Ending.GOES_ON

    @property
    def starts_session(self) -> bool:
        """The plan was confirmed: the first session follows at once."""
        return self.ending is Ending.SAVE and self.state.confirmed


def move(state: TriageState, rules: Rules, value: str, now: datetime) -> Move:
    """Apply one answer, or a late red-flag Yes that does not fit the question on screen.

    Raises ``InvalidAnswerError`` for anything else that does not answer the current step.
    """
    before = next_step(state, rules)
    try:
        new = record(state, rules, value, now)
    except InvalidAnswerError:
        if not value.startswith(FLAG):
            raise
        new = report(state, rules, value.removeprefix(FLAG), now)
    after = next_step(new, rules)
    newly_open = new.open_ids(rules) - state.open_ids(rules)
    toggled = before is after is TriageStep.GROUP and new.flags == state.flags
    changed = state.changing is not None or new.changing is not None
    in_place = after in QUESTIONS and not newly_open and (toggled or changed)
    return Move(before, new, after, in_place, newly_open)


def reminder_prefs(choice: Reminders) -> NudgePrefs | None:
    """The reminder settings a check's choice stands for; ``None`` keeps the user's own."""
    prefs = default_prefs()
    if choice is Reminders.KEEP:
        return None
    if choice is Reminders.NONE:
        return replace(prefs, enabled=False, stretch_enabled=False, water_enabled=False)
    return replace(prefs, water_enabled=choice is Reminders.ALL)


def ids_of_tier(state: TriageState, rules: Rules, *tiers: Tier) -> frozenset[str]:
    """Items answered Yes whose tier is one of these (cleared or not)."""
    wanted = frozenset(tiers)
    return frozenset(
        i for i in state.yes_ids if (flag := rules.flag(i)) is not None and flag.tier in wanted
    )


def answers_from(state: TriageState, rules: Rules) -> TriageAnswers:
    """The answers for ``assess``; what was not asked takes the defaults.

    The plan's defaults are the gentlest: new to exercise and no equipment.
    """
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
