"""The safety net: Worse twice in a row, or pain ending two sessions in a week, steps back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.coach.progression import Feeling
from bot.coach.safety_net import FinishedSession, Verdict, after_answer, after_session

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
B, S, W = Feeling.BETTER, Feeling.SAME, Feeling.WORSE


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def answered(*feelings: Feeling | None) -> list[FinishedSession]:
    """One session a day, answered with these feelings (None: left unanswered)."""
    return [FinishedSession(day(i), feeling=f) for i, f in enumerate(feelings)]


@pytest.mark.parametrize(
    ("feelings", "since", "expected"),
    [
        ((W,), None, Verdict.STAY),  # one Worse is not a pattern
        ((W, W), None, Verdict.WORSE_TWICE),
        ((B, W, W), None, Verdict.WORSE_TWICE),
        ((W, S, W), None, Verdict.STAY),  # Same breaks the row
        ((W, B, W), None, Verdict.STAY),  # Better breaks the row
        ((W, None, W), None, Verdict.WORSE_TWICE),  # an unanswered session does not
        ((W, W), day(0.5), Verdict.STAY),  # the first Worse came before the last step back
        ((W, W, W), day(1.5), Verdict.STAY),  # only one Worse since the step back
        ((W, W, W, W), day(1.5), Verdict.WORSE_TWICE),  # two more since: again
        ((S, S), None, Verdict.STAY),
    ],
)
def test_worse_answers(
    feelings: tuple[Feeling | None, ...], since: datetime | None, expected: Verdict
) -> None:
    last = feelings[-1]
    assert last is not None
    assert after_answer(answered(*feelings), last, stretch_only_since=since) is expected


@pytest.mark.parametrize(
    ("feelings", "since", "expected"),
    [
        ((W, W, B), day(1.5), Verdict.CLEAR),  # the user says it is better
        ((B,), None, Verdict.STAY),  # nothing to clear
        ((W, W, S), day(1.5), Verdict.STAY),  # Same keeps stretches only
    ],
)
def test_better_ends_stretch_only(
    feelings: tuple[Feeling, ...], since: datetime | None, expected: Verdict
) -> None:
    assert after_answer(answered(*feelings), feelings[-1], stretch_only_since=since) is expected


def test_a_late_better_on_an_old_summary_still_clears() -> None:
    history = [FinishedSession(day(0), feeling=B), *answered(None, W, W)[1:]]
    assert after_answer(history, B, stretch_only_since=day(2.5)) is Verdict.CLEAR


def pain(n: float, feeling: Feeling | None = None) -> FinishedSession:
    return FinishedSession(day(n), ended_by_pain=True, feeling=feeling)


def fine(n: float, feeling: Feeling | None = None) -> FinishedSession:
    return FinishedSession(day(n), feeling=feeling)


@pytest.mark.parametrize(
    ("history", "since", "expected"),
    [
        ([pain(0)], None, Verdict.STAY),  # one painful session
        ([pain(0), pain(3)], None, Verdict.PAIN_TWICE),
        ([pain(0), fine(1), fine(2), pain(6.9)], None, Verdict.PAIN_TWICE),
        ([pain(0), pain(7.5)], None, Verdict.STAY),  # more than a week apart
        ([pain(0), pain(3), fine(4)], None, Verdict.STAY),  # the newest ended fine
        ([pain(0), fine(1, B), pain(3)], None, Verdict.STAY),  # felt better in between
        ([pain(0, B), pain(3)], None, Verdict.STAY),  # that one was answered Better
        ([pain(0), pain(1), pain(3)], day(1), Verdict.STAY),  # the pair already stepped back
        ([pain(0), pain(1), pain(2), pain(3)], day(1), Verdict.PAIN_TWICE),  # two more
        ([pain(0, W), pain(3)], None, Verdict.PAIN_TWICE),
    ],
)
def test_sessions_ended_by_pain(
    history: list[FinishedSession], since: datetime | None, expected: Verdict
) -> None:
    now = max(s.finished_at for s in history)
    assert after_session(history, stretch_only_since=since, now=now) is expected


def test_order_of_history_does_not_matter() -> None:
    history = [pain(3), fine(1), pain(0)]
    assert after_session(history, stretch_only_since=None, now=day(3)) is Verdict.PAIN_TWICE
    assert after_answer(answered(W, W)[::-1], W, stretch_only_since=None) is Verdict.WORSE_TWICE


def test_only_the_two_step_back_verdicts_step_back() -> None:
    assert {v for v in Verdict if v.steps_back} == {Verdict.WORSE_TWICE, Verdict.PAIN_TWICE}
