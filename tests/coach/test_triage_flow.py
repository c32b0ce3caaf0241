"""The safety check as a state machine: what is asked next, and what stops it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.coach.clearance import EMERGENCY_WAIT, Verdict, token, verdict
from bot.coach.triage import Phase, assess, emergency_number, red_flag_level, worst_tier
from bot.coach.triage_flow import (
    InvalidAnswerError,
    Scope,
    TriageState,
    TriageStep,
    answers_from,
    current_group,
    next_step,
    pending_flags,
    recheck_state,
    record,
    report,
    with_cleared,
)
from content.schema import Tier
from tests.coach.factory import RULES

S = TriageStep
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = ["yes", "Europe/London", "16_49"]
CLEAN_SCREEN = ["none", "none", "none", "none"]
PROFILE = ["4", "weeks", "some", "roller", "done", "yes"]


def drive(values: Iterable[str], state: TriageState | None = None) -> TriageState:
    state = state or TriageState()
    for value in values:
        state = record(state, RULES, value, NOW)
    return state


def steps(values: list[str]) -> list[TriageStep]:
    """The step shown before each answer, and the one after the last."""
    state = TriageState()
    shown = [next_step(state, RULES)]
    for value in values:
        state = record(state, RULES, value, NOW)
        shown.append(next_step(state, RULES))
    return shown


def test_the_whole_check_in_order() -> None:
    shown = steps([*START, *CLEAN_SCREEN, *PROFILE, "ok"])
    assert shown == [
        S.CONSENT,
        S.TIME_ZONE,
        S.AGE,
        *[S.GROUP] * 4,
        S.PAIN_NOW,
        S.PAIN_DURATION,
        S.EXPERIENCE,
        S.EQUIPMENT,
        S.EQUIPMENT,
        S.REMINDERS,
        S.SUMMARY,
        S.DONE,
    ]


def test_none_of_these_answers_every_shown_item_no() -> None:
    state = drive([*START, *CLEAN_SCREEN])
    shown = {f.id for f in RULES.flags if f.when is None}
    assert dict(state.flags) == dict.fromkeys(shown, False)
    # The age-bound item was not shown, so it was not answered either.
    assert "new_over_50" not in dict(state.flags)


def test_new_back_pain_is_asked_only_from_50() -> None:
    young = drive(["yes", "Europe/London", "16_49", "none", "none"])
    old = drive(["yes", "Europe/London", "50_plus", "none", "none"])
    group = current_group(young, RULES)
    assert group is not None and group.id == "soon"
    assert [f.id for f in pending_flags(group, young)] == ["weight_loss"]
    assert [f.id for f in pending_flags(group, old)] == ["weight_loss", "new_over_50"]


def test_under_16_ends_the_check() -> None:
    assert next_step(drive(["yes", "Europe/London", "under_16"]), RULES) is S.NOT_FOR_YOU


@pytest.mark.parametrize(
    ("flag_id", "skip", "tier"),
    [
        ("saddle_numbness", 0, Tier.EMERGENCY),
        ("bladder_bowel", 0, Tier.EMERGENCY),
        ("trauma", 1, Tier.SAME_DAY),
        ("fever_unwell", 1, Tier.SAME_DAY),
        ("weight_loss", 2, Tier.SOON),
    ],
)
def test_a_stopping_yes_stops_at_once_with_its_tier(flag_id: str, skip: int, tier: Tier) -> None:
    state = drive([*START, *["none"] * skip, "f." + flag_id])
    assert next_step(state, RULES) is S.STOPPED
    assert state.stopped_by(RULES) == {flag_id}
    assert worst_tier(state.stopped_by(RULES), RULES) is tier
    assert state.reported_at(flag_id) == NOW
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, "none", NOW)  # nothing goes on while stopped


def test_a_clearance_covers_what_was_reported_and_the_rest_is_still_asked() -> None:
    state = drive([*START, "f.saddle_numbness"])
    state = with_cleared(state, state.stopped_by(RULES))
    assert next_step(state, RULES) is S.GROUP
    group = current_group(state, RULES)
    assert group is not None and [f.id for f in pending_flags(group, state)] == ["bladder_bowel"]
    state = record(state, RULES, "f.bladder_bowel", NOW)
    assert next_step(state, RULES) is S.STOPPED
    assert state.stopped_by(RULES) == {"bladder_bowel"}


def test_the_history_group_ticks_then_commits() -> None:
    state = drive([*START, "none", "none", "none", "f.spine_fracture", "f.pregnant"])
    assert next_step(state, RULES) is S.GROUP  # still the pick group, two ticked
    assert state.pick_draft == {"spine_fracture", "pregnant"}
    state = record(state, RULES, "done", NOW)
    assert next_step(state, RULES) is S.PAIN_NOW  # a contraindication does not stop the check
    answers = answers_from(state, RULES)
    assert answers.contraindications == {"spine_fracture"}
    assert answers.pregnant and not answers.notes
    assert state.open_ids(RULES) == {"spine_fracture"}


def test_a_late_yes_reopens_a_flag_even_after_a_no_or_a_clearance() -> None:
    state = drive([*START, *CLEAN_SCREEN])
    state = report(state, RULES, "bladder_bowel", NOW)
    assert next_step(state, RULES) is S.STOPPED
    cleared = with_cleared(state, frozenset({"bladder_bowel"}))
    again = report(cleared, RULES, "bladder_bowel", NOW + timedelta(days=1))
    assert again.stopped_by(RULES) == {"bladder_bowel"}
    with pytest.raises(InvalidAnswerError):
        report(state, RULES, "spine_fracture", NOW)  # only red flags are reported late


def test_the_recheck_asks_only_the_emergency_group() -> None:
    state = recheck_state("Europe/London", None)
    assert state.scope is Scope.URGENT
    group = current_group(state, RULES)
    assert group is not None and group.id == "urgent"
    done = record(state, RULES, "none", NOW)
    assert next_step(done, RULES) is S.DONE
    stopped = record(state, RULES, "f.saddle_numbness", NOW)
    assert next_step(stopped, RULES) is S.STOPPED


def test_state_survives_json() -> None:
    state = drive([*START, "none", "f.trauma"])
    state = with_cleared(state, frozenset({"trauma"}))
    state = drive(["none", "f.weight_loss"], state)
    restored = TriageState.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == state


ANSWERS = st.lists(
    st.sampled_from(
        [
            "none",
            "done",
            *("f." + f.id for f in RULES.flags),
            "yes",
            "no",
            "3",
            "weeks",
            "some",
            "mat",
        ]
    ),
    max_size=30,
)


@settings(max_examples=300)
@given(
    values=ANSWERS,
    clear_at=st.sets(st.integers(0, 30)),
    late=st.lists(st.sampled_from([f.id for f in RULES.flags if f.tier.stops]), max_size=3),
)
def test_every_yes_after_the_last_clearance_stops_the_check(
    values: list[str], clear_at: set[int], late: list[str]
) -> None:
    """Whatever the answers, clearances and late reports: an open red flag means STOPPED."""
    state = drive(START)
    for index, value in enumerate(values):
        if index in clear_at:
            state = with_cleared(state, state.open_ids(RULES))
        before_open = state.stopped_by(RULES)
        try:
            state = record(state, RULES, value, NOW)
        except InvalidAnswerError:
            continue
        flag = RULES.flag(value.removeprefix("f."))
        if flag is not None and flag.tier.stops and value.startswith("f."):
            assert next_step(state, RULES) is S.STOPPED
            assert flag.id in state.stopped_by(RULES)
        assert before_open <= state.stopped_by(RULES)
        if state.stopped_by(RULES):
            assert next_step(state, RULES) is S.STOPPED
    for flag_id in late:
        state = report(state, RULES, flag_id, NOW)
        assert next_step(state, RULES) is S.STOPPED
    answers = answers_from(state, RULES)
    outcome = assess(answers, RULES, ())
    assert outcome.blocked == bool(state.open_ids(RULES))
    if outcome.blocked:
        assert outcome.allowed == ()


def test_profile_phase_after_a_clearance_is_gentle() -> None:
    state = drive([*START, "none", "none", "none", "f.herniated_disc", "done", *PROFILE, "ok"])
    state = with_cleared(state, state.open_ids(RULES))
    outcome = assess(answers_from(state, RULES), RULES, ())
    assert not outcome.blocked and outcome.phase is Phase.GENTLE


@pytest.mark.parametrize(
    ("ids", "level"),
    [
        ((), "none"),
        (("weight_loss",), "soon"),
        (("trauma", "weight_loss"), "same_day"),
        (("bladder_bowel", "trauma"), "emergency"),
        (("spine_fracture",), "none"),
        (("retired_question",), "soon"),
    ],
)
def test_red_flag_level_is_the_most_urgent_tier(ids: tuple[str, ...], level: str) -> None:
    assert red_flag_level(ids, RULES).value == level


def test_an_emergency_clears_only_after_the_hour() -> None:
    flagged = NOW
    assert verdict({"saddle_numbness"}, RULES, flagged, NOW) is Verdict.TOO_SOON
    later = NOW + EMERGENCY_WAIT
    assert verdict({"saddle_numbness"}, RULES, flagged, later) is Verdict.ALLOWED
    assert verdict({"trauma"}, RULES, flagged, NOW) is Verdict.ALLOWED
    assert verdict(set(), RULES, flagged, NOW) is Verdict.NOTHING_OPEN


def test_a_clearance_token_changes_with_any_new_report() -> None:
    base = token({"trauma"}, NOW)
    assert token({"trauma"}, NOW) == base
    assert token({"trauma", "fever_unwell"}, NOW) != base
    assert token({"trauma"}, NOW + timedelta(seconds=1)) != base


@pytest.mark.parametrize(
    ("zone", "number"),
    [
        ("Europe/London", "999"),
        ("Europe/Berlin", "112"),
        ("America/New_York", "911"),
        ("Australia/Sydney", "000"),
        ("Europe/Zurich", "144"),
        ("Etc/UTC", None),
        (None, None),
    ],
)
def test_emergency_number_by_zone(zone: str | None, number: str | None) -> None:
    from content.loader import load_library

    lib = load_library()
    assert emergency_number(zone, lib.zone_countries, lib.emergency_numbers) == number
