"""Workouts: resume, answer once per card, move once per press, finish once."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ExerciseResult
from db.repositories import (
    ProfileRepository,
    StreakRepository,
    TriageRepository,
    WorkoutRepository,
)
from db.repositories.checkins import CheckInRepository
from db.repositories.workouts import StartRow
from tests.db.conftest import make_user

DAY = date(2024, 5, 6)
PLAN: list[dict[str, Any]] = [
    {"exercise_id": "cat_cow", "variant_id": None, "dosage": {"reps": 10}},
    {"exercise_id": "bridge", "variant_id": "short", "dosage": {"hold_s": 5, "sets": 2}},
    {"exercise_id": "bird_dog", "variant_id": None, "dosage": {"reps": 8}},
]


async def test_start_then_resume_the_open_workout_of_the_day(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    assert await repo.open_for_day(1, "today", DAY) is None

    workout = await repo.start(1, "today", DAY, PLAN, now)
    assert (workout.position, workout.hurts, workout.finished_at) == (0, 0, None)
    resumed = await repo.open_for_day(1, "today", DAY)
    assert resumed is not None and resumed.id == workout.id
    assert resumed.plan == PLAN
    assert await repo.open_for_day(1, "stretch", DAY) is None
    assert await repo.open_for_day(1, "today", DAY + timedelta(days=1)) is None

    assert await repo.finish(workout.id, now)
    assert await repo.open_for_day(1, "today", DAY) is None


async def test_open_stretch_routines_of_a_batch_by_user_and_day(
    session: AsyncSession, now: datetime
) -> None:
    """The dispatcher's one read: each user's newest unfinished routine per local day."""
    for user_id in (1, 2, 3):
        await make_user(session, user_id, now)
    repo = WorkoutRepository(session)
    older = await repo.start(1, "stretch", DAY, PLAN, now)
    newer = await repo.start(1, "stretch", DAY, PLAN[:1], now + timedelta(minutes=5))
    done = await repo.start(2, "stretch", DAY, PLAN, now)
    assert await repo.finish(done.id, now)
    await repo.start(3, "today", DAY, PLAN, now)
    await repo.start(3, "stretch", DAY - timedelta(days=3), PLAN, now)
    found = await repo.open_of([1, 2, 3, 1], "stretch", DAY - timedelta(days=1))
    assert set(found) == {(1, DAY)} and found[(1, DAY)].id == newer.id != older.id
    assert await repo.open_of([], "stretch", DAY) == {}


async def test_someone_elses_workout_is_not_found(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    await make_user(session, 2, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    assert await repo.get(workout.id, user_id=2) is None
    mine = await repo.get(workout.id, user_id=1)
    assert mine is not None and await repo.results(mine.id) == []
    assert await repo.get(workout.id + 1000) is None


async def test_a_card_answered_twice_counts_once(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)

    assert await repo.record_answer(workout.id, 1, 0, "cat_cow", None, "done", now)
    assert not await repo.record_answer(workout.id, 1, 0, "cat_cow", None, "hurt", now)
    assert await repo.record_answer(workout.id, 1, 1, "bridge", "short", "skipped", now)

    loaded = await repo.get(workout.id)
    assert loaded is not None
    results = await repo.results(loaded.id)
    assert [(r.position, r.outcome) for r in results] == [(0, "done"), (1, "skipped")]


async def started(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """A committed workout of user 1, for tests where two transactions meet."""
    async with sessions() as session, session.begin():
        await make_user(session, 1, now)
        return (await WorkoutRepository(session).start(1, "today", DAY, PLAN, now)).id


async def test_a_double_press_from_two_updates_records_one_answer(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    workout_id = await started(session_factory, now)

    async def press(outcome: str) -> bool:
        async with session_factory() as session, session.begin():
            return await WorkoutRepository(session).record_answer(
                workout_id, 1, 0, "cat_cow", None, outcome, now
            )

    results = await asyncio.gather(press("done"), press("hurt"))
    assert sorted(results) == [False, True]
    async with session_factory() as session:
        count = await session.scalar(
            select(func.count()).where(ExerciseResult.workout_id == workout_id)
        )
    assert count == 1


async def test_advance_moves_only_from_the_expected_position(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)

    assert await repo.advance(workout.id, 0, 1)
    assert not await repo.advance(workout.id, 0, 1)  # the same press again
    assert await repo.advance(workout.id, 1, 2, hurts=1)
    assert not await repo.advance(workout.id, 1, 2, hurts=1)

    loaded = await repo.get(workout.id)
    assert loaded is not None and (loaded.position, loaded.hurts) == (2, 1)


async def test_a_finished_workout_does_not_move_or_finish_again(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    await repo.set_card_message(workout.id, 555)

    assert await repo.finish(workout.id, now + timedelta(minutes=9), ended_early=True)
    assert not await repo.finish(workout.id, now + timedelta(minutes=10))
    assert not await repo.advance(workout.id, 0, 1)

    loaded = await repo.get(workout.id)
    assert loaded is not None
    assert loaded.finished_at == now + timedelta(minutes=9)
    assert loaded.ended_early is True
    assert loaded.card_message_id == 555


async def test_the_first_feeling_wins(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    assert await repo.set_feeling(workout.id, "better")
    assert not await repo.set_feeling(workout.id, "worse")
    loaded = await repo.get(workout.id)
    assert loaded is not None and loaded.feeling == "better"


async def test_recent_workouts_come_with_their_answers(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with session_factory() as session, session.begin():
        await make_user(session, 1, now)
        await make_user(session, 2, now)
        repo = WorkoutRepository(session)
        for offset in (0, 3, 8):
            day = DAY - timedelta(days=offset)
            workout = await repo.start(1, "today", day, PLAN, now - timedelta(days=offset))
            await repo.record_answer(workout.id, 1, 0, "cat_cow", None, "done", now)
            await repo.record_answer(workout.id, 1, 1, "bridge", "short", "hurt", now)
        await repo.start(2, "today", DAY, PLAN, now)

    async with session_factory() as session:
        recent = await WorkoutRepository(session).recent(1, DAY - timedelta(days=7))
    # The session is closed: reading results must not need a lazy load.
    assert [w.local_on for w in recent] == [DAY - timedelta(days=3), DAY]
    assert [[r.outcome for r in w.results] for w in recent] == [["done", "hurt"]] * 2


async def test_finished_count_counts_finished_ones_in_the_inclusive_range(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    for offset, finish in [(0, True), (1, True), (1, False), (2, True), (7, True)]:
        workout = await repo.start(1, "today", DAY - timedelta(days=offset), PLAN, now)
        if finish:
            await repo.finish(workout.id, now)
    assert await repo.finished_count_between(1, DAY - timedelta(days=2), DAY) == 3
    assert (
        await repo.finished_count_between(1, DAY - timedelta(days=1), DAY - timedelta(days=1)) == 1
    )
    assert await repo.finished_count_between(2, DAY - timedelta(days=30), DAY) == 0


async def test_the_last_answer_moves_and_finishes_in_one_compare_and_set(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    assert await repo.advance(workout.id, 0, 1)
    later = now + timedelta(minutes=7)
    assert await repo.advance(workout.id, 1, 2, hurts=1, finish_at=later, ended_early=True)
    assert not await repo.advance(workout.id, 2, 3, finish_at=later)  # finished: nothing moves
    assert not await repo.finish(workout.id, later)  # and it finishes once
    loaded = await repo.get(workout.id)
    assert loaded is not None
    assert (loaded.position, loaded.hurts, loaded.finished_at, loaded.ended_early) == (
        2,
        1,
        later,
        True,
    )


async def test_an_answer_moves_past_its_card_and_is_stored_once(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    later = now + timedelta(minutes=1)

    assert await repo.answer(workout.id, 1, 0, ("cat_cow", None), "done", now, update_id=7)
    # The same card again (a double tap, another replica): nothing moves, nothing is stored.
    assert not await repo.answer(workout.id, 1, 0, ("cat_cow", None), "hurt", later)
    assert await repo.answer(workout.id, 1, 1, ("bridge", "short"), "hurt", later, update_id=8)
    assert workout.position == 2 and workout.hurts == 1  # the held workout kept in step

    loaded = await repo.get(workout.id)
    assert loaded is not None and (loaded.position, loaded.hurts) == (2, 1)
    assert loaded.finished_at is None
    stored = [
        (r.position, r.exercise_id, r.variant_id, r.outcome, r.answered_at, r.update_id, r.user_id)
        for r in await repo.results(workout.id)
    ]
    assert stored == [
        (0, "cat_cow", None, "done", now, 7, 1),
        (1, "bridge", "short", "hurt", later, 8, 1),
    ]


async def test_the_last_answer_finishes_the_workout_with_it_and_nothing_after(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    assert await repo.answer(workout.id, 1, 0, ("cat_cow", None), "done", now)
    later = now + timedelta(minutes=6)
    assert await repo.answer(
        workout.id, 1, 1, ("bridge", "short"), "hurt", later, finish=True, ended_early=True
    )
    # Finished: a stale press on the card after moves nothing and stores nothing.
    assert not await repo.answer(workout.id, 1, 2, ("bird_dog", None), "done", later)
    assert (workout.finished_at, workout.ended_early) == (later, True)

    loaded = await repo.get(workout.id)
    assert loaded is not None
    assert (loaded.position, loaded.hurts, loaded.finished_at, loaded.ended_early) == (
        2,
        1,
        later,
        True,
    )
    assert [r.position for r in await repo.results(workout.id)] == [0, 1]


async def test_two_replicas_answering_the_same_card_store_one_answer(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    workout_id = await started(session_factory, now)

    async def press(outcome: str) -> bool:
        async with session_factory() as session, session.begin():
            repo = WorkoutRepository(session)
            return await repo.answer(workout_id, 1, 0, ("cat_cow", None), outcome, now)

    assert sorted(await asyncio.gather(press("done"), press("hurt"))) == [False, True]
    async with session_factory() as session:
        repo = WorkoutRepository(session)
        loaded = await repo.get(workout_id)
        answers = await repo.results(workout_id)
    assert loaded is not None and loaded.position == 1
    # The one answer stored is the one whose press moved the workout.
    assert len(answers) == 1 and loaded.hurts == (1 if answers[0].outcome == "hurt" else 0)


async def test_a_press_reads_the_streak_and_the_answers_so_far_with_the_workout(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = WorkoutRepository(session)
    workout = await repo.start(1, "today", DAY, PLAN, now)
    row = await repo.for_press(workout.id)
    assert row is not None and (row.streak, row.done, row.skipped) == (None, 0, 0)
    for position, outcome in enumerate(("done", "skipped", "done")):
        await repo.record_answer(workout.id, 1, position, "cat_cow", None, outcome, now)
    await repo.advance(workout.id, 0, 2, hurts=0)
    await StreakRepository(session).save(1, 3, 4, DAY, None, now)
    row = await repo.for_press(workout.id)
    assert row is not None and (row.done, row.skipped, row.last_outcome) == (2, 1, "skipped")
    assert row.streak is not None and (row.streak.current, row.streak.best) == (3, 4)
    assert await repo.for_press(workout.id + 100) is None


async def test_a_start_reads_the_users_rows_in_one_and_the_day_in_another(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    await make_user(session, 2, now)
    repo = WorkoutRepository(session)
    assert await repo.for_start(3) is None  # no user row
    bare = await repo.for_start(1)
    assert bare == StartRow(None, None, None, None, None, False)

    await ProfileRepository(session).save(1, now=now)
    await TriageRepository(session).save_state(1, "await_zone", {}, 1, None, now)
    await StreakRepository(session).save(1, 2, 2, DAY, None, now)
    checkins = CheckInRepository(session)
    first = await checkins.start(1, "baseline", DAY, now, "gentle", pain=4)
    newest = await checkins.start(1, "weekly", DAY, now + timedelta(days=7), "gentle")
    await checkins.skip(newest.id, now + timedelta(days=7))
    row = await repo.for_start(1)
    assert row is not None and row.profile is not None and row.check_step == "await_zone"
    assert row.streak is not None and row.streak.current == 2
    assert row.latest_checkin is not None and row.latest_checkin.id == newest.id
    assert row.checkin_open  # the baseline is still open, though not the newest
    assert first.pain == 4
    assert await checkins.latest_and_open(1) == (newest, True)
    assert await checkins.latest_and_open(2) == (None, False)
    await checkins.complete(first.id, now)
    row = await repo.for_start(1)
    assert row is not None and not row.checkin_open
    assert await checkins.latest_and_open(1) == (newest, False)

    today = await repo.start(1, "today", DAY, PLAN, now)
    stretch = await repo.start(1, "stretch", DAY, PLAN, now + timedelta(hours=1))
    await repo.start(1, "today", DAY + timedelta(days=1), PLAN, now)
    await repo.start(2, "today", DAY, PLAN, now)
    assert [w.id for w in await repo.of_day(1, DAY)] == [today.id, stretch.id]
