"""The triage conversation as a state machine: what is asked next after each answer."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.triage import Experience, PainDuration, Phase, assess
from bot.coach.triage_flow import (
    InvalidAnswerError,
    TriageState,
    TriageStep,
    answers_from,
    current_contraindication,
    current_red_flag,
    next_step,
    question_index,
    record,
)
from content.schema import Equipment
from tests.coach.factory import EXERCISES, FAST, RULES

S = TriageStep
NO_FLAGS = ["no"] * len(RULES.red_flags)
NO_CONTRAS = ["no"] * len(RULES.contraindications)
PROFILE = ["4", "weeks", "some", "roller", "done", "Europe/Berlin", "yes"]


def drive(values: Iterable[str], state: TriageState | None = None) -> TriageState:
    state = state or TriageState()
    for value in values:
        state = record(state, RULES, value)
    return state


def steps(values: list[str]) -> list[TriageStep]:
    """The step shown before each answer, and the one after the last."""
    state = TriageState()
    shown = [next_step(state, RULES)]
    for value in values:
        state = record(state, RULES, value)
        shown.append(next_step(state, RULES))
    return shown


def test_the_whole_triage_in_order() -> None:
    shown = steps(["yes", *NO_FLAGS, *NO_CONTRAS, *PROFILE, "ok"])
    assert shown == [
        S.CONSENT,
        *[S.RED_FLAG] * 4,
        *[S.CONTRAINDICATION] * 2,
        S.PAIN_NOW,
        S.PAIN_DURATION,
        S.EXPERIENCE,
        S.EQUIPMENT,
        S.EQUIPMENT,
        S.TIME_ZONE,
        S.REMINDERS,
        S.SUMMARY,
        S.DONE,
    ]
    state = drive(["yes", *NO_FLAGS, *NO_CONTRAS, *PROFILE, "ok"])
    answers = answers_from(state)
    assert answers.pain_now == 4
    assert answers.pain_duration is PainDuration.WEEKS
    assert answers.experience is Experience.SOME
    assert answers.equipment == {Equipment.ROLLER}
    assert state.time_zone == "Europe/Berlin" and state.reminders is True
    assert assess(answers, RULES, EXERCISES).phase is Phase.BUILDING


def test_questions_follow_the_rules_order() -> None:
    state = drive(["yes", "no"])
    assert current_red_flag(state, RULES) == RULES.red_flags[1]
    assert question_index(state, RULES) == 1
    state = drive(NO_FLAGS[1:], state)
    assert current_red_flag(state, RULES) is None
    assert current_contraindication(state, RULES) == RULES.contraindications[0]


def test_declining_consent_asks_nothing_more() -> None:
    state = drive(["no"])
    assert next_step(state, RULES) is S.DECLINED
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, "yes")


def test_an_emergency_flag_stops_at_once() -> None:
    state = drive(["yes", "yes"])  # saddle numbness
    assert next_step(state, RULES) is S.STOPPED_EMERGENCY
    assert len(state.red_flags) == 1
    for value in ("no", "ok", "4"):
        with pytest.raises(InvalidAnswerError):
            record(state, RULES, value)


def test_a_soon_flag_stops_and_clearance_resumes_the_questions() -> None:
    state = drive(["yes", "no", "no", "yes"])  # trauma
    assert next_step(state, RULES) is S.STOPPED_DOCTOR
    assert assess(answers_from(state), RULES, EXERCISES).allowed == ()
    state = record(state, RULES, "cleared")
    assert next_step(state, RULES) is S.RED_FLAG
    assert current_red_flag(state, RULES) == RULES.red_flags[3]
    state = drive(["no", *NO_CONTRAS, *PROFILE, "ok"], state)
    outcome = assess(answers_from(state), RULES, EXERCISES)
    assert outcome.phase is Phase.GENTLE and outcome.allowed


def test_a_contraindication_finishes_the_triage_but_blocks_until_cleared() -> None:
    state = drive(["yes", *NO_FLAGS, "yes", "no", *PROFILE])
    assert next_step(state, RULES) is S.SUMMARY
    assert state.doctor_first
    outcome = assess(answers_from(state), RULES, EXERCISES)
    assert outcome.doctor_first and outcome.allowed == ()

    cleared = record(state, RULES, "cleared")
    assert next_step(cleared, RULES) is S.SUMMARY  # the summary is shown again, now with a plan
    outcome = assess(answers_from(cleared), RULES, EXERCISES)
    assert outcome.phase is Phase.GENTLE
    assert outcome.allowed and all(e.gentle for e in outcome.allowed)

    assert next_step(record(state, RULES, "ok"), RULES) is S.DONE


def test_clearance_is_not_offered_without_a_reason() -> None:
    state = drive(["yes", *NO_FLAGS, *NO_CONTRAS, *PROFILE])
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, "cleared")


def test_equipment_is_a_multi_select() -> None:
    state = drive(["yes", *NO_FLAGS, *NO_CONTRAS, "0", "days", "regular"])
    state = drive(["weight", "ball", "weight"], state)
    assert next_step(state, RULES) is S.EQUIPMENT
    assert state.equipment_draft == {Equipment.BALL}
    state = record(state, RULES, "done")
    assert state.equipment == frozenset({Equipment.BALL})
    nothing = drive(["roller", "none"], drive(["yes", *NO_FLAGS, *NO_CONTRAS, "0", "days", "new"]))
    assert nothing.equipment == frozenset()


@pytest.mark.parametrize(
    ("prefix", "bad"),
    [
        ([], "maybe"),
        (["yes"], "1"),
        (["yes", *NO_FLAGS, *NO_CONTRAS], "11"),
        (["yes", *NO_FLAGS, *NO_CONTRAS], "-1"),
        (["yes", *NO_FLAGS, *NO_CONTRAS, "3"], "years"),
        (["yes", *NO_FLAGS, *NO_CONTRAS, "3", "days"], "expert"),
        (["yes", *NO_FLAGS, *NO_CONTRAS, "3", "days", "new"], "treadmill"),
        (["yes", *NO_FLAGS, *NO_CONTRAS, "3", "days", "new", "done"], "Mars/Olympus"),
        (["yes", *NO_FLAGS, *NO_CONTRAS, "3", "days", "new", "done"], "../../etc/passwd"),
        ([*["yes", *NO_FLAGS, *NO_CONTRAS, "3", "days", "new", "done", "UTC"]], "later"),
    ],
)
def test_invalid_answers_are_rejected(prefix: list[str], bad: str) -> None:
    state = drive(prefix)
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, bad)


ANSWER_VALUES = (
    *("yes", "no", "cleared", "ok", "done", "0", "3", "7", "days", "months", "some", "new"),
    *("weight", "roller", "none", "Asia/Kolkata", "UTC"),
)
answer_values = st.sampled_from(ANSWER_VALUES)


@FAST
@given(st.lists(answer_values, max_size=40))
def test_any_button_sequence_keeps_the_rules(values: list[str]) -> None:
    state = TriageState()
    for value in values:
        before = next_step(state, RULES)
        try:
            state = record(state, RULES, value)
        except InvalidAnswerError:
            continue
        assert before not in (S.DONE, S.DECLINED)
    step = next_step(state, RULES)
    answers = answers_from(state)
    outcome = assess(answers, RULES, EXERCISES)
    if state.red_flag_ids and not state.cleared:
        assert step in (S.STOPPED_EMERGENCY, S.STOPPED_DOCTOR)
    if step in (S.STOPPED_EMERGENCY, S.STOPPED_DOCTOR) or state.doctor_first:
        assert outcome.allowed == ()
    # What is stored comes back the same, through real JSON.
    assert TriageState.from_json(json.loads(json.dumps(state.to_json()))) == state
