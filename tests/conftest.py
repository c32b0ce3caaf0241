"""Database fixtures for the whole suite: a migrated, empty database on SQLite and PostgreSQL.

Use ``db_url`` (a migrated, empty database; parametrized over both backends),
``engine``, ``session_factory`` or ``session``. PostgreSQL runs only when
``TEST_DATABASE_URL`` points at a server (any database on it; the user needs
CREATEDB): each test session creates its own database there, migrates it once,
truncates it before every test and drops it at the end, so parallel runs on one
server do not meet.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from db.base import Base
from db.engine import create_engine, create_session_factory, normalize_url
from db.migrate import upgrade_to_head

PG_ENV = "TEST_DATABASE_URL"
PG_SKIP_REASON = f"PostgreSQL tests need {PG_ENV}=postgresql+asyncpg://user@host:port/db"

T = TypeVar("T")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get(PG_ENV), reason=PG_SKIP_REASON),
        ],
    ),
]


def run_async(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion from sync code, even while a test's loop is running."""

    async def wrapper() -> T:
        return await coro

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapper()).result()


def sqlite_url(path: Path) -> str:
    """The async URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(server_url: str, *statements: str) -> None:
    engine = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def create_pg_database(server_url: str, prefix: str = "lumbar_test") -> str:
    """Create an empty database on the server of ``server_url``; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


async def drop_pg_database(server_url: str, url: str) -> None:
    """Drop a database made by ``create_pg_database``, even with connections left open."""
    name = make_url(url).database
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def truncate_all(url: str) -> None:
    """Empty every table of the schema (PostgreSQL), keeping Alembic's version row."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            # A test that leaks an open transaction makes this fail loudly instead of hanging.
            await conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            quote = conn.dialect.identifier_preparer.quote
            tables = ", ".join(quote(t.name) for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The PostgreSQL server to test on (TEST_DATABASE_URL), or a skip."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP_REASON)
    return normalize_url(url)


@pytest.fixture(scope="session")
def pg_session_url(pg_server_url: str) -> Iterator[str]:
    """A database of this test session's own, migrated to head once."""
    url = run_async(create_pg_database(pg_server_url))
    try:
        run_async(upgrade_to_head(url))
        yield url
    finally:
        run_async(drop_pg_database(pg_server_url, url))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    run_async(upgrade_to_head(sqlite_url(path)))
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def pg_db_url(pg_session_url: str) -> str:
    """A migrated, empty PostgreSQL database (for tests about row locks and plans)."""
    run_async(truncate_all(pg_session_url))
    return pg_session_url


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test, on each backend in turn."""
    if db_backend == "postgresql":
        return str(request.getfixturevalue("pg_db_url"))
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "lumbar.sqlite3"
    shutil.copyfile(template, path)
    return sqlite_url(path)


@pytest.fixture
def empty_db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if db_backend == "sqlite":
        yield sqlite_url(tmp_path / "empty.sqlite3")
        return
    server_url: str = request.getfixturevalue("pg_server_url")
    url = run_async(create_pg_database(server_url, prefix="lumbar_empty"))
    try:
        yield url
    finally:
        run_async(drop_pg_database(server_url, url))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The app's engine on the test database."""
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The app's session factory on the test database."""
    return create_session_factory(engine)


@pytest.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session; tests commit when they want another session to see the data."""
    async with session_factory() as session:
        yield session
