"""What the streak told the user, stored by compare-and-set: each note once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories import StreakRepository
from tests.db.conftest import make_user

DAY = date(2024, 5, 6)


async def test_the_rule_is_marked_told_once(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = StreakRepository(session)
    assert not await repo.mark_rule_told(1, now)  # no streak yet: nothing to mark
    await repo.save(1, 1, 1, DAY, None, now)
    assert await repo.mark_rule_told(1, now)
    assert not await repo.mark_rule_told(1, now + timedelta(days=1))
    streak = await repo.get(1)
    assert streak is not None and streak.rule_told_at == now
    # Saving the streak again keeps what was told.
    saved = await repo.save(1, 2, 2, DAY + timedelta(days=1), None, now)
    assert saved.rule_told_at == now


async def test_an_end_is_told_once_per_streak(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = StreakRepository(session)
    await repo.save(1, 4, 4, DAY, None, now)
    assert not await repo.mark_end_told(1, DAY - timedelta(days=1))  # not this streak's end
    assert await repo.mark_end_told(1, DAY)
    assert not await repo.mark_end_told(1, DAY)
    later = DAY + timedelta(days=10)
    await repo.save(1, 2, 4, later, None, now)  # a new streak, which ends too
    assert await repo.mark_end_told(1, later)
    streak = await repo.get(1)
    assert streak is not None and streak.end_told_on == later


async def test_reminded_at_most_once_a_local_day(session: AsyncSession, now: datetime) -> None:
    for user_id in (1, 2, 3):
        await make_user(session, user_id, now)
    repo = StreakRepository(session)
    await repo.save(1, 3, 3, DAY, None, now)
    await repo.save(2, 3, 3, DAY, None, now)  # user 3 has no streak
    assert await repo.mark_reminded([], DAY) == set()
    assert await repo.mark_reminded([1, 3], DAY) == {1}
    assert await repo.mark_reminded([1, 2, 3], DAY) == {2}
    assert await repo.mark_reminded([1, 2], DAY - timedelta(days=1)) == set()  # travelled west
    assert await repo.mark_reminded([1], DAY + timedelta(days=1)) == {1}
    rows = await repo.of_users([1, 2, 3, 4])
    assert set(rows) == {1, 2}
    assert (rows[1].reminded_on, rows[2].reminded_on) == (DAY + timedelta(days=1), DAY)


async def test_two_sessions_marking_the_same_day_remind_once(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    """Two dispatchers in turn (as row locks serialise them): the second finds it marked."""
    async with session_factory() as session, session.begin():
        await make_user(session, 1, now)
        await StreakRepository(session).save(1, 3, 3, DAY, None, now)
    marked = []
    for _ in range(2):
        async with session_factory() as session, session.begin():
            marked.append(await StreakRepository(session).mark_reminded([1], DAY))
    assert marked == [{1}, set()]


async def test_the_rule_told_with_the_streak_is_noted_once(
    session: AsyncSession, now: datetime
) -> None:
    """``save(rule_told=True)``: the rule noted in the same upsert, only where it was not."""
    await make_user(session, 1, now)
    repo = StreakRepository(session)
    first = await repo.save(1, 1, 1, DAY, None, now, rule_told=True)  # a new row
    assert first.rule_told_at == now
    later = now + timedelta(days=1)
    again = await repo.save(1, 2, 2, DAY + timedelta(days=1), None, later, rule_told=True)
    assert again.rule_told_at == now  # told already: kept, so the caller tells nothing
    await make_user(session, 2, now)
    await repo.save(2, 1, 1, DAY, None, now)
    told = await repo.save(2, 2, 2, DAY + timedelta(days=1), None, later, rule_told=True)
    assert told.rule_told_at == later  # an existing row, never told: noted now
