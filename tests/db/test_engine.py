"""Engine settings: URLs, SQLite pragmas, the UTC type and a clear error when the DB is down."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import db.sqlite_inline
from db.engine import (
    DEFAULT_DATABASE_URL,
    DatabaseUnavailableError,
    check_connection,
    check_url,
    create_engine,
    normalize_url,
)
from db.models import FileCache, User


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///lumbar.sqlite3", "sqlite+aiosqlite:///lumbar.sqlite3"),
        ("sqlite:////var/lib/x.db", "sqlite+aiosqlite:////var/lib/x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgres://u@h/d?sslmode=require", "postgresql+asyncpg://u@h/d?ssl=require"),
        ("postgres://u@h/d?connect_timeout=3", "postgresql+asyncpg://u@h/d?timeout=3"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        (DEFAULT_DATABASE_URL, DEFAULT_DATABASE_URL),
    ],
)
def test_normalize_url_maps_plain_urls_to_async_drivers(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_normalize_url_keeps_special_characters_in_passwords() -> None:
    url = "postgres://bot:p%40ss%2Fword@db.example:5432/lumbar"
    assert normalize_url(url) == "postgresql+asyncpg://bot:p%40ss%2Fword@db.example:5432/lumbar"


def test_normalize_url_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a valid database URL"):
        normalize_url("not a url")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///x.db",
        "sqlite+aiosqlite:///x.db",
        "postgresql://u:pw@h/d?sslmode=verify-full&connect_timeout=3&command_timeout=2.5",
        "postgres://u@h/d?ssl=require&target_session_attrs=primary&statement_timeout=1500",
        "postgresql+asyncpg://u@h/d?prepared_statement_cache_size=0&passfile=/run/pgpass",
    ],
)
def test_check_url_accepts_async_drivers_and_known_options(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg2://u:pw@h/d", "async driver: postgresql+asyncpg:// (or plain"),
        ("postgresql+psycopg://u@h/d", "async driver: postgresql+asyncpg://"),
        ("sqlite+pysqlite:///x.db", "async driver: sqlite+aiosqlite:// (or plain sqlite://)"),
        ("postgresql://u@h/d?connect_timeout=abc", "option connect_timeout must be a number"),
        ("postgresql://u@h/d?timeout=inf", "option timeout must be a number of seconds"),
        ("postgresql://u@h/d?command_timeout=0", "option command_timeout must be a number"),
        ("postgresql://u@h/d?sslmode=on", "option sslmode must be one of disable, allow"),
        ("postgresql://u@h/d?application_name=x", "option application_name is not supported"),
        ("postgresql://u@h/d?ssl=require&ssl=disable", "option ssl is given more than once"),
        ("postgresql://u@h/d?prepared_statement_cache_size=-1", "must be a whole number"),
    ],
)
def test_check_url_names_what_is_wrong_without_the_value(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)) as caught:
        check_url(url)
    assert "pw" not in str(caught.value)


async def test_sqlite_connections_use_wal_foreign_keys_and_never_wait_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.sqlite_inline, "CHECKPOINT_EVERY", 3)
    engine = create_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    loop_thread = threading.get_ident()
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            # The wait for another process's lock happens on aiosqlite's thread, never here,
            # and so do the checkpoints (which fsync).
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 0
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
            raw = await conn.get_raw_connection()
            sqlite = raw.driver_connection._conn
            sqlite.create_function("thread_id", 0, threading.get_ident)
            ran_on = (await conn.execute(text("SELECT thread_id()"))).scalar_one()
            assert ran_on == loop_thread  # no hand-off to a worker thread
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.commit()
            seen: list[tuple[str, bool]] = []
            sqlite.set_trace_callback(
                lambda sql: seen.append((sql.split("(")[0], threading.get_ident() == loop_thread))
            )
            for x in range(3):
                await conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
                await conn.commit()
            sqlite.set_trace_callback(None)
    finally:
        await engine.dispose()
    on_loop = [sql for sql, here in seen if here]
    assert on_loop == ["BEGIN ", "INSERT INTO t VALUES ", "COMMIT"] * 3, seen
    # After the third written transaction, one checkpoint, off the loop.
    assert [sql for sql, here in seen if not here] == ["PRAGMA wal_checkpoint"], seen


async def test_a_statement_and_its_cursor_cost_no_hand_off_to_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[str] = []
    on_thread = db.sqlite_inline.InlineConnection._on_thread

    async def recording(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(db.sqlite_inline.name_of(fn))
        return await on_thread(self, fn, *args, **kwargs)

    monkeypatch.setattr(db.sqlite_inline.InlineConnection, "_on_thread", recording)
    engine = create_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.commit()
            handed.clear()  # opening the connection is not the point here
            for x in range(5):
                await conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
                assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == x + 1
                await conn.commit()
            assert handed == []  # statements, rows, cursors' closes, commits: all inline
    finally:
        await engine.dispose()
    assert handed == ["close"]  # the connection's own close, which may checkpoint


async def test_a_write_waits_for_another_process_lock_without_freezing_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.sqlite3"
    engine = create_engine(f"sqlite:///{path}", one_sqlite_connection=True)
    holder = sqlite3.connect(path, isolation_level=None)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as a backup or a shell holds it
        asyncio.get_running_loop().call_later(0.5, holder.rollback)
        started, ticks = time.monotonic(), 0
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        waited = time.monotonic() - started
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT x FROM t"))).scalars().all() == [1]
    finally:
        ticker.cancel()
        holder.close()
        await engine.dispose()
    assert waited >= 0.45  # it waited for the lock rather than failing
    assert ticks >= 15  # and the loop went on meanwhile (a frozen loop would tick once)


async def test_the_bots_sqlite_engine_queues_transactions_on_one_connection(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", one_sqlite_connection=True)
    order: list[str] = []
    try:
        async with engine.begin() as first:
            await first.execute(text("CREATE TABLE t (x INTEGER)"))

            async def second() -> None:
                async with engine.begin() as conn:
                    order.append("second begins")
                    await conn.execute(text("INSERT INTO t VALUES (2)"))

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.1)
            order.append("first commits")
        await waiting
    finally:
        await engine.dispose()
    # The second transaction waited in the process, not in SQLite's busy handler.
    assert order == ["first commits", "second begins"]


async def test_in_memory_sqlite_keeps_one_database_across_connections() -> None:
    engine = create_engine("sqlite://")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_check_connection_passes_on_a_live_database(engine: AsyncEngine) -> None:
    await check_connection(engine)


async def test_check_connection_raises_a_clear_error_on_an_unusable_sqlite_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(b"this is not a SQLite database, just some bytes" * 100)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseUnavailableError, match="cannot reach the database"):
            await check_connection(engine)
    finally:
        await engine.dispose()


async def test_check_connection_raises_a_clear_error_without_leaking_the_password() -> None:
    engine = create_engine("postgresql://postgres:secret@127.0.0.1:1/lumbar")
    try:
        with pytest.raises(DatabaseUnavailableError, match="cannot reach the database") as info:
            await check_connection(engine)
        assert "secret" not in str(info.value)
        assert "127.0.0.1:1/lumbar" in str(info.value)
    finally:
        await engine.dispose()


async def test_utc_datetime_comes_back_aware_in_utc(session: AsyncSession) -> None:
    plus_five = timezone(timedelta(hours=5))
    written = datetime(2024, 3, 31, 1, 30, tzinfo=plus_five)
    session.add(User(id=1, time_zone="UTC", created_at=written, updated_at=written))
    await session.commit()
    session.expunge_all()

    user = await session.get(User, 1)
    assert user is not None
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == timedelta(0)
    assert user.created_at == written
    assert user.created_at.hour == 20  # 01:30 at +05:00 is 20:30 UTC the day before


async def test_utc_datetime_rejects_naive_datetimes(session: AsyncSession) -> None:
    naive = datetime(2024, 1, 1, 12, 0)
    session.add(FileCache(key="k", file_id="f", created_at=naive))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


async def test_utc_datetime_compares_instants_not_wall_clocks(session: AsyncSession) -> None:
    base = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    for i, key in enumerate(["a", "b", "c"]):
        session.add(FileCache(key=key, file_id=key, created_at=base + timedelta(hours=i)))
    await session.flush()
    # 13:30 UTC written in UTC-10: a naive comparison of wall clocks would get this wrong.
    cutoff = (base + timedelta(minutes=90)).astimezone(timezone(timedelta(hours=-10)))
    keys = (await session.scalars(select(FileCache.key).where(FileCache.created_at > cutoff))).all()
    assert sorted(keys) == ["c"]
