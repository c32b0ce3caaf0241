"""Water per local day, cached file ids, and operator counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import (
    FileCacheRepository,
    NudgeRepository,
    ProfileRepository,
    StatsRepository,
    UserRepository,
    WaterRepository,
    WorkoutRepository,
)
from tests.db.conftest import make_user

DAY = date(2024, 5, 6)


async def test_glasses_count_per_local_day_and_user(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    await make_user(session, 2, now)
    repo = WaterRepository(session)
    # The caller works out the local day; the repository counts by it, not by UTC.
    await repo.log_glass(1, now, DAY)
    await repo.log_glass(1, now + timedelta(hours=1), DAY)
    await repo.log_glass(1, now + timedelta(hours=14), DAY + timedelta(days=1))
    await repo.log_glass(2, now, DAY)
    assert await repo.count_on(1, DAY) == 2
    assert await repo.count_on(1, DAY + timedelta(days=1)) == 1
    assert await repo.count_on(1, DAY - timedelta(days=1)) == 0


async def test_file_ids_are_cached_and_replaced(session: AsyncSession, now: datetime) -> None:
    repo = FileCacheRepository(session)
    assert await repo.get("card:bridge:v1") is None
    await repo.put("card:bridge:v1", "AgAD-1", now)
    assert await repo.get("card:bridge:v1") == "AgAD-1"
    await repo.put("card:bridge:v1", "AgAD-2", now + timedelta(days=1))
    assert await repo.get("card:bridge:v1") == "AgAD-2"


async def test_stats_count_users_activity_profiles_workouts_and_nudges(
    session: AsyncSession, now: datetime
) -> None:
    empty = await StatsRepository(session).counts(now)
    assert set(empty.values()) == {0}

    users = UserRepository(session)
    await users.seen(1, "en", now - timedelta(days=30))
    await users.seen(2, "en", now - timedelta(days=2))
    await users.seen(3, "en", now)
    await users.mark_blocked(3, now)
    profiles = ProfileRepository(session)
    await profiles.save(1, now=now)
    await profiles.save(2, now=now, red_flag="emergency")
    workouts = WorkoutRepository(session)
    finished = await workouts.start(1, "today", DAY, [], now)
    await workouts.finish(finished.id, now)
    await workouts.start(2, "today", DAY, [], now)
    nudges = NudgeRepository(session)
    await nudges.schedule(1, "water", now)
    await nudges.schedule(2, "water", None)

    counts = await StatsRepository(session).counts(now)
    assert counts == {
        "users": 3,
        "users_active_7d": 2,
        "users_blocked": 1,
        "profiles_none": 1,
        "profiles_soon": 0,
        "profiles_emergency": 1,
        "workouts_finished": 1,
        "nudges_scheduled": 1,
    }


async def test_one_glass_per_nudge_message(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    await make_user(session, 2, now)
    repo = WaterRepository(session)
    assert await repo.log_glass(1, now, DAY, message_id=7)
    assert not await repo.log_glass(1, now, DAY, message_id=7)  # the same button again
    assert await repo.log_glass(2, now, DAY, message_id=7)  # another chat's message 7
    assert await repo.log_glass(1, now, DAY, message_id=8)
    assert await repo.log_glass(1, now, DAY)  # no message: never refused
    assert await repo.log_glass(1, now, DAY)
    assert await repo.count_on(1, DAY) == 4
