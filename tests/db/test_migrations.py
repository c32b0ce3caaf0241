"""Migrations build the schema the models describe, both ways, on both backends."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from db.base import Base
from db.engine import create_engine
from db.migrate import MIGRATION_LOCK_KEY, REPO_ROOT, downgrade_to_base, upgrade_to_head
from tests.conftest import create_pg_database, drop_pg_database

EXPECTED_TABLES = {t.name for t in Base.metadata.sorted_tables}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _diff(url: str) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"},
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_builds_every_table_and_matches_the_models(empty_db_url: str) -> None:
    assert await _tables(empty_db_url) == set()
    await upgrade_to_head(empty_db_url)
    assert await _tables(empty_db_url) == EXPECTED_TABLES
    assert await _diff(empty_db_url) == []


async def test_upgrade_twice_is_harmless(empty_db_url: str) -> None:
    await upgrade_to_head(empty_db_url)
    await upgrade_to_head(empty_db_url)
    assert await _diff(empty_db_url) == []


async def test_sqlite_checks_foreign_keys_only_when_a_migration_ran(tmp_path: Path) -> None:
    """The check reads the whole file: a start with nothing to migrate must not pay for it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lumbar.sqlite3'}"
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        await upgrade_to_head(url)
        first = sum("foreign_key_check" in s for s in statements)
        statements.clear()
        await upgrade_to_head(url)
        second = sum("foreign_key_check" in s for s in statements)
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert (first, second) == (1, 0)


async def test_downgrade_removes_everything_and_upgrade_rebuilds_it(empty_db_url: str) -> None:
    await upgrade_to_head(empty_db_url)
    await downgrade_to_base(empty_db_url)
    assert await _tables(empty_db_url) == set()
    await upgrade_to_head(empty_db_url)
    assert await _tables(empty_db_url) == EXPECTED_TABLES
    assert await _diff(empty_db_url) == []


async def test_programmatic_upgrade_leaves_the_apps_loggers_alone(empty_db_url: str) -> None:
    logger = logging.getLogger("lumbar.test.migrations")
    logger.disabled = False
    await upgrade_to_head(empty_db_url)
    assert not logger.disabled


def test_alembic_cli_upgrades_and_checks_with_database_url(empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url}
    alembic = [sys.executable, "-m", "alembic"]
    for args in (["upgrade", "head"], ["check"], ["current"]):
        done = subprocess.run(
            [*alembic, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout


def test_there_is_a_single_head_named_by_date_and_slug() -> None:
    versions = sorted(Path(REPO_ROOT, "migrations", "versions").glob("*.py"))
    assert versions, "no revisions"
    for path in versions:
        stem = path.stem
        assert stem[:4].isdigit() and stem[4] == "_" and "-" in stem, stem
    heads = (
        subprocess.run(
            [sys.executable, "-m", "alembic", "heads"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    assert len(heads) == 1, heads


@pytest.mark.postgres
async def test_an_upgrade_on_postgresql_waits_for_one_already_running(
    pg_server_url: str,
) -> None:
    url = await create_pg_database(pg_server_url, prefix="lumbar_race")
    holder = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with holder.connect() as conn:
            # Pretend another bot process is migrating: hold the migration lock.
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            upgrade = asyncio.create_task(upgrade_to_head(url))
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event = 'advisory'"
            )
            for _ in range(500):
                if (await conn.execute(waiting)).scalar_one() or upgrade.done():
                    break
                await asyncio.sleep(0.01)
            assert not upgrade.done(), upgrade
            assert await _tables(url) == set()
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await upgrade
        assert await _tables(url) == EXPECTED_TABLES
    finally:
        await holder.dispose()
        await drop_pg_database(pg_server_url, url)
