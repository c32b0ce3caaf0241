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
    Ending,
    InvalidAnswerError,
    Reminders,
    Scope,
    TriageState,
    TriageStep,
    answers_from,
    current_group,
    group_position,
    move,
    next_step,
    pending_flags,
    recheck_state,
    record,
    reminder_prefs,
    report,
    typed_answer,
    why_flags,
    with_cleared,
)
from content.schema import Tier
from tests.coach.factory import RULES

S = TriageStep
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = ["16_49", "Europe/London"]
CLEAN_SCREEN = ["none", "none", "none", "none"]
PROFILE = ["4", "weeks", "x.experience", "some", "x.equipment", "roller", "done"]


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
        S.CONSENT,  # the age on the welcome agrees to the check
        S.TIME_ZONE,
        *[S.GROUP] * 4,
        S.PAIN_NOW,
        S.PAIN_DURATION,
        S.PLAN,
        S.EXPERIENCE,
        S.PLAN,
        S.EQUIPMENT,
        S.EQUIPMENT,
        S.PLAN,
        S.DONE,
    ]


def test_the_shortest_check_is_nine_answers_and_takes_the_safe_defaults() -> None:
    """Age, town, four groups, pain, how long, and the plan's one tap."""
    values = [*START, *CLEAN_SCREEN, "2", "weeks", "ok"]
    state = drive(values)
    assert len(values) == 9 and next_step(state, RULES) is S.DONE
    answers = answers_from(state, RULES)
    assert answers.experience.value == "new" and answers.equipment == frozenset()
    assert state.reminder_choice is Reminders.STRETCH
    prefs = reminder_prefs(state.reminder_choice)
    assert prefs is not None and prefs.enabled and prefs.stretch_enabled
    assert [t.strftime("%H:%M") for t in prefs.stretch_times] == ["11:00", "15:30"]
    assert not prefs.water_enabled


def test_consent_no_declines_and_under_16_ends_on_the_first_question() -> None:
    assert next_step(drive(["no"]), RULES) is S.DECLINED
    assert next_step(drive(["under_16"]), RULES) is S.NOT_FOR_YOU
    assert drive(["under_16"]).age_band is not None
    # An old "yes" (before the age was on the welcome) agrees and asks the age alone.
    assert next_step(drive(["yes"]), RULES) is S.AGE
    assert next_step(drive(["yes", "50_plus"]), RULES) is S.TIME_ZONE


def test_reminder_choices() -> None:
    base = drive([*START, *CLEAN_SCREEN, "2", "weeks", "x.reminders"])
    assert next_step(base, RULES) is S.REMINDERS
    for value, water, enabled in (("all", True, True), ("none", False, False)):
        chosen = record(base, RULES, value, NOW)
        assert next_step(chosen, RULES) is S.PLAN
        prefs = reminder_prefs(chosen.reminder_choice)
        assert prefs is not None and (prefs.water_enabled, prefs.enabled) == (water, enabled)
    with pytest.raises(InvalidAnswerError):
        record(base, RULES, "keep", NOW)  # never a button: a redo's own
    assert reminder_prefs(Reminders.KEEP) is None


def test_a_doctor_first_check_confirms_no_plan() -> None:
    state = drive([*START, "none", "none", "none", "f.herniated_disc", "done", "3", "days"])
    assert next_step(state, RULES) is S.DONE and not state.confirmed
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, "ok", NOW)


def test_the_groups_are_numbered_for_this_user() -> None:
    seen = []
    state = drive(START)
    while next_step(state, RULES) is S.GROUP:
        seen.append(group_position(state, RULES))
        state = record(state, RULES, "none", NOW)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert group_position(recheck_state("Europe/London", None), RULES) == (1, 1)


def test_how_each_answer_is_shown() -> None:
    """Ticks and plan changes redraw the message on screen; anything else asks anew."""
    at_group = drive(START)
    assert not move(at_group, RULES, "none", NOW).in_place
    at_pick = drive([*START, "none", "none", "none"])
    tick = move(at_pick, RULES, "f.pregnant", NOW)
    assert tick.in_place and tick.before is tick.after is S.GROUP
    assert not move(tick.state, RULES, "done", NOW).in_place
    at_plan = drive([*START, *CLEAN_SCREEN, "2", "weeks"])
    opened = move(at_plan, RULES, "x.equipment", NOW)
    assert opened.in_place and opened.after is S.EQUIPMENT
    ticked = move(opened.state, RULES, "mat", NOW)
    assert ticked.in_place and ticked.after is S.EQUIPMENT
    back = move(ticked.state, RULES, "done", NOW)
    assert back.in_place and back.after is S.PLAN
    confirmed = move(back.state, RULES, "ok", NOW)
    assert not confirmed.in_place and confirmed.starts_session
    assert confirmed.ending is Ending.SAVE


def test_a_late_red_flag_yes_counts_at_any_step() -> None:
    at_plan = drive([*START, *CLEAN_SCREEN, "2", "weeks", "x.experience"])
    late = move(at_plan, RULES, "f.bladder_bowel", NOW)
    assert late.after is S.STOPPED and late.newly_open == {"bladder_bowel"}
    assert not late.in_place and late.ending is Ending.GOES_ON
    with pytest.raises(InvalidAnswerError):
        move(at_plan, RULES, "f.spine_fracture", NOW)  # a tick is not a red flag
    with pytest.raises(InvalidAnswerError):
        move(at_plan, RULES, "weeks", NOW)


def test_not_sure_gets_the_reasons_of_the_group_on_screen() -> None:
    state = drive([*START, "none"])
    assert [f.id for f in why_flags(state, RULES)] == [f.id for f in RULES.groups[1].flags]
    assert why_flags(drive([*START, *CLEAN_SCREEN]), RULES) == ()


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", "3"), (" 7/10 ", "7"), ("10", "10"), ("0", "0"), ("11", None), ("three", None)],
)
def test_a_typed_pain_score(text: str, value: str | None) -> None:
    assert typed_answer(S.PAIN_NOW, text) == value
    assert typed_answer(S.PAIN_DURATION, text) is None


def test_none_of_these_answers_every_shown_item_no() -> None:
    state = drive([*START, *CLEAN_SCREEN])
    shown = {f.id for f in RULES.flags if f.when is None}
    assert dict(state.flags) == dict.fromkeys(shown, False)
    # The age-bound item was not shown, so it was not answered either.
    assert "new_over_50" not in dict(state.flags)


def test_new_back_pain_is_asked_only_from_50() -> None:
    young = drive(["16_49", "Europe/London", "none", "none"])
    old = drive(["50_plus", "Europe/London", "none", "none"])
    group = current_group(young, RULES)
    assert group is not None and group.id == "soon"
    assert [f.id for f in pending_flags(group, young)] == ["weight_loss"]
    assert [f.id for f in pending_flags(group, old)] == ["weight_loss", "new_over_50"]


def test_under_16_ends_the_check() -> None:
    assert next_step(drive(["yes", "under_16"]), RULES) is S.NOT_FOR_YOU


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
            "ok",
            "all",
            "x.equipment",
            "x.reminders",
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
    state = drive([*START, "none", "none", "none", "f.herniated_disc", "done", "4", "weeks"])
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
