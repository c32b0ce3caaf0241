"""Users: first contact, updates, blocking, erasure leaving no trace, and export."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.languages import MISSING, LanguageCache
from db.models import Nudge, User
from db.repositories import (
    ExerciseProgressRepository,
    FileCacheRepository,
    NudgeRepository,
    ProfileRepository,
    StreakRepository,
    TriageRepository,
    UserRepository,
    WaterRepository,
    WorkoutRepository,
)
from db.repositories.checkins import CheckInRepository
from tests.db.conftest import make_user


async def test_seen_creates_a_user_in_utc(session: AsyncSession, now: datetime) -> None:
    user = await UserRepository(session).seen(42, "de", now)
    assert (user.id, user.language, user.time_zone) == (42, "de", "UTC")
    assert user.created_at == now == user.updated_at
    assert user.blocked_at is None and user.consent_at is None


async def test_seen_again_refreshes_and_keeps_what_it_is_not_told(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    await repo.seen(42, "de", now)
    await repo.set_time_zone(42, "Europe/Berlin", now)
    later = now + timedelta(days=3)
    user = await repo.seen(42, None, later)
    assert user.created_at == now
    assert user.updated_at == later
    assert user.language == "de"
    assert user.time_zone == "Europe/Berlin"
    user = await repo.seen(42, "fr", later)
    assert user.language == "de"  # a stored language is kept (perhaps chosen in /settings)


async def test_a_first_contact_without_a_language_takes_the_next_one(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    await repo.seen(43, None, now)
    user = await repo.seen(43, "de", now)
    assert user.language == "de"
    assert await repo.set_language(43, "en", now)
    assert await repo.language_of(43) == "en"
    assert await repo.language_of(44) is None
    assert not await repo.set_language(44, "de", now)


async def test_the_language_cache_hears_every_row_read_written_or_erased(
    session: AsyncSession, now: datetime
) -> None:
    cache = LanguageCache()
    repo = UserRepository(session, cache)
    await repo.get(45)
    assert cache.get(45) is None  # no row: Telegram's language until one is stored
    await repo.seen(45, "de", now)
    assert cache.get(45) == "de"
    await repo.set_language(45, "en", now)
    assert cache.get(45) == "en"
    cache.put(45, "xx")
    await repo.touch(45, now)
    assert cache.get(45) == "en"
    assert await repo.delete(45)
    assert cache.get(45) is MISSING


async def test_a_blocked_user_who_writes_again_is_unblocked(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    nudges = NudgeRepository(session)
    await repo.seen(7, "en", now)
    await nudges.schedule(7, "water", now + timedelta(hours=1))
    await nudges.schedule(7, "stretch", now + timedelta(hours=2))

    assert await repo.mark_blocked(7, now)
    assert [n.due_at for n in await nudges.for_user(7)] == [None, None]
    assert await nudges.due_rows_count(now + timedelta(days=1)) == 0
    blocked = await repo.get(7)
    assert blocked is not None and blocked.blocked_at == now

    user = await repo.seen(7, "en", now + timedelta(days=1))
    assert user.blocked_at is None


async def test_touch_refreshes_a_known_user_and_never_creates_one(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    assert await repo.touch(8, now) is None
    assert await repo.get(8) is None
    await repo.seen(8, "en", now)
    assert await repo.mark_blocked(8, now)
    later = now + timedelta(hours=1)
    user = await repo.touch(8, later)
    assert user is not None and user.updated_at == later
    assert user.blocked_at == now  # only ``unblock`` (with the nudges rescheduled) clears it
    assert await repo.unblock(8, later)
    user = await repo.get(8)
    assert user is not None and user.blocked_at is None
    assert not await repo.unblock(9, later)


async def test_updates_on_an_unknown_user_report_false(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    assert not await repo.set_time_zone(1, "Asia/Tokyo", now)
    assert not await repo.set_consent(1, now)
    assert not await repo.mark_blocked(1, now)
    assert not await repo.delete(1)
    assert await repo.get(1) is None


async def test_consent_is_recorded(session: AsyncSession, now: datetime) -> None:
    repo = UserRepository(session)
    await repo.seen(5, None, now)
    assert await repo.set_consent(
        5, now + timedelta(minutes=9), given_at=now + timedelta(minutes=1)
    )
    user = await repo.get(5)
    assert user is not None and user.consent_at == now + timedelta(minutes=1)  # when given
    assert await repo.set_consent(5, now + timedelta(days=3))  # a check redone later
    user = await repo.get(5)
    assert user is not None and user.consent_at == now + timedelta(minutes=1)  # the first kept


async def test_two_first_messages_at_once_create_one_user(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async def first_contact(language: str) -> None:
        async with session_factory() as session, session.begin():
            await UserRepository(session).seen(99, language, now)

    await asyncio.gather(first_contact("en"), first_contact("de"))
    async with session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(User).where(User.id == 99))
    assert count == 1


async def _fill_everything(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Write at least one row about the user into every table that can hold one."""
    today = date(2024, 5, 6)
    await make_user(session, user_id, now)
    await TriageRepository(session).save_state(user_id, "pain", {"age": "30s"}, 3, 11, now)
    await ProfileRepository(session).save(user_id, now=now, equipment=["mat"])
    workouts = WorkoutRepository(session)
    workout = await workouts.start(user_id, "today", today, [{"exercise_id": "bridge"}], now)
    await workouts.record_answer(workout.id, user_id, 0, "bridge", None, "done", now)
    await ExerciseProgressRepository(session).set_level(user_id, "bridge", 2, now)
    streaks = StreakRepository(session)
    await streaks.add_day(user_id, today)
    await streaks.save(user_id, 1, 1, today, None, now)
    nudges = NudgeRepository(session)
    await nudges.save_settings(user_id, now=now, stretch_times=["11:00"], quiet_start=time(22))
    await nudges.schedule(user_id, "water", now + timedelta(hours=2))
    await WaterRepository(session).log_glass(user_id, now, today)
    checkins = CheckInRepository(session)
    baseline = await checkins.start(user_id, "baseline", today, now, "building")
    await checkins.answer(baseline.id, pain=6, function=5, activities={"sitting": 4})
    await checkins.complete(baseline.id, now)
    await checkins.add_phase_change(
        user_id, now=now, local_on=today, from_phase="gentle", to_phase="building", reason="test"
    )


