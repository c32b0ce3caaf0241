"""PostgreSQL only: two dispatchers never claim the same nudge, and the claim uses its index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import create_engine, create_session_factory
from db.repositories import NudgeRepository
from db.repositories.nudges import claim_statement
from tests.db.conftest import make_user

pytestmark = pytest.mark.postgres

LEASE = timedelta(minutes=2)


@pytest.fixture
async def pg_engine(pg_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def pg_sessions(pg_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(pg_engine)


async def test_two_dispatchers_claim_disjoint_rows_without_waiting(
    pg_sessions: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with pg_sessions() as session, session.begin():
        for user_id in range(1, 6):
            await make_user(session, user_id, now)
            await NudgeRepository(session).schedule(
                user_id, "water", now - timedelta(minutes=user_id)
            )

    async with pg_sessions() as first, pg_sessions() as second:
        await first.begin()
        await second.begin()
        # Without SKIP LOCKED the second claim would wait for the first; make that fail fast.
        await second.execute(text("SET LOCAL lock_timeout = '2s'"))
        mine = await NudgeRepository(first).claim_due(now, limit=3, lease=LEASE)
        theirs = await NudgeRepository(second).claim_due(now, limit=10, lease=LEASE)
        await first.commit()
        await second.commit()

    assert len(mine) == 3 and len(theirs) == 2
    assert {c.id for c in mine}.isdisjoint({c.id for c in theirs})
    assert {c.user_id for c in mine} | {c.user_id for c in theirs} == {1, 2, 3, 4, 5}
    async with pg_sessions() as session:
        assert await NudgeRepository(session).claim_due(now, 10, LEASE) == []


async def test_after_the_first_commits_the_lease_keeps_the_second_away(
    pg_sessions: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with pg_sessions() as session, session.begin():
        await make_user(session, 1, now)
        await NudgeRepository(session).schedule(1, "water", now)

    async with pg_sessions() as first, pg_sessions() as second:
        await second.begin()
        async with first.begin():
            assert len(await NudgeRepository(first).claim_due(now, 10, LEASE)) == 1
        assert await NudgeRepository(second).claim_due(now, 10, LEASE) == []
        await second.commit()


async def test_the_claim_query_reads_the_due_index_on_a_big_table(
    pg_engine: AsyncEngine, now: datetime
) -> None:
    users = 20_000
    async with pg_engine.begin() as conn:
        await conn.execute(
            text(
                'INSERT INTO "user" (id, time_zone, created_at, updated_at) '
                "SELECT g, 'UTC', :now, :now FROM generate_series(1, :n) AS g"
            ),
            {"now": now, "n": users},
        )
        # One in a hundred is due; the rest are due later today.
        await conn.execute(
            text(
                "INSERT INTO nudge (user_id, kind, due_at, attempts) "
                "SELECT g, 'water', CAST(:now AS timestamptz) + make_interval(mins => "
                "CASE WHEN g % 100 = 0 THEN -1 ELSE 1 + g % 600 END), 0 "
                "FROM generate_series(1, :n) AS g"
            ),
            {"now": now, "n": users},
        )
        await conn.execute(text("ANALYZE nudge"))
        await conn.execute(text('ANALYZE "user"'))

        sql = claim_statement(now, 100).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        plan = "\n".join((await conn.execute(text(f"EXPLAIN {sql}"))).scalars())
    assert "ix_nudge_due_at" in plan, plan
    assert "Seq Scan on nudge" not in plan, plan
