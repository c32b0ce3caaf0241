"""The weekly trend: is it working? Pain and function against the baseline, and what to do.

``points[0]`` is the baseline check-in, the rest are the weekly check-ins, oldest
first (``points_from_history`` builds them from stored check-ins). Pain is 0..10
now; function is 0..10 for how much the back limited usual activities in the last
week (higher is worse). ``recent_feelings`` are the after-session answers
("better", "same", "worse"), newest last. ``decide`` reads the clock only
through ``today``.

Rules (the figures are constants below):

1. **Worse** (``getting_worse``): the latest weekly check-in has pain 2 points
   or more above the baseline, or the last two feelings are both "worse". Then
   ``gentler_phase`` is the next gentler phase at once (``None`` when already
   gentle) and ``recheck`` asks the safety questions again (also when already
   gentle: worse pain is exactly when a red flag may have appeared).
2. **Better for a while** (``better_for_a_while``): the last two check-ins are
   weekly ones, each with pain 2 points or more below the baseline, and no
   "It hurts" in the last ``HURT_FREE_DAYS`` (14) local days, today included
   (hurt 13 days ago blocks, 14 days ago does not; the same window as
   ``bot.coach.selection``). Both check-ins must come after the last phase
   change (``phase_since``): a new phase is tried for two weeks before the next
   is offered. Then ``next_phase`` offers the next harder phase; nothing from
   strengthening. The user accepts with a button: never silently harder.
3. **No better after six weeks** (``see_gp``): the latest check-in is 42 days or
   more after the baseline and neither pain nor function has clearly improved
   (down 2 points, or 30 %, from the baseline). Suggested once: not when
   ``gp_suggested``. Nobody is sent to a GP for mild figures: when the latest
   pain and function are both ``MILD`` (2) or less there is nothing left to fix.
4. **Celebrate** (``celebrate``): the latest weekly check-in shows pain clearly
   improved (down 2 points, or 30 %, from the baseline) and lower than at any
   weekly check-in before: each new low is celebrated once, not every week.

How they combine (a property test checks the first three):

* worse wins over better: when rule 1 fires, there is no ``next_phase`` and no
  ``celebrate``, whatever the pain did before;
* never harder while getting worse: ``next_phase`` is also held back when the
  last feeling is "worse" or the latest pain is above the previous check-in's
  (a wobble waits a week), and it can never come with a latest pain above the
  baseline (rule 2 needs it 2 below);
* ``see_gp`` stands beside anything: with rule 1 the user hears both (gentler
  now, and a professional look); it can never come with ``celebrate`` or
  ``next_phase``, since those need a clear improvement;
* a single check-in (the baseline only) decides nothing from pain; two "worse"
  feelings still move gentler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.coach.triage import Phase

CHANGE_POINTS = 2  # pain (or function) moved this many points from the baseline
CHANGE_PERCENT = 30  # ... or by this share of the baseline: a clear improvement
HURT_FREE_DAYS = 14
GP_AFTER_DAYS = 42  # six weeks from the baseline
MILD = 2  # pain and function at or below this: nothing for a GP to fix
WORSE_FEELINGS = 2  # this many "worse" after-session feelings in a row move gentler
WORSE = "worse"
ORDER: tuple[Phase, ...] = (Phase.GENTLE, Phase.BUILDING, Phase.STRENGTHENING)


@dataclass(frozen=True, slots=True)
class Point:
    """One answered check-in: its local date, pain now and function over the last week."""

    on: date  # local date of the check-in
    pain: int  # 0..10
    function: int | None  # 0..10, how much the back limited usual activities (higher = worse)


@dataclass(frozen=True, slots=True)
class TrendDecision:
    """What the plan does after a check-in; every field off means "carry on"."""

    next_phase: Phase | None = None  # offer the next phase (accepted with a button)
    gentler_phase: Phase | None = None  # move to a gentler phase at once
    recheck: bool = False  # ask the safety questions again
    see_gp: bool = False  # kindly suggest a GP or physiotherapist, with the figures
    celebrate: bool = False  # a clear improvement: celebrate with the numbers
    baseline: Point | None = None
    latest: Point | None = None


def next_phase(phase: Phase) -> Phase | None:
    """The next harder phase, or None from strengthening."""
    index = ORDER.index(phase)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def gentler_phase(phase: Phase) -> Phase | None:
    """The next gentler phase, or None from gentle."""
    index = ORDER.index(phase)
    return ORDER[index - 1] if index > 0 else None


def clearly_improved(before: int | None, after: int | None) -> bool:
    """Down 2 points or more, or by 30 % or more of ``before`` (0..10 scales, lower is better)."""
    if before is None or after is None or before <= 0:
        return False
    drop = before - after
    return drop >= CHANGE_POINTS or (drop > 0 and drop * 100 >= CHANGE_PERCENT * before)


def getting_worse(points: Sequence[Point], recent_feelings: Sequence[str]) -> bool:
    """Rule 1: latest weekly pain 2 or more above the baseline, or the last two feelings worse."""
    feelings = list(recent_feelings)[-WORSE_FEELINGS:]
    if len(feelings) == WORSE_FEELINGS and all(item == WORSE for item in feelings):
        return True
    return len(points) >= 2 and points[-1].pain - points[0].pain >= CHANGE_POINTS


def better_for_a_while(
    points: Sequence[Point],
    last_hurt_on: date | None,
    today: date,
    phase_since: date | None = None,
) -> bool:
    """Rule 2: two weekly check-ins in a row 2 or more below the baseline, and no recent hurt."""
    if len(points) < 3:
        return False
    if phase_since is not None and points[-2].on <= phase_since:
        return False
    baseline = points[0].pain
    if any(baseline - item.pain < CHANGE_POINTS for item in points[-2:]):
        return False
    return last_hurt_on is None or (today - last_hurt_on).days >= HURT_FREE_DAYS


def no_better_after_six_weeks(points: Sequence[Point]) -> bool:
    """Rule 3 without the "once": six weeks on and neither pain nor function clearly better."""
    if len(points) < 2:
        return False
    baseline, latest = points[0], points[-1]
    if (latest.on - baseline.on).days < GP_AFTER_DAYS:
        return False
    if latest.pain <= MILD and (latest.function is None or latest.function <= MILD):
        return False
    return not (
        clearly_improved(baseline.pain, latest.pain)
        or clearly_improved(baseline.function, latest.function)
    )


def decide(
    points: Sequence[Point],
    *,
    phase: Phase,
    last_hurt_on: date | None,
    recent_feelings: Sequence[str],
    today: date,
    gp_suggested: bool,
    phase_since: date | None = None,
) -> TrendDecision:
    """Apply the rules of the module docstring to the check-ins so far (baseline first)."""
    baseline = points[0] if points else None
    latest = points[-1] if points else None
    see_gp = not gp_suggested and no_better_after_six_weeks(points)
    if getting_worse(points, recent_feelings):
        return TrendDecision(
            gentler_phase=gentler_phase(phase),
            recheck=True,
            see_gp=see_gp,
            baseline=baseline,
            latest=latest,
        )
    wobble = (recent_feelings and recent_feelings[-1] == WORSE) or (
        len(points) >= 3 and points[-1].pain > points[-2].pain
    )
    offer = None
    if not wobble and better_for_a_while(points, last_hurt_on, today, phase_since):
        offer = next_phase(phase)
    celebrate = (
        baseline is not None
        and latest is not None
        and len(points) >= 2
        and clearly_improved(baseline.pain, latest.pain)
        and all(item.pain > latest.pain for item in points[1:-1])
    )
    return TrendDecision(
        next_phase=offer,
        see_gp=see_gp,
        celebrate=celebrate,
        baseline=baseline,
        latest=latest,
    )


def points_from_history(
    history: Iterable[tuple[str, date, int | None, int | None]],
) -> list[Point]:
    """Points from ``(kind, local_on, pain, function)`` rows (oldest first), newest baseline on.

    Rows without a pain answer are left out; weekly rows before any baseline too
    (there is nothing to compare them with). A second baseline (taken again, say,
    after a doctor cleared the user) starts the trend afresh.
    """
    points: list[Point] = []
    started = False
    for kind, on, pain, function in history:
        if pain is None:
            continue
        if kind == "baseline":
            points, started = [], True
        if started:
            points.append(Point(on=on, pain=pain, function=function))
    return points


@dataclass(frozen=True, slots=True)
class PhaseMark:
    """A phase change drawn on the trend: when, and from which phase to which."""

    on: date
    from_phase: Phase
    to_phase: Phase

    @property
    def harder(self) -> bool:
        """True when the plan moved to a harder phase."""
        return ORDER.index(self.to_phase) > ORDER.index(self.from_phase)


def phase_marks(rows: Iterable[tuple[date, str, str]]) -> list[PhaseMark]:
    """Marks from stored ``(local_on, from_phase, to_phase)`` rows; unknown phases are skipped."""
    known = {phase.value: phase for phase in ORDER}
    return [
        PhaseMark(on, known[before], known[after])
        for on, before, after in rows
        if before in known and after in known and before != after
    ]


@dataclass(frozen=True, slots=True)
class TrendSeries:
    """What the trend picture plots: x in weeks since the baseline, y on 0..10."""

    start: date  # the baseline's date: week 0
    weeks: tuple[float, ...]  # one per point
    pain: tuple[int, ...]
    function: tuple[int | None, ...]
    marks: tuple[tuple[float, PhaseMark], ...]  # phase changes from the baseline on, oldest first
    span: int  # whole weeks the axis covers (at least 1)

    @property
    def baseline_pain(self) -> int:
        """The baseline pain, drawn as a reference line."""
        return self.pain[0]

    @property
    def baseline_function(self) -> int | None:
        """The baseline function, if answered."""
        return self.function[0]


def trend_series(points: Sequence[Point], marks: Iterable[PhaseMark] = ()) -> TrendSeries | None:
    """The plot series for ``points`` (baseline first) and phase changes, or None without points."""
    if not points:
        return None
    start = points[0].on
    weeks = tuple((item.on - start).days / 7 for item in points)
    kept = tuple(
        ((mark.on - start).days / 7, mark)
        for mark in sorted(marks, key=lambda item: item.on)
        if mark.on >= start
    )
    last = max([weeks[-1], *(x for x, _ in kept)])
    span = max(1, int(-(-last // 1)))
    return TrendSeries(
        start=start,
        weeks=weeks,
        pain=tuple(item.pain for item in points),
        function=tuple(item.function for item in points),
        marks=kept,
        span=span,
    )
