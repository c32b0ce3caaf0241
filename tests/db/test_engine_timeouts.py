"""PostgreSQL waits are bounded (issue 16): the engine's arguments, and what the server gets."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.handlers.basic import classify_error
from db.engine import (
    PG_COMMAND_TIMEOUT_S,
    PG_CONNECT_TIMEOUT_S,
    PG_IDLE_IN_TRANSACTION_MS,
    PG_PING_IDLE_S,
    PG_POOL_SIZE,
    PG_POOL_TIMEOUT_S,
    TCP_KEEPALIVE_IDLE_S,
    TCP_USER_TIMEOUT_MS,
    asyncpg_connect_args,
    create_engine,
)

URL = "postgresql://bot@db.example/lumbar"
KEEPALIVE = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


def test_every_wait_is_bounded_by_default() -> None:
    url, args = asyncpg_connect_args(make_url(URL))
    assert args == {
        "timeout": PG_CONNECT_TIMEOUT_S,
        "command_timeout": PG_COMMAND_TIMEOUT_S,
        "server_settings": {
            # The server cancels a slow statement before the client gives up on it.
            "statement_timeout": str(round(PG_COMMAND_TIMEOUT_S * 800)),
            "idle_in_transaction_session_timeout": str(PG_IDLE_IN_TRANSACTION_MS),
            **KEEPALIVE,
        },
    }
    assert url == make_url(URL)


def test_values_in_the_url_win_and_leave_the_url() -> None:
    given = make_url(
        f"{URL}?command_timeout=2&timeout=3&statement_timeout=1500"
        "&idle_in_transaction_session_timeout=9000&ssl=require"
    )
    url, args = asyncpg_connect_args(given)
    assert args["timeout"] == 3.0 and args["command_timeout"] == 2.0
    assert args["server_settings"]["statement_timeout"] == "1500"
    assert args["server_settings"]["idle_in_transaction_session_timeout"] == "9000"
    assert dict(url.query) == {"ssl": "require"}


def test_a_shorter_command_timeout_shortens_the_statement_timeout() -> None:
    _, args = asyncpg_connect_args(make_url(f"{URL}?command_timeout=1"))
    assert args["server_settings"]["statement_timeout"] == "800"


def test_migrations_get_no_query_timeouts_of_ours() -> None:
    _, args = asyncpg_connect_args(make_url(URL), query_timeouts=False)
    assert "command_timeout" not in args
    assert args["timeout"] == PG_CONNECT_TIMEOUT_S
    assert args["server_settings"] == KEEPALIVE
    _, args = asyncpg_connect_args(make_url(f"{URL}?command_timeout=9"), query_timeouts=False)
    assert args["command_timeout"] == 9.0  # what the user asked for still holds


async def test_the_engine_hands_asyncpg_the_bounds_and_pools_with_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncpg

    seen: dict[str, Any] = {}

    async def connect(**kwargs: Any) -> None:
        seen.update(kwargs)
        raise OSError("not really connecting")

    monkeypatch.setattr(asyncpg, "connect", connect)
    engine = create_engine(f"{URL}?command_timeout=2")
    try:
        assert engine.sync_engine.pool.timeout() == PG_POOL_TIMEOUT_S
        with pytest.raises(OSError, match="not really"):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert seen["command_timeout"] == 2.0 and seen["timeout"] == PG_CONNECT_TIMEOUT_S
    assert seen["server_settings"]["statement_timeout"] == "1600"
    assert "command_timeout" not in str(engine.url)


async def _driver(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    return raw.driver_connection


@pytest.mark.postgres
async def test_the_server_and_the_socket_get_the_bounds(pg_db_url: str) -> None:
    engine = create_engine(pg_db_url)
    try:
        async with engine.connect() as conn:
            show = {
                name: (await conn.execute(text(f"SHOW {name}"))).scalar_one()
                for name in (
                    "statement_timeout",
                    "idle_in_transaction_session_timeout",
                    "tcp_keepalives_idle",
                )
            }
            driver = await _driver(conn)
            sock = driver._transport.get_extra_info("socket")
            keepalive = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
            user_timeout = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
    finally:
        await engine.dispose()
    assert show == {
        "statement_timeout": "4s",
        "idle_in_transaction_session_timeout": "15s",
        "tcp_keepalives_idle": str(TCP_KEEPALIVE_IDLE_S),
    }
    assert keepalive == 1 and user_timeout == TCP_USER_TIMEOUT_MS


@pytest.mark.postgres
async def test_a_connection_whose_command_timed_out_is_never_reused(pg_db_url: str) -> None:
    # The server would wait 60 s: only the client's 0.3 s timeout ends the statement.
    url = make_url(pg_db_url).update_query_dict(
        {"command_timeout": "0.3", "statement_timeout": "60000"}
    )
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        with pytest.raises(TimeoutError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(5)"))
        assert classify_error(info.value) == "database"
        async with engine.connect() as conn:
            after = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
    assert after != before  # a new connection: the timed-out one was discarded


@pytest.mark.postgres
async def test_a_statement_the_server_cancels_keeps_its_connection(pg_db_url: str) -> None:
    url = make_url(pg_db_url).update_query_dict({"statement_timeout": "200"})
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        with pytest.raises(DBAPIError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(5)"))
        assert classify_error(info.value) == "database"  # 57014: the apology for the database
        async with engine.connect() as conn:
            after = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    finally:
        await engine.dispose()
    assert after == before


@pytest.mark.postgres
async def test_a_burst_past_the_pool_waits_for_a_connection_instead_of_opening_more(
    pg_db_url: str,
) -> None:
    # Each connection opened is a server process and statements asyncpg prepares again;
    # one the pool closes again after a single update was the bot's cost at saturation.
    engine = create_engine(pg_db_url)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(record))
    held = 0
    most = 0

    async def transaction() -> None:
        nonlocal held, most
        async with engine.connect() as conn:
            held += 1
            most = max(most, held)
            await conn.execute(text("SELECT pg_sleep(0.02)"))
            held -= 1

    try:
        await asyncio.gather(*(transaction() for _ in range(PG_POOL_SIZE * 2)))
        after_first = len(opened)
        await asyncio.gather(*(transaction() for _ in range(PG_POOL_SIZE * 2)))
    finally:
        await engine.dispose()
    assert most == PG_POOL_SIZE  # the rest waited their turn
    assert after_first == PG_POOL_SIZE
    assert len(opened) == after_first  # the second burst reused every one of them


@pytest.mark.postgres
async def test_only_a_connection_idle_for_a_while_is_pinged_before_use(
    pg_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncpg's ping is three round trips; at saturation every checkout paid them.
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    pings: list[object] = []
    ping = PGDialect_asyncpg.do_ping

    def counted(self: PGDialect_asyncpg, dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return ping(self, dbapi_connection)

    monkeypatch.setattr(PGDialect_asyncpg, "do_ping", counted)
    engine = create_engine(pg_db_url)

    async def pid() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    try:
        first = await pid()  # a new connection: nothing to ping
        assert await pid() == first and pings == []  # back a moment ago: used as it is
        await asyncio.sleep(PG_PING_IDLE_S + 0.1)
        assert await pid() == first and len(pings) == 1  # idle a while: pinged first
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_connection_that_died_a_moment_after_use_fails_once_then_the_pool_recovers(
    pg_db_url: str,
) -> None:
    engine = create_engine(pg_db_url)
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = create_engine(pg_db_url)
        try:  # the server ends it, as a restart would
            async with admin.connect() as other:
                await other.execute(text(f"SELECT pg_terminate_backend({before})"))
        finally:
            await admin.dispose()
        await asyncio.sleep(0.05)
        with pytest.raises(DBAPIError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert info.value.connection_invalidated
        assert classify_error(info.value) == "database"  # the update's one apology
        async with engine.connect() as conn:
            after = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    finally:
        await engine.dispose()
    assert after != before
