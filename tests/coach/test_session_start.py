"""What `/today` and `/stretch` open with (bot.coach.session_start), and two day facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.checkin_flow import baseline_due
from bot.coach.day import finished_today
from bot.coach.session_start import DaySession, Opened, Opening, open_day

MORNING = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return MORNING + timedelta(minutes=minutes)


def session(
    id_: int,
    kind: str = "today",
    *,
    started: int = 0,
    finished: int | None = None,
    asked: bool = True,
    answered_all: bool = False,
    desk: bool = False,
) -> DaySession:
    return DaySession(
        id_,
        kind,
        at(started),
        at(finished) if finished is not None else None,
        feeling_asked=asked,
        answered_all=answered_all,
        desk=desk,
    )


def opens(day: list[DaySession], kind: str = "today", **flags: bool) -> Opened:
    return open_day(
        day, kind=kind, desk=flags.get("desk", False), stretch_only=flags.get("stretch_only", False)
    )


def test_an_empty_day_plans_a_new_session() -> None:
    assert opens([]) == Opened(Opening.NEW)
    assert opens([], "stretch") == Opened(Opening.NEW)


def test_a_lost_question_comes_first_the_newest_of_either_kind() -> None:
    day = [
        session(1, finished=10, asked=False),
        session(2, "stretch", started=20, finished=30, asked=False),
        session(3, started=40),
    ]
    assert opens(day) == Opened(Opening.SUMMARY, 2)
    assert opens(day, stretch_only=True) == Opened(Opening.SUMMARY, 2)  # before stretches only


def test_stretches_only_holds_back_today_but_not_a_stretch() -> None:
    day = [session(1, "stretch", started=5)]
    assert opens(day, stretch_only=True) == Opened(Opening.STRETCH_ONLY)
    assert opens(day, "stretch", stretch_only=True) == Opened(Opening.RESUME, 1)


def test_the_newest_open_session_of_the_kind_is_resumed() -> None:
    day = [session(1, started=5), session(2, started=9), session(3, "stretch", started=20)]
    assert opens(day) == Opened(Opening.RESUME, 2)
    assert opens(day, "stretch") == Opened(Opening.RESUME, 3)
    tie = [session(4, started=5), session(5, started=5)]
    assert opens(tie) == Opened(Opening.RESUME, 5)  # the same start: the later row


def test_an_open_session_with_every_card_answered_is_finished_now() -> None:
    assert opens([session(1, answered_all=True)]) == Opened(Opening.FINISH, 1)


def test_done_today_once_a_today_session_finished_a_stretch_does_not_count() -> None:
    assert opens([session(1, finished=30)]) == Opened(Opening.DONE)
    assert opens([session(1, finished=30)], "stretch") == Opened(Opening.NEW)
    assert opens([session(1, "stretch", finished=30)]) == Opened(Opening.NEW)
    # A second /today session under way after a finished one is still resumed.
    assert opens([session(1, finished=30), session(2, started=40)]) == Opened(Opening.RESUME, 2)


def test_the_desk_button_leaves_a_floor_routine_and_resumes_a_desk_one() -> None:
    floor = [session(1, "stretch", started=5)]
    assert opens(floor, "stretch", desk=True) == Opened(Opening.NEW, left_id=1)
    assert opens(floor, "stretch") == Opened(Opening.RESUME, 1)
    desk = [session(2, "stretch", started=5, desk=True)]
    assert opens(desk, "stretch", desk=True) == Opened(Opening.RESUME, 2)


@given(
    st.lists(
        st.builds(
            session,
            st.just(0),  # numbered below: ids are unique
            st.sampled_from(["today", "stretch"]),
            started=st.integers(0, 600),
            finished=st.none() | st.integers(0, 600),
            asked=st.booleans(),
            answered_all=st.booleans(),
            desk=st.booleans(),
        ),
        max_size=6,
    ),
    st.sampled_from(["today", "stretch"]),
    st.booleans(),
    st.booleans(),
)
def test_what_opens_always_concerns_a_session_of_the_day_that_fits(
    day: list[DaySession], kind: str, desk: bool, stretch_only: bool
) -> None:
    day = [replace(s, id=number) for number, s in enumerate(day, 1)]
    opened = open_day(day, kind=kind, desk=desk, stretch_only=stretch_only)
    chosen = [s for s in day if s.id == opened.session_id]
    if opened.opening is Opening.SUMMARY:
        assert chosen and all(s.finished_at is not None and not s.feeling_asked for s in chosen)
    elif opened.opening in (Opening.RESUME, Opening.FINISH):
        assert chosen and all(s.kind == kind and s.finished_at is None for s in chosen)
        assert not any(s.finished_at is not None and not s.feeling_asked for s in day)
    else:
        assert opened.session_id is None
    if opened.left_id is not None:
        assert desk and opened.opening is Opening.NEW


@pytest.mark.parametrize(
    ("latest", "under_way", "due"),
    [
        (None, False, True),  # never a check-in: the baseline
        (-60, False, True),  # the newest began before this check ended
        (-60, True, False),  # one is under way
        (0, False, False),  # one began when the check ended
        (60, False, False),  # or since
    ],
)
def test_the_baseline_is_due_once_a_check(latest: int | None, under_way: bool, due: bool) -> None:
    started = at(latest) if latest is not None else None
    assert (
        baseline_due(check_done_at=MORNING, latest_started_at=started, checkin_open=under_way)
        is due
    )


def test_finished_today_counts_finished_today_sessions_only() -> None:
    assert finished_today([("today", True)])
    assert not finished_today([("today", False), ("stretch", True)])
    assert not finished_today([])
