"""The check-in state machine: the order of questions, picking and rating, skipping."""

from __future__ import annotations

import pytest

from bot.coach.checkin_flow import (
    CheckInKind,
    CheckInState,
    CheckInStep,
    InvalidAnswerError,
    after_skip,
    current_activity,
    next_step,
    question_index,
    rate_value,
    record,
)
from content.loader import load_library

CONTENT = load_library().checkin
BASELINE = CheckInKind.BASELINE
WEEKLY = CheckInKind.WEEKLY


def answer(state: CheckInState, *values: str) -> CheckInState:
    for value in values:
        state = record(state, CONTENT, value)
    return state


def test_baseline_asks_pain_function_then_picks_and_rates_up_to_three() -> None:
    state = CheckInState(kind=BASELINE)
    assert next_step(state, CONTENT) is CheckInStep.PAIN
    state = answer(state, "6")
    assert next_step(state, CONTENT) is CheckInStep.FUNCTION
    state = answer(state, "5")
    assert next_step(state, CONTENT) is CheckInStep.PICK
    state = answer(state, "a.sitting")
    assert next_step(state, CONTENT) is CheckInStep.RATE
    assert current_activity(state) == "sitting"
    state = answer(state, "4")
    assert state.rated == {"sitting": 4}
    # A rating button carries its activity: it counts from the pick question too.
    state = answer(state, rate_value("shoes", 3), rate_value("walking", 7))
    assert state.rated == {"sitting": 4, "shoes": 3, "walking": 7}
    assert next_step(state, CONTENT) is CheckInStep.DONE


@pytest.mark.parametrize("end", ["none", "done"])
def test_picking_ends_with_none_or_done(end: str) -> None:
    state = answer(CheckInState(kind=BASELINE), "2", "3", end)
    assert next_step(state, CONTENT) is CheckInStep.DONE and state.rated == {}


def test_weekly_asks_the_baselines_activities_again_without_picking() -> None:
    state = CheckInState(kind=WEEKLY, to_rate=("shoes", "sitting"))
    state = answer(state, "4", "3")
    assert next_step(state, CONTENT) is CheckInStep.RATE and current_activity(state) == "shoes"
    with pytest.raises(InvalidAnswerError):
        record(state, CONTENT, rate_value("sitting", 5))  # not the one asked
    with pytest.raises(InvalidAnswerError):
        record(state, CONTENT, "a.walking")  # no picking on a weekly check-in
    state = answer(state, "6", rate_value("sitting", 8))
    assert state.rated == {"shoes": 6, "sitting": 8}
    assert next_step(state, CONTENT) is CheckInStep.DONE


def test_weekly_without_baseline_activities_is_two_questions() -> None:
    state = answer(CheckInState(kind=WEEKLY), "1", "0")
    assert next_step(state, CONTENT) is CheckInStep.DONE


@pytest.mark.parametrize("value", ["11", "-1", "x", "", "a.unknown", "r.sitting.12"])
def test_bad_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidAnswerError):
        answer(CheckInState(kind=BASELINE), "2", "2", value)


def test_an_activity_is_not_picked_twice() -> None:
    state = answer(CheckInState(kind=BASELINE), "2", "2", rate_value("sitting", 5))
    with pytest.raises(InvalidAnswerError):
        record(state, CONTENT, "a.sitting")


def test_question_index_moves_with_every_stored_answer() -> None:
    state = CheckInState(kind=BASELINE)
    seen = [question_index(state)]
    for value in ("3", "4", rate_value("sitting", 5), "done"):
        state = record(state, CONTENT, value)
        seen.append(question_index(state))
    assert seen == sorted(set(seen))
    # A pick alone is not stored: the rating question keeps the pick question's number.
    picked = answer(CheckInState(kind=BASELINE, pain=1, function=1), "a.lifting")
    assert question_index(picked) == 2


def test_skip_keeps_a_pain_figure_and_never_skips_a_baseline() -> None:
    assert after_skip(CheckInState(kind=WEEKLY)) == "skipped"
    assert after_skip(CheckInState(kind=WEEKLY, pain=4)) == "complete"
    assert after_skip(CheckInState(kind=BASELINE, pain=4)) == "complete"


def test_state_round_trips_through_the_stored_columns() -> None:
    state = answer(CheckInState(kind=BASELINE), "5", "6", rate_value("sleeping", 2))
    again = CheckInState.of("baseline", state.pain, state.function, state.rated)
    assert again == state
