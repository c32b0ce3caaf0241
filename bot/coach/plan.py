"""Session plans: which cards `/today` and `/stretch` show, in which order and dose.

`/today` (``build_today``): a warm-up stretch, then 3 to 5 main exercises,
then cat-cow as the article's "perfect conclusion" when allowed. Each day
first picks one exercise per body area (back, abdomen, glutes, starting with
a different area each day) and then fills up from a list rotated by the date,
so every day (hence any 7 days) covers each area the allowed set can cover,
and consecutive days vary. Main exercises are grouped by position so the user
gets down to the floor once. Sets shrink (never below 1) and surplus main
exercises drop until the session fits about 20 minutes; it grows to about 10
minutes when the allowed set permits. Exercises that hurt recently
(``resting``) are left out; per-exercise levels adjust the dose
(``apply_level``).

`/stretch` (``build_stretch``): the stretch-routine exercises (the roller only
with a roller), standing first and cat-cow last, one set each, trimmed to
about 5 minutes. ``stretch_minutes`` is the routine's length as the content
makes it, the one figure the help, the nudge button and the intro say.

The desk routine (``build_desk``, what the stretch nudge starts): the same
3-5 minutes made only of exercises done standing beside a desk or sitting on
its chair (``at_desk``): one form of each of the article's stretches (its own
standing forward bend, the seated cat-cow, the standing back extension for the
cobra), standing first and the cat-cow's form last. A form whose family hurt
recently rests with it. `/today`, `/stretch` and the severe-pain session keep
to the article's own exercises (never a ``variant_of`` one).

Severe pain (``build_mobility``, when ``bot.coach.selection.mobility_only``):
`/today` is about 5 minutes (4 to 5) of mobility only, in the same order and
way as `/stretch`: the forward bend, cat-cow, and the glute roll with a roller.

After "It hurts" (``gentler_option``): a *different* gentle exercise, never the
one that hurt nor an easier variant of it (an easier form of it is what the
next sessions bring: progression lowers its level, and it rests for a week), nor
a standing or seated form of the same article exercise. In a desk routine it is
another desk exercise; elsewhere one of the article's own. One set of it: first
one not in today's plan (for the same body area when there is one, else any
gentle one), else one planned later (the caller moves it up).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from bot.coach.triage import Phase, required_equipment
from content.schema import Area, Difficulty, Dosage, Equipment, Exercise, Goal, Position

CONCLUSION_ID = "cat_cow"
FOCUS_AREAS = (Area.BACK, Area.ABDOMEN, Area.GLUTES)
MAIN_COUNT = {Phase.GENTLE: 3, Phase.BUILDING: 4, Phase.STRENGTHENING: 5}
MIN_MAIN = 3
MAX_MAIN = 5
TODAY_MIN_MINUTES = 10.0
TODAY_MAX_MINUTES = 20.0
STRETCH_MIN_MINUTES = 3.0
STRETCH_MAX_MINUTES = 5.0
MOBILITY_MIN_MINUTES = 4.0
MOBILITY_MAX_MINUTES = 5.0
MIN_LEVEL = -2
MAX_LEVEL = 3
REP_STEP = 2
REP_CAP = 6
DURATION_STEP = 10
DIFFICULTY_ORDER = (Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD)
POSITION_ORDER = (
    Position.STANDING,
    Position.SEATED,
    Position.ON_BALL,
    Position.PLANK,
    Position.QUADRUPED,
    Position.PRONE,
    Position.SUPINE,
)


class SessionKind(StrEnum):
    """The two kinds of session a user can start."""

    TODAY = "today"
    STRETCH = "stretch"


@dataclass(frozen=True, slots=True)
class PlannedCard:
    """One card of a session: which exercise, which variant, how much."""

    exercise_id: str
    variant_id: str | None
    dosage: Dosage

    def to_json(self) -> dict[str, Any]:
        """A plain dict, as stored in ``workout.plan``."""
        return {
            "exercise_id": self.exercise_id,
            "variant_id": self.variant_id,
            "dosage": asdict(self.dosage),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlannedCard:
        """Rebuild a card stored by ``to_json``."""
        return cls(
            exercise_id=str(data["exercise_id"]),
            variant_id=data.get("variant_id"),
            dosage=Dosage(**data["dosage"]),
        )


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """The cards of one session and its estimated length in whole minutes."""

    kind: SessionKind
    cards: tuple[PlannedCard, ...]
    minutes: int

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the database."""
        return {
            "kind": str(self.kind),
            "minutes": self.minutes,
            "cards": [card.to_json() for card in self.cards],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionPlan:
        """Rebuild a plan stored by ``to_json``."""
        return cls(
            kind=SessionKind(data["kind"]),
            cards=tuple(PlannedCard.from_json(c) for c in data["cards"]),
            minutes=int(data["minutes"]),
        )


def clamp_level(level: int) -> int:
    """Keep a stored level inside the range the dosage rules know."""
    return max(MIN_LEVEL, min(MAX_LEVEL, level))


def apply_level(dosage: Dosage, level: int) -> Dosage:
    """Progress (+2 reps up to +6, +1 s or breath of hold) or ease (one set less, then reps)."""
    level = clamp_level(level)
    if level == 0:
        return dosage
    if level > 0:
        return replace(
            dosage,
            reps=None if dosage.reps is None else dosage.reps + min(REP_STEP * level, REP_CAP),
            hold_seconds=None if dosage.hold_seconds is None else dosage.hold_seconds + level,
            hold_breaths=None if dosage.hold_breaths is None else dosage.hold_breaths + level,
            duration_seconds=None
            if dosage.duration_seconds is None
            else dosage.duration_seconds + DURATION_STEP * level,
        )
    steps = -level
    sets = max(1, dosage.sets - steps)
    rest = steps - (dosage.sets - sets)
    if rest == 0:
        return replace(dosage, sets=sets)
    return replace(
        dosage,
        sets=sets,
        reps=None if dosage.reps is None else max(1, dosage.reps - REP_STEP * rest),
        hold_seconds=None if dosage.hold_seconds is None else max(1, dosage.hold_seconds - rest),
        hold_breaths=None if dosage.hold_breaths is None else max(1, dosage.hold_breaths - rest),
        duration_seconds=None
        if dosage.duration_seconds is None
        else max(1, dosage.duration_seconds - DURATION_STEP * rest),
    )


def eased(today: Dosage, full: Dosage) -> bool:
    """Whether ``today`` is less than the ``full`` dose and in no measure more.

    A card then names the full dose as the goal; a card at or above it shows one dose.
    """
    pairs = [(today.sets, full.sets)]
    pairs += [
        (getattr(today, name), getattr(full, name))
        for name in ("reps", "hold_seconds", "hold_breaths", "duration_seconds")
    ]
    known = [(now, goal) for now, goal in pairs if now is not None and goal is not None]
    return any(now < goal for now, goal in known) and all(now <= goal for now, goal in known)


def card_minutes(exercise: Exercise, dosage: Dosage) -> float:
    """Estimate a card's length from the exercise's minutes, scaled by its sets."""
    return exercise.minutes * dosage.sets / max(1, exercise.dosage.sets)


def _position_rank(exercise: Exercise) -> int:
    """Standing first, lying last, so a session gets down to the floor once."""
    return POSITION_ORDER.index(exercise.position) if exercise.position in POSITION_ORDER else 99


def _rotate(items: Sequence[Exercise], by: int) -> list[Exercise]:
    """The list started at ``by`` (mod its length), wrapped around."""
    if not items:
        return []
    k = by % len(items)
    return [*items[k:], *items[:k]]


def _warm_up(candidates: Sequence[Exercise], day: date) -> Exercise | None:
    """A stretch to start with, rotating by the date among the pure stretches."""
    stretches = [e for e in candidates if e.goal is Goal.STRETCH and e.id != CONCLUSION_ID]
    if not stretches:
        stretches = [e for e in candidates if e.in_stretch_routine and e.id != CONCLUSION_ID]
    rotated = _rotate(sorted(stretches, key=lambda e: e.id), day.toordinal())
    return rotated[0] if rotated else None


def _main_order(pool: Sequence[Exercise], day: date) -> list[Exercise]:
    """Pool in pick order: one per focus area (first area by date), then the rotation."""
    ordinal = day.toordinal()
    rotated = _rotate(sorted(pool, key=lambda e: e.id), ordinal)
    rotated.sort(key=lambda e: e.goal is Goal.STRETCH)  # strengthening work first; stable
    order: list[Exercise] = []
    for i in range(len(FOCUS_AREAS)):
        area = FOCUS_AREAS[(ordinal + i) % len(FOCUS_AREAS)]
        if any(area in e.areas for e in order):
            continue
        pick = next((e for e in rotated if area in e.areas and e not in order), None)
        if pick is not None:
            order.append(pick)
    order.extend(e for e in rotated if e not in order)
    return order


@dataclass(slots=True)
class _Slot:
    """A card being sized."""

    exercise: Exercise
    dosage: Dosage

    @property
    def minutes(self) -> float:
        return card_minutes(self.exercise, self.dosage)


def _total(slots: Iterable[_Slot]) -> float:
    return sum(s.minutes for s in slots)


def _plan(kind: SessionKind, slots: Sequence[_Slot]) -> SessionPlan:
    """Freeze sized slots into a plan."""
    cards = tuple(PlannedCard(s.exercise.id, None, s.dosage) for s in slots)
    minutes = max(1, round(_total(slots))) if slots else 0
    return SessionPlan(kind, cards, minutes)


def build_today(
    allowed: Sequence[Exercise],
    *,
    day: date,
    levels: Mapping[str, int],
    resting: frozenset[str],
    phase: Phase,
) -> SessionPlan:
    """Today's session for this user (see the module docstring); empty when nothing is allowed."""
    candidates = [e for e in allowed if e.id not in resting and e.variant_of is None]
    conclusion = next((e for e in candidates if e.id == CONCLUSION_ID), None)
    warm_up = _warm_up(candidates, day)
    pool = [e for e in candidates if e is not warm_up and e is not conclusion]
    order = _main_order(pool, day)

    def slot(e: Exercise) -> _Slot:
        return _Slot(e, apply_level(e.dosage, levels.get(e.id, 0)))

    first = [slot(warm_up)] if warm_up is not None else []
    last = [slot(conclusion)] if conclusion is not None else []
    edges = [*first, *last]
    main = [slot(e) for e in order[: MAIN_COUNT[phase]]]
    while len(main) < min(MAX_MAIN, len(order)) and _total([*edges, *main]) < TODAY_MIN_MINUTES:
        main.append(slot(order[len(main)]))
    while _total([*edges, *main]) > TODAY_MAX_MINUTES:
        shrinkable = [s for s in [*main, *edges] if s.dosage.sets > 1]
        if shrinkable:
            biggest = max(shrinkable, key=lambda s: s.minutes)
            biggest.dosage = replace(biggest.dosage, sets=biggest.dosage.sets - 1)
        elif len(main) > MIN_MAIN:
            main.pop()
        else:
            break
    main.sort(key=lambda s: _position_rank(s.exercise))
    slots = [*first, *main, *last]
    return _plan(SessionKind.TODAY, slots)


def stretch_routine(allowed: Iterable[Exercise]) -> tuple[Exercise, ...]:
    """The allowed exercises that belong to the short stretch routine."""
    return tuple(e for e in allowed if e.in_stretch_routine)


def desk_routine(allowed: Iterable[Exercise], resting: Iterable[str] = ()) -> tuple[Exercise, ...]:
    """One desk form of each article stretch allowed (standing preferred), none that rests.

    A family (an article exercise and its forms) rests when any of its forms hurt lately.
    """
    desk = [e for e in allowed if e.at_desk and e.goal is not Goal.STRENGTHEN]
    rest = set(resting)
    tired = rest | {e.family for e in desk if e.id in rest}  # ids of article exercises too
    by_family: dict[str, Exercise] = {}
    for e in sorted(desk, key=lambda e: (_position_rank(e), e.id)):
        if e.family not in tired:
            by_family.setdefault(e.family, e)
    return tuple(by_family.values())


def _trim(dosage: Dosage, factor: float) -> Dosage:
    """Scale reps and durations down by ``factor`` (never below 1 rep or 10 s)."""
    return replace(
        dosage,
        reps=None if dosage.reps is None else max(1, math.floor(dosage.reps * factor)),
        duration_seconds=None
        if dosage.duration_seconds is None
        else max(10, math.floor(dosage.duration_seconds * factor)),
    )


def build_stretch(
    allowed_stretch: Iterable[Exercise],
    *,
    equipment: frozenset[Equipment],
    levels: Mapping[str, int],
) -> SessionPlan:
    """A 3–5 minute stretch routine; empty when nothing is allowed."""
    chosen = [e for e in stretch_routine(allowed_stretch) if required_equipment(e) <= equipment]
    return _short_routine(
        SessionKind.STRETCH, chosen, levels, STRETCH_MIN_MINUTES, STRETCH_MAX_MINUTES
    )


def stretch_minutes(exercises: Iterable[Exercise]) -> int:
    """How long the quick stretch takes: the one figure every screen says for it.

    The routine as ``build_stretch`` plans it from the content (every stretch-routine
    exercise at the article's dose, every piece of equipment at hand). A user's own
    routine is sized by the same rules, so it never takes longer.
    """
    return build_stretch(exercises, equipment=frozenset(Equipment), levels={}).minutes


def build_desk(
    allowed: Iterable[Exercise],
    *,
    levels: Mapping[str, int],
    resting: frozenset[str] = frozenset(),
) -> SessionPlan:
    """The stretch nudge's 3–5 minute routine: standing or seated only (module docstring)."""
    return _short_routine(
        SessionKind.STRETCH,
        desk_routine(allowed, resting),
        levels,
        STRETCH_MIN_MINUTES,
        STRETCH_MAX_MINUTES,
    )


def build_mobility(
    allowed: Iterable[Exercise],
    *,
    equipment: frozenset[Equipment],
    levels: Mapping[str, int],
    resting: frozenset[str] = frozenset(),
) -> SessionPlan:
    """Severe pain: `/today` as 4–5 minutes of mobility only; empty when nothing is allowed."""
    chosen = [
        e
        for e in allowed
        if e.mobility
        and e.variant_of is None
        and e.id not in resting
        and required_equipment(e) <= equipment
    ]
    return _short_routine(
        SessionKind.TODAY, chosen, levels, MOBILITY_MIN_MINUTES, MOBILITY_MAX_MINUTES
    )


def _short_routine(
    kind: SessionKind,
    chosen: Sequence[Exercise],
    levels: Mapping[str, int],
    min_minutes: float,
    max_minutes: float,
) -> SessionPlan:
    """Standing first, cat-cow (or its form) last, one set each, grown and trimmed to limits."""
    ordered = sorted(chosen, key=lambda e: (e.family == CONCLUSION_ID, _position_rank(e), e.id))
    full = {e.id: apply_level(e.dosage, levels.get(e.id, 0)) for e in ordered}
    slots = [_Slot(e, replace(full[e.id], sets=1)) for e in ordered]
    while _total(slots) < min_minutes:
        growable = [s for s in slots if s.dosage.sets < full[s.exercise.id].sets]
        if not growable:
            break
        grow = min(growable, key=lambda s: s.dosage.sets)
        grow.dosage = replace(grow.dosage, sets=grow.dosage.sets + 1)
    total = _total(slots)
    if total > max_minutes:
        factor = max_minutes / total
        cards = tuple(PlannedCard(s.exercise.id, None, _trim(s.dosage, factor)) for s in slots)
        return SessionPlan(kind, cards, math.ceil(max_minutes))
    return _plan(kind, slots)


def gentler_option(
    hurt: Exercise,
    allowed: Iterable[Exercise],
    *,
    shown_ids: Iterable[str],
    later_ids: Iterable[str] = (),
    at_desk: bool = False,
) -> PlannedCard | None:
    """A different gentle exercise to try after ``hurt`` hurt (rule in the module docstring).

    ``shown_ids`` are the session's cards so far (never offered again); ``later_ids``
    the cards still to come (offered only when nothing else fits: the caller moves
    that card up). Never ``hurt`` itself, never a variant of it. ``at_desk``: the
    session is a desk routine, so the option is one too.
    """
    shown = {*shown_ids, hurt.id}
    later = set(later_ids)
    areas = set(hurt.areas)
    options = [
        e
        for e in allowed
        if e.gentle
        and e.id not in shown
        and e.family != hurt.family
        and (e.at_desk if at_desk else e.variant_of is None)
    ]
    if not options:
        return None
    best = min(
        options,
        key=lambda e: (
            e.id in later,
            not areas & set(e.areas),
            e.position is not hurt.position,
            DIFFICULTY_ORDER.index(e.difficulty),
            e.id,
        ),
    )
    return PlannedCard(best.id, None, replace(best.dosage, sets=1))
