"""Exercise levels and hurt marks; streak days counted once; the stored streak."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import ExerciseProgressRepository, StreakRepository
from tests.db.conftest import make_user

DAY = date(2024, 5, 6)


async def test_levels_and_hurt_marks_keep_each_other(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    await make_user(session, 2, now)
    repo = ExerciseProgressRepository(session)
    assert await repo.levels(1) == {}

    await repo.set_level(1, "bridge", 1, now)
    await repo.mark_hurt(1, "bridge", DAY, now + timedelta(minutes=1))
    await repo.set_level(1, "bridge", 2, now + timedelta(minutes=2))
    await repo.mark_hurt(1, "plank", DAY, now)
    await repo.set_level(2, "bridge", 5, now)

    levels = await repo.levels(1)
    assert set(levels) == {"bridge", "plank"}
    assert (levels["bridge"].level, levels["bridge"].hurt_on) == (2, DAY)
    assert levels["bridge"].updated_at == now + timedelta(minutes=2)
    assert (levels["plank"].level, levels["plank"].hurt_on) == (0, DAY)


async def test_levels_of_a_batch_in_one_read(session: AsyncSession, now: datetime) -> None:
    for user_id in (1, 2, 3):
        await make_user(session, user_id, now)
    repo = ExerciseProgressRepository(session)
    await repo.set_level(1, "bridge", 2, now)
    await repo.mark_hurt(2, "cat_cow", DAY, now)
    found = await repo.levels_of([1, 2, 3])
    assert set(found) == {1, 2}  # user 3 has no levels and no hurt marks
    assert found[1]["bridge"].level == 2 and found[2]["cat_cow"].hurt_on == DAY
    assert await repo.levels_of([]) == {}


async def test_a_day_counts_once_however_often_it_is_added(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = StreakRepository(session)
    assert await repo.add_day(1, DAY)
    assert not await repo.add_day(1, DAY)
    assert await repo.add_day(1, DAY - timedelta(days=1))
    assert await repo.add_day(1, DAY - timedelta(days=9))

    days = await repo.days_between(1, DAY - timedelta(days=6), DAY)
    assert days == {DAY - timedelta(days=1): 1, DAY: 1}
    assert await repo.days_between(1, DAY + timedelta(days=1), DAY + timedelta(days=5)) == {}


async def test_the_streak_is_stored_and_replaced(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = StreakRepository(session)
    assert await repo.get(1) is None

    await repo.save(1, 1, 1, DAY, None, now)
    saved = await repo.save(1, 2, 5, DAY + timedelta(days=1), DAY - timedelta(days=3), now)
    assert (saved.current, saved.best) == (2, 5)

    streak = await repo.get(1)
    assert streak is not None
    assert (streak.current, streak.best, streak.last_on, streak.rest_on) == (
        2,
        5,
        DAY + timedelta(days=1),
        DAY - timedelta(days=3),
    )
