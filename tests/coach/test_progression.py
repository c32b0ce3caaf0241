"""Progression: levels go up after steady good sessions and down at once after pain."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.plan import MAX_LEVEL, MIN_LEVEL, SessionKind
from bot.coach.progression import (
    Feeling,
    HurtAdvice,
    LevelChange,
    SessionFeedback,
    decide,
    describe,
    resting_ids,
    session_end_advice,
)
from content.loader import load_library
from tests.coach.library import BY_ID, FAST

DAY = date(2025, 5, 1)
MAIN = ("forward_bend", "superman", "glute_bridge", "cat_cow")
TEXTS = load_library()  # the English words of the summary lines


def session(
    n: int,
    *,
    kind: SessionKind = SessionKind.TODAY,
    completed: bool = True,
    hurt: frozenset[str] = frozenset(),
    feeling: Feeling | None = Feeling.SAME,
    exercises: tuple[str, ...] = MAIN,
) -> SessionFeedback:
    return SessionFeedback(DAY + timedelta(days=n), kind, completed, hurt, feeling, exercises)


def good(count: int) -> list[SessionFeedback]:
    return [session(i, feeling=Feeling.BETTER if i % 2 else Feeling.SAME) for i in range(count)]


def changes_after_each(history: list[SessionFeedback]) -> list[tuple[LevelChange, ...]]:
    """Replay ``decide`` session by session, as the bot does, carrying the levels forward."""
    levels: dict[str, int] = {}
    out = []
    for i in range(1, len(history) + 1):
        changes = decide(history[:i], levels)
        for change in changes:
            levels[change.exercise_id] = change.new
        out.append(changes)
    return out


class TestDecide:
    def test_three_good_sessions_level_up_and_the_count_restarts(self) -> None:
        per_session = changes_after_each(good(7))
        assert [len(c) for c in per_session] == [0, 0, 4, 0, 0, 4, 0]
        assert per_session[2][0] == LevelChange("forward_bend", 0, 1)
        assert per_session[5][0] == LevelChange("forward_bend", 1, 2)

    def test_an_exercise_that_hurt_goes_down_at_once(self) -> None:
        history = [*good(2), session(2, hurt=frozenset({"superman"}), completed=False)]
        assert decide(history, {"superman": 1}) == (LevelChange("superman", 1, 0),)

    def test_worse_takes_every_exercise_down_once(self) -> None:
        history = [session(0, feeling=Feeling.WORSE, hurt=frozenset({"superman"}))]
        got = decide(history, {"glute_bridge": MIN_LEVEL})
        assert got == (
            LevelChange("forward_bend", 0, -1),
            LevelChange("superman", 0, -1),
            LevelChange("cat_cow", 0, -1),
        )

    @pytest.mark.parametrize(
        "breaker",
        [
            session(1, completed=False),
            session(1, feeling=None),
            session(1, feeling=Feeling.WORSE),
            session(1, hurt=frozenset({"cat_cow"})),
            session(1, kind=SessionKind.STRETCH, hurt=frozenset({"forward_bend"})),
        ],
    )
    def test_a_bad_session_restarts_the_count(self, breaker: SessionFeedback) -> None:
        history = [session(0), breaker, session(2), session(3)]
        assert "forward_bend" not in {c.exercise_id for c in decide(history, {})}
        history.append(session(4))
        assert LevelChange("forward_bend", 0, 1) in decide(history, {})

    def test_good_stretch_sessions_neither_count_nor_break(self) -> None:
        stretch = session(1, kind=SessionKind.STRETCH)
        history = [session(0), stretch, session(2), stretch, session(3)]
        assert LevelChange("forward_bend", 0, 1) in decide(history, {})
        assert decide([stretch, stretch, stretch], {}) == ()

    def test_sessions_without_the_exercise_do_not_count(self) -> None:
        other = ("forward_bend", "bird_dog", "cat_cow")
        history = [session(0), session(1, exercises=other), session(2), session(3)]
        got = {c.exercise_id for c in decide(history, {})}
        assert "superman" in got
        assert "bird_dog" not in got

    def test_levels_stop_at_the_top(self) -> None:
        assert decide(good(3), dict.fromkeys(MAIN, MAX_LEVEL)) == ()

    @FAST
    @given(
        st.lists(
            st.builds(
                session,
                st.integers(0, 30),
                kind=st.sampled_from(SessionKind),
                completed=st.booleans(),
                hurt=st.frozensets(st.sampled_from(MAIN)),
                feeling=st.none() | st.sampled_from(Feeling),
            ),
            min_size=1,
            max_size=12,
        ),
        st.dictionaries(st.sampled_from(MAIN), st.integers(MIN_LEVEL, MAX_LEVEL)),
    )
    def test_changes_are_single_steps_in_range_and_pain_never_levels_up(
        self, history: list[SessionFeedback], levels: dict[str, int]
    ) -> None:
        newest = history[-1]
        for change in decide(history, levels):
            assert change.old == levels.get(change.exercise_id, 0)
            assert abs(change.new - change.old) == 1
            assert MIN_LEVEL <= change.new <= MAX_LEVEL
            if change.new > change.old:
                assert newest.completed and newest.feeling in (Feeling.BETTER, Feeling.SAME)
                assert newest.kind is SessionKind.TODAY
            if change.exercise_id in newest.hurt_ids or newest.feeling is Feeling.WORSE:
                assert change.new < change.old


class TestDescribe:
    def test_level_up_names_the_new_reps_and_hold(self) -> None:
        line = describe(LevelChange("superman", 0, 1), BY_ID["superman"], TEXTS)
        assert line == "Superman: next time 12 reps instead of 10, hold 4 s instead of 3 s"

    def test_level_down_is_fewer_sets_and_says_gentler(self) -> None:
        line = describe(LevelChange("glute_bridge", 0, -1), BY_ID["glute_bridge"], TEXTS)
        assert line == "Glute bridge: next time 2 sets instead of 3 — gentler for now"

    def test_breaths(self) -> None:
        line = describe(LevelChange("forward_bend", 1, 2), BY_ID["forward_bend"], TEXTS)
        assert line == "Forward bend: next time hold 7 breaths instead of 6"


class TestRestAndHurts:
    def test_an_exercise_that_hurt_rests_for_a_week(self) -> None:
        hurts = {"superman": DAY, "cobra": DAY - timedelta(days=7), "cat_cow": DAY + timedelta(1)}
        assert resting_ids(hurts, DAY + timedelta(days=6)) == {"superman", "cat_cow"}
        assert resting_ids(hurts, DAY) == {"superman", "cat_cow"}
        assert resting_ids(hurts, DAY + timedelta(days=7)) == {"cat_cow"}

    @pytest.mark.parametrize(
        ("hurts", "advice"),
        [
            (0, HurtAdvice.CONTINUE),
            (1, HurtAdvice.SKIP_AND_CONTINUE),
            (2, HurtAdvice.END_AND_REST),
            (5, HurtAdvice.END_AND_REST),
        ],
    )
    def test_two_hurts_end_the_session(self, hurts: int, advice: HurtAdvice) -> None:
        assert session_end_advice(hurts) is advice
