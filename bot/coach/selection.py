"""Which exercises a session may use, given the triage answers and the user's history.

The triage answers alone decide most of it (``bot.coach.triage.allowed_exercises``);
two rules need more than the answers:

* **Weights** (``weights_allowed``; the kettlebell lift, ``weighted`` in the content)
  only for a regular exerciser at pain 0 who has finished at least
  ``WEIGHT_MIN_SESSIONS`` (6) `/today` sessions to the end, pressed "It hurts" on
  nothing in the last ``HURT_FREE_DAYS`` (14) local days (today included), and
  gave that pain answer within the last ``FRESH_PAIN_DAYS`` (7) days. The
  article: "equipment and weights are absolutely unsuitable if you have pain or
  are prone to pain in the back", "beginners should also never train with
  weight". So nobody gets the kettlebell on day one, and an old "no pain" answer
  does not count.
* **Severe pain** (``mobility_only``; 7 or more out of 10): about five minutes of
  mobility only (the forward bend, cat-cow, and the glute roll with a roller),
  with reassurance in the session intro (NICE NG59: keep moving rather than
  resting in bed; most back pain eases within weeks; ask a pharmacist or GP
  about pain relief if it stops sleep or movement).

Pure: the caller passes ``now`` and ``today``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.coach.triage import (
    SEVERE_PAIN,
    Experience,
    Phase,
    TriageAnswers,
    allowed_exercises,
)
from content.schema import Equipment, Exercise

WEIGHT_MIN_SESSIONS = 6
HURT_FREE_DAYS = 14
FRESH_PAIN_DAYS = 7


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """What the user's history tells the weight rule.

    ``finished_sessions`` counts `/today` sessions finished to the end (not ended
    early); ``last_hurt_on`` is the local date of the newest "It hurts";
    ``pain_answered_at`` is when the user gave the ``pain_now`` in the answers.
    """

    finished_sessions: int = 0
    last_hurt_on: date | None = None
    pain_answered_at: datetime | None = None


def weights_possible(answers: TriageAnswers) -> bool:
    """Could history make weights allowed? (No need to read it otherwise.)"""
    return (
        answers.experience is Experience.REGULAR
        and answers.pain_now == 0
        and Equipment.WEIGHT in answers.equipment
    )


def weights_allowed(
    answers: TriageAnswers, record: TrainingRecord, *, now: datetime, today: date
) -> bool:
    """The weight rule of the module docstring."""
    if answers.experience is not Experience.REGULAR or answers.pain_now != 0:
        return False
    if record.finished_sessions < WEIGHT_MIN_SESSIONS:
        return False
    if record.last_hurt_on is not None and (today - record.last_hurt_on).days < HURT_FREE_DAYS:
        return False
    if record.pain_answered_at is None:
        return False
    age = now - record.pain_answered_at
    return timedelta(0) <= age < timedelta(days=FRESH_PAIN_DAYS)


def mobility_only(answers: TriageAnswers) -> bool:
    """Severe pain: mobility only, and the session intro reassures (module docstring)."""
    return answers.pain_now >= SEVERE_PAIN


def session_exercises(
    answers: TriageAnswers,
    phase: Phase,
    exercises: Iterable[Exercise],
    record: TrainingRecord,
    *,
    now: datetime,
    today: date,
) -> tuple[Exercise, ...]:
    """The exercises a session may use today: the triage rules plus the weight rule."""
    weights_ok = weights_allowed(answers, record, now=now, today=today)
    return allowed_exercises(answers, phase, exercises, weights_ok=weights_ok)
