"""The weekly check-in as a pure state machine, so handlers only render and store.

A handler rebuilds the state from the stored check-in (``CheckInState.of``),
asks ``next_step`` what to show, passes the pressed button's value to ``record``
and stores the new answers (``pain``, ``function``, ``ratings``). The rules:

* pain now (0..10) first, then function over the last week (0..10: how much the
  back limited usual activities; higher is worse);
* then the activities (the Patient-Specific Functional Scale): at the *baseline*
  the user picks one hard activity at a time from the content's list (``a.<id>``)
  and rates it at once 0..10 for how well they can do it now, up to
  ``max_activities``; ``"none"`` / ``"done"`` ends the picking. On a *weekly*
  check-in the activities rated at the baseline are asked again directly, in
  the baseline's order, with no picking;
* a pick is not stored on its own: every rating button carries its activity
  (``r.<id>.<n>``), so a rating can be recorded from the pick question, from the
  rating question, or after a restart, and what is stored is always a rating;
* ``skip`` works at every step (``after_skip``): a check-in with a pain answer
  is kept as answered so far (a pain figure is still a point on the trend), one
  without is marked skipped. A baseline is never skipped: its pain came from the
  safety check;
* ``question_index`` counts the answers given, so a button of an earlier
  question is recognised as stale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from content.schema import CheckInContent

PICK = "a."  # a pick button's value: "a.sitting"
RATE = "r."  # a rating button's value: "r.sitting.7"
DONE = "done"
NONE = "none"
SKIP = "skip"
SCALE = range(0, 11)


class CheckInKind(StrEnum):
    """The first check-in (at the end of the safety check) or a weekly one."""

    BASELINE = "baseline"
    WEEKLY = "weekly"


class CheckInStep(StrEnum):
    """What the check-in shows next."""

    PAIN = "pain"
    FUNCTION = "function"
    PICK = "pick"
    RATE = "rate"
    DONE = "done"


class InvalidAnswerError(ValueError):
    """A value that does not answer the current step (stale or forged button)."""


@dataclass(frozen=True, slots=True)
class CheckInState:
    """The answers so far; ``None`` means not asked yet.

    ``ratings`` holds each activity rated, in order, as (id, 0..10); ``to_rate``
    the baseline's activities a weekly check-in asks again; ``pending`` an
    activity picked but not yet rated (never stored); ``finished`` the picking
    ended with "none" or "done".
    """

    kind: CheckInKind
    pain: int | None = None
    function: int | None = None
    ratings: tuple[tuple[str, int], ...] = ()
    to_rate: tuple[str, ...] = ()
    pending: str | None = None
    finished: bool = False

    @classmethod
    def of(
        cls,
        kind: str,
        pain: int | None,
        function: int | None,
        activities: dict[str, Any] | None,
        to_rate: tuple[str, ...] = (),
    ) -> CheckInState:
        """Rebuild the state from a stored check-in (and, weekly, the baseline's activities)."""
        ratings = tuple(
            (str(key), int(value))
            for key, value in (activities or {}).items()
            if isinstance(value, int) and value in SCALE
        )
        check_kind = CheckInKind(kind)
        return cls(
            kind=check_kind,
            pain=pain,
            function=function,
            ratings=ratings,
            to_rate=to_rate if check_kind is CheckInKind.WEEKLY else (),
        )

    @property
    def rated(self) -> dict[str, int]:
        """The ratings as stored in ``checkin.activities``."""
        return dict(self.ratings)


def current_activity(state: CheckInState) -> str | None:
    """The activity the rating question is about, if the step is ``RATE``."""
    if state.pending is not None:
        return state.pending
    rated = state.rated
    return next((a for a in state.to_rate if a not in rated), None)


def next_step(state: CheckInState, content: CheckInContent) -> CheckInStep:
    """The step to show for the answers so far (see the module docstring)."""
    if state.pain is None:
        return CheckInStep.PAIN
    if state.function is None:
        return CheckInStep.FUNCTION
    if state.finished:
        return CheckInStep.DONE
    if current_activity(state) is not None:
        return CheckInStep.RATE
    room = len(state.ratings) < content.max_activities
    if state.kind is CheckInKind.BASELINE and room and pickable(state, content):
        return CheckInStep.PICK
    return CheckInStep.DONE


def pickable(state: CheckInState, content: CheckInContent) -> tuple[str, ...]:
    """The activities still offered at the pick step (not rated already)."""
    rated = state.rated
    return tuple(a.id for a in content.activities if a.id not in rated)


def question_index(state: CheckInState) -> int:
    """A number that changes with every stored answer, for stale-button checks."""
    return (
        (state.pain is not None)
        + (state.function is not None)
        + len(state.ratings)
        + state.finished
    )


def _score(value: str) -> int:
    if not value.isdigit() or int(value) not in SCALE:
        raise InvalidAnswerError(value)
    return int(value)


def rate_value(activity_id: str, score: int) -> str:
    """The button value that rates one activity."""
    return f"{RATE}{activity_id}.{score}"


def _rating(state: CheckInState, content: CheckInContent, value: str) -> CheckInState:
    """``r.<id>.<n>``: rate the current activity, or (at the pick step) pick and rate one."""
    activity_id, _, score = value.removeprefix(RATE).rpartition(".")
    step = next_step(state, content)
    if step is CheckInStep.RATE and activity_id != current_activity(state):
        raise InvalidAnswerError(value)
    if step is CheckInStep.PICK and activity_id not in pickable(state, content):
        raise InvalidAnswerError(value)
    ratings = (*state.ratings, (activity_id, _score(score)))
    return replace(state, ratings=ratings, pending=None)


def record(state: CheckInState, content: CheckInContent, value: str) -> CheckInState:
    """Apply one answer to the current step; raise ``InvalidAnswerError`` if it does not fit."""
    step = next_step(state, content)
    if step is CheckInStep.PAIN:
        return replace(state, pain=_score(value))
    if step is CheckInStep.FUNCTION:
        return replace(state, function=_score(value))
    if step in (CheckInStep.PICK, CheckInStep.RATE) and value.startswith(RATE):
        return _rating(state, content, value)
    if step is CheckInStep.PICK:
        if value in (DONE, NONE):
            return replace(state, finished=True)
        activity_id = value.removeprefix(PICK)
        if not value.startswith(PICK) or activity_id not in pickable(state, content):
            raise InvalidAnswerError(value)
        return replace(state, pending=activity_id)
    if step is CheckInStep.RATE and value.isdigit():
        activity = current_activity(state)
        assert activity is not None
        return _rating(state, content, rate_value(activity, _score(value)))
    raise InvalidAnswerError(value)


def after_skip(state: CheckInState) -> Literal["complete", "skipped"]:
    """Skip at any step: keep what was answered if there is a pain figure, else skip it."""
    if state.kind is CheckInKind.BASELINE or state.pain is not None:
        return "complete"
    return "skipped"


def baseline_due(
    *, check_done_at: datetime, latest_started_at: datetime | None, checkin_open: bool
) -> bool:
    """After a session: begin the baseline, once a check (the caller asks only when allowed).

    Due when no check-in began since the safety check ended (``check_done_at``, the
    profile's) and none is under way (``checkin_open``); with none ever, it is due.
    """
    if latest_started_at is None:
        return True
    return latest_started_at < check_done_at and not checkin_open