def _rows_mentioning(conn: Connection, user_id: int) -> dict[str, int]:
    """Rows per table that name ``user_id`` in user.id or any column referencing it."""
    inspector = inspect(conn)
    counts: dict[str, int] = {}
    for table in inspector.get_table_names():
        columns = [
            column
            for fk in inspector.get_foreign_keys(table)
            if fk["referred_table"] == "user"
            for column in fk["constrained_columns"]
        ]
        columns += [c["name"] for c in inspector.get_columns(table) if c["name"] == "user_id"]
        if table == "user":
            columns.append("id")
        for column in sorted(set(columns)):
            found = conn.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :uid'), {"uid": user_id}
            ).scalar_one()
            counts[table] = counts.get(table, 0) + found
    return counts


async def test_delete_leaves_no_row_about_the_user_and_spares_others(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with session_factory() as session, session.begin():
        await _fill_everything(session, 1001, now)
        await _fill_everything(session, 1002, now)
        await FileCacheRepository(session).put("card:bridge", "file-1", now)

    async with engine.connect() as conn:
        before = await conn.run_sync(_rows_mentioning, 1001)
    # Every table that refers to users holds something about 1001, so the check below bites.
    assert before.keys() >= {
        "user",
        "profile",
        "triage_state",
        "workout",
        "exercise_result",
        "exercise_progress",
        "streak",
        "streak_day",
        "nudge_settings",
        "nudge",
        "water_log",
        "checkin",
        "phase_change",
    }
    assert all(count > 0 for count in before.values()), before

    async with session_factory() as session, session.begin():
        assert await UserRepository(session).delete(1001)

    async with engine.connect() as conn:
        after = await conn.run_sync(_rows_mentioning, 1001)
        others = await conn.run_sync(_rows_mentioning, 1002)
    assert after == dict.fromkeys(before, 0)
    assert others == before
    async with session_factory() as session:
        assert await FileCacheRepository(session).get("card:bridge") == "file-1"
        assert not await UserRepository(session).delete(1001)


async def test_delete_forgets_objects_loaded_earlier_in_the_session(
    session: AsyncSession, now: datetime
) -> None:
    repo = UserRepository(session)
    await make_user(session, 3, now)
    await NudgeRepository(session).schedule(3, "water", now)
    assert await repo.delete(3)
    assert await repo.get(3) is None
    assert await session.scalar(select(Nudge.id).where(Nudge.user_id == 3)) is None


async def test_export_is_json_with_everything_about_the_user(
    session: AsyncSession, now: datetime
) -> None:
    await _fill_everything(session, 1001, now)
    await _fill_everything(session, 1002, now)
    data = await UserRepository(session).export(1001)

    decoded = json.loads(json.dumps(data))
    assert decoded["user"]["id"] == 1001
    assert decoded["user"]["created_at"] == now.isoformat()
    assert decoded["profile"]["equipment"] == ["mat"]
    assert decoded["triage"]["answers"] == {"age": "30s"}
    [workout] = decoded["workouts"]
    assert workout["local_on"] == "2024-05-06"
    assert [r["outcome"] for r in workout["results"]] == ["done"]
    assert decoded["streak"]["current"] == 1
    assert decoded["streak_days"] == [{"day_on": "2024-05-06", "sessions": 1}]
    assert decoded["nudge_settings"]["stretch_times"] == ["11:00"]
    assert decoded["nudge_settings"]["quiet_start"] == "22:00:00"
    assert [n["kind"] for n in decoded["nudges"]] == ["water"]
    assert len(decoded["water_log"]) == 1
    assert decoded["exercise_progress"][0]["level"] == 2
    [checkin] = decoded["checkins"]
    assert (checkin["kind"], checkin["pain"], checkin["function"]) == ("baseline", 6, 5)
    assert checkin["activities"] == {"sitting": 4}
    assert [c["to_phase"] for c in decoded["phase_changes"]] == ["building"]
    assert "1002" not in json.dumps(data)


async def test_export_of_an_unknown_user_is_empty(session: AsyncSession) -> None:
    data = await UserRepository(session).export(5)
    assert data["user"] is None
    assert data["workouts"] == [] and data["water_log"] == []
