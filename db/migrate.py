"""Run Alembic from async code, so the bot upgrades its schema on start without a subprocess."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from db.engine import create_engine, normalize_url

REPO_ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
# PostgreSQL advisory lock held while migrating, so bots starting together take turns ("LUMB").
MIGRATION_LOCK_KEY = 0x4C554D42


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic config for this repository that targets ``url`` and keeps the app's logging."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = normalize_url(url)
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def _run(url: str, direction: str, revision: str) -> None:
    engine = create_engine(url, poolclass=NullPool, query_timeouts=False)  # may run long
    try:
        async with engine.connect() as conn:

            def run(sync_conn: Connection) -> None:
                config = alembic_config(url, sync_conn)
                if direction == "up":
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)

            await conn.run_sync(run)
            await conn.commit()
    finally:
        await engine.dispose()


async def upgrade_to_head(url: str) -> None:
    """Bring the database at ``url`` to the newest schema; safe to call on every start."""
    await _run(url, "up", "head")


async def downgrade_to_base(url: str) -> None:
    """Drop every table the migrations made (tests prove downgrades work)."""
    await _run(url, "down", "base")
