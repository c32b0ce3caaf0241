"""Alembic environment: async engines, the app's own URL rules, batch mode on SQLite."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base, UTCDateTime
from db.engine import DEFAULT_DATABASE_URL, create_engine, normalize_url
from db.migrate import MIGRATION_LOCK_KEY

config = context.config

# Programmatic callers (db.migrate) keep their own logging; the CLI gets alembic.ini's.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """The URL a caller set, else DATABASE_URL, else the SQLite default, mapped to async drivers."""
    url = (
        config.attributes.get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    return normalize_url(str(url))


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UTCDateTime as a plain timezone-aware DateTime, so revisions never import our code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL instead of running it."""
    url = database_url()
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a synchronous connection (given by a caller or made here)."""
    is_sqlite = connection.dialect.name == "sqlite"
    # Batch mode rebuilds SQLite tables by drop and copy; with foreign keys on, dropping
    # "user" would cascade-delete every row about every user. SQLite ignores this pragma
    # inside a transaction, hence the commit before it.
    toggle_fks = is_sqlite and not connection.in_transaction()
    if toggle_fks:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        _configure(connection=connection, render_as_batch=is_sqlite)
        migration = context.get_context()
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Bot processes starting together upgrade one at a time; released at commit.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            before = migration.get_current_heads()
            context.run_migrations()
            changed = migration.get_current_heads() != before
        # The check reads every row (3 s of a 4 s start at a million users), so it runs
        # only when a migration did; a start with nothing to migrate skips it.
        if toggle_fks and changed:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows with broken foreign keys")
    finally:
        if toggle_fks:
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


async def run_async_migrations() -> None:
    """Open our own async engine for the CLI and run the migrations through it."""
    engine = create_engine(database_url(), poolclass=pool.NullPool, query_timeouts=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Use the caller's connection when there is one (db.migrate), else connect ourselves."""
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
