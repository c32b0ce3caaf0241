"""The press rules (bot.coach.press): every kind of press on every kind of session state."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.coach.press import (
    HURTS_TO_STOP,
    Action,
    Decision,
    SessionView,
    Shows,
    Step,
    decide,
)

LIVE = SessionView(
    owned=True, live=True, finished=False, summary_owed=False, position=1, cards=5, hurts=0
)


def _replace(changes: dict[str, object]) -> SessionView:
    return replace(LIVE, **changes)  # type: ignore[arg-type]


def test_an_answer_to_the_card_on_show_is_recorded_and_shows_the_next_card() -> None:
    assert decide(LIVE, Action.DONE, 1, allowed=True) == Decision(Step.RECORD, Shows.CARD, "done")
    assert decide(LIVE, Action.SKIP, 1, allowed=True).outcome == "skipped"


def test_the_last_answer_finishes_and_shows_the_summary() -> None:
    last = _replace({"position": 4})
    assert decide(last, Action.DONE, 4, allowed=True) == Decision(
        Step.RECORD, Shows.SUMMARY, "done", finish=True
    )


def test_it_hurts_offers_something_gentler_and_a_second_time_ends_the_session() -> None:
    assert decide(LIVE, Action.HURT, 1, allowed=True) == Decision(Step.RECORD, Shows.OFFER, "hurt")
    again = _replace({"hurts": HURTS_TO_STOP - 1})
    assert decide(again, Action.HURT, 1, allowed=True) == Decision(
        Step.RECORD, Shows.SUMMARY, "hurt", finish=True, early=True
    )
    # Even on the last card "It hurts" shows the offer first (its button then finishes).
    assert decide(_replace({"position": 4}), Action.HURT, 4, allowed=True).shows is Shows.OFFER


def test_after_the_offer_next_shows_the_card_or_finishes_past_the_last() -> None:
    offer = _replace({"position": 2, "last_hurt": True})
    assert decide(offer, Action.NEXT, 2, allowed=True) == Decision(Step.ADVANCE, Shows.CARD)
    assert decide(offer, Action.GENTLER, 2, allowed=True) == Decision(Step.GENTLER, Shows.CARD)
    end = _replace({"position": 5, "last_hurt": True})
    assert decide(end, Action.NEXT, 5, allowed=True) == Decision(
        Step.ADVANCE, Shows.SUMMARY, finish=True
    )


def test_a_press_for_an_earlier_step_on_the_live_message_draws_the_current_state() -> None:
    assert decide(LIVE, Action.DONE, 0, allowed=True) == Decision(Step.REDRAW, Shows.CARD)
    offer = _replace({"position": 2, "last_hurt": True})
    assert decide(offer, Action.HURT, 1, allowed=True) == Decision(Step.REDRAW, Shows.OFFER)


def test_old_messages_other_peoples_sessions_and_answered_summaries_are_stale() -> None:
    assert decide(_replace({"live": False}), Action.DONE, 1, allowed=True).step is Step.STALE
    assert decide(_replace({"owned": False}), Action.DONE, 1, allowed=True).step is Step.STALE
    done = _replace({"finished": True})
    assert decide(done, Action.DONE, 4, allowed=True).step is Step.STALE
    unasked = _replace({"finished": True, "summary_owed": True})
    assert decide(unasked, Action.DONE, 4, allowed=True) == Decision(Step.REDRAW, Shows.SUMMARY)


views = st.builds(
    SessionView,
    owned=st.booleans(),
    live=st.booleans(),
    finished=st.booleans(),
    summary_owed=st.booleans(),
    position=st.integers(0, 8),
    cards=st.integers(1, 8),
    hurts=st.integers(0, 3),
    last_hurt=st.booleans(),
)


@given(views, st.sampled_from(list(Action)), st.integers(-1, 9))
def test_someone_who_may_not_exercise_gets_nothing_but_the_gate(
    view: SessionView, action: Action, position: int
) -> None:
    decision = decide(view, action, position, allowed=False)
    assert decision.step in (Step.STALE, Step.REFUSED)
    assert decision.outcome is None and not decision.finish


@given(views, st.sampled_from(list(Action)), st.integers(-1, 9))
def test_only_an_answer_to_the_card_on_show_of_a_live_open_session_is_stored(
    view: SessionView, action: Action, position: int
) -> None:
    decision = decide(view, action, position, allowed=True)
    if decision.step is Step.RECORD:
        assert view.owned and view.live and not view.finished
        assert position == view.position and action in (Action.DONE, Action.SKIP, Action.HURT)
    else:
        assert decision.outcome is None
    if decision.step is Step.STALE:
        assert not (view.owned and view.live and not view.finished)
    # Nothing ever says "push through": a hurt answer never leads straight to the next card.
    if decision.step is Step.RECORD and action is Action.HURT:
        assert decision.shows in (Shows.OFFER, Shows.SUMMARY)
