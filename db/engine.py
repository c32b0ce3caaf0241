"""Engines and sessions for SQLite (one process, a file) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///lumbar.sqlite3"

# How long SQLite waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000
# Seconds asyncpg waits for a connection before the database counts as unreachable.
PG_CONNECT_TIMEOUT_S = 10

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class DatabaseUnavailableError(RuntimeError):
    """The database could not be reached; raised so startup fails with one clear line."""


def normalize_url(url: str) -> str:
    """Map plain ``sqlite://``, ``postgresql://`` and ``postgres://`` URLs to the async drivers."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError("DATABASE_URL is not a valid database URL") from exc
    name = "postgresql" if parsed.drivername == "postgres" else parsed.drivername
    if name not in _ASYNC_DRIVERS:
        return url
    parsed = parsed.set(drivername=_ASYNC_DRIVERS[name])
    if name == "postgresql" and "sslmode" in parsed.query:
        # libpq spells it sslmode; asyncpg takes the same values as ``ssl``.
        sslmode = parsed.query["sslmode"]
        parsed = parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": sslmode})
    return parsed.render_as_string(hide_password=False)


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, foreign keys (for ON DELETE CASCADE) and a busy timeout on every connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(url: str, *, one_sqlite_connection: bool = False, **kwargs: Any) -> AsyncEngine:
    """Build the async engine with the per-backend settings the bot relies on.

    ``one_sqlite_connection`` (the bot's own engine): SQLite has one writer, and pooled
    connections that collide meet its busy handler, which sleeps 1-100 ms at a time; one
    connection makes transactions queue in the process instead (the saturated p99 of a
    press fell from 2.6 s to 0.95 s in bench/). It must never hold one session open while
    waiting for another, which the bot never does (each step opens, uses, closes).
    """
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if _is_memory_sqlite(parsed):
            kwargs.setdefault("poolclass", StaticPool)
        elif one_sqlite_connection and "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 5)
            kwargs.setdefault("max_overflow", 10)
            kwargs.setdefault("pool_recycle", 1800)
        if parsed.get_driver_name() == "asyncpg" and "timeout" not in parsed.query:
            connect_args = dict(kwargs.pop("connect_args", {}))
            connect_args.setdefault("timeout", PG_CONNECT_TIMEOUT_S)
            kwargs["connect_args"] = connect_args
    return create_async_engine(parsed, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (handlers render after the transaction)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_connection(engine: AsyncEngine) -> None:
    """Fail early and clearly when the database cannot be reached."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailableError(f"cannot reach the database at {where}: {reason}") from exc
