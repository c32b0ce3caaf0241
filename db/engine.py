"""Engines and sessions for SQLite (one process, a file) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
import weakref
from sqlite3 import SQLITE_BUSY
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from db.sqlite_inline import SQLITE_BUSY_TIMEOUT_MS, InlineConnection, use_inline_connections

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///lumbar.sqlite3"

# How long each transaction queued on the bot's one SQLite connection waits for the
# write lock once a wait of SQLITE_BUSY_TIMEOUT_MS ran out, until a write gets through
# (milliseconds): the lock is then held elsewhere for long (see _SqliteLockWatch).
SQLITE_LOCKED_BUSY_TIMEOUT_MS = 0
# PostgreSQL: every wait on the server or the network ends. Without these a server that
# goes silent (a network dropping packets, no reset) held a query, and with it a user's
# update, the nudge job and shutdown, for good (issue 16). All can be set in the URL
# (``?command_timeout=2&statement_timeout=1500``); those values win.
# Seconds asyncpg waits for a connection before the database counts as unreachable; a
# healthy server (TCP, TLS, SCRAM) answers in well under a second.
PG_CONNECT_TIMEOUT_S = 5.0
# Seconds asyncpg waits for the answer to any one command (the pool's ping included).
# The bot's statements take milliseconds (bench/: p99 under 0.2 s at saturation), so
# only a silent server or network reaches this; the connection is then discarded.
PG_COMMAND_TIMEOUT_S = 5.0
# The server cancels a statement at this share of the command timeout: a merely slow
# statement (a lock wait) then ends with a clean error on a connection that stays usable,
# before the client gives up on the connection.
PG_STATEMENT_TIMEOUT_SHARE = 0.8
# The bot waits on nothing but the database inside a transaction (Telegram calls come
# after it), so one idle this long belongs to a client that died or was cut off: the
# server ends it, freeing its row locks for the users and the dispatcher (milliseconds).
PG_IDLE_IN_TRANSACTION_MS = 15_000
# Connections the pool keeps open, and no more: an update past them waits for one (in
# this process, microseconds) rather than opening a connection it drops again at the
# end (issue 17: at saturation, 5 kept and 10 more on demand opened 6 a second, each a
# server process and statements to prepare again).
PG_POOL_SIZE = 20
# A connection back in the pool for less than this many seconds is handed out without
# the pre-ping, which costs three round trips (asyncpg's ping is BEGIN, a statement and
# a ROLLBACK): 4 % of the bot's CPU at saturation (issue 17). A connection that died in
# that moment fails its statement instead, and SQLAlchemy then drops the pool's older
# connections as the ping would have; the most recently returned is handed out first.
PG_PING_IDLE_S = 1.0
# Seconds an update waits for a free pooled connection before it gets the apology; every
# holder is itself bounded by the timeouts above.
PG_POOL_TIMEOUT_S = 10.0
# TCP keepalive on both ends: an idle connection is probed after 30 s, then every 10 s,
# and dropped after 3 unanswered probes, so a peer that vanished (a NAT that forgot us, a
# server that died) is noticed in about a minute, by the server too, whose sessions and
# locks are then freed. The kernel drops a connection whose sent data stays
# unacknowledged for TCP_USER_TIMEOUT. Neither helps when a middlebox acknowledges and
# then drops (a proxy that stops forwarding): the command timeout is what bounds that.
TCP_KEEPALIVE_IDLE_S = 30
TCP_KEEPALIVE_INTERVAL_S = 10
TCP_KEEPALIVE_COUNT = 3
TCP_USER_TIMEOUT_MS = 30_000
# Seconds shutdown waits for pooled connections to close politely: asyncpg's close has no
# timeout of its own, so one to a silent server held the process at exit for good.
DISPOSE_TIMEOUT_S = 3.0

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# Each PostgreSQL engine's _Silence, for dispose_within.
_SILENCES: weakref.WeakKeyDictionary[Engine, _Silence] = weakref.WeakKeyDictionary()

# What else a PostgreSQL URL may carry after "?" (with _URL_SECONDS and
# _URL_SERVER_SETTINGS below), by asyncpg's names; libpq's spellings are translated.
# asyncpg refuses anything else only when connecting, so `check_url` does it up front.
_LIBPQ_NAMES = {"sslmode": "ssl", "connect_timeout": "timeout"}
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SESSION_ATTRS = ("any", "primary", "standby", "read-write", "read-only", "prefer-standby")
# Passed on as text (SQLAlchemy makes prepared_statement_cache_size a number itself).
_URL_TEXT = ("passfile", "krbsrvname", "gsslib")
# asyncpg.connect() arguments that may come in the URL (seconds), and server settings.
_URL_SECONDS = ("timeout", "command_timeout")
_URL_SERVER_SETTINGS = ("statement_timeout", "idle_in_transaction_session_timeout")

log = logging.getLogger(__name__)


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
    if name == "postgresql":
        # libpq spells them sslmode and connect_timeout; asyncpg takes the same values.
        for libpq, asyncpg in _LIBPQ_NAMES.items():
            if libpq in parsed.query:
                value = parsed.query[libpq]
                parsed = parsed.difference_update_query([libpq])
                if asyncpg not in parsed.query:
                    parsed = parsed.update_query_dict({asyncpg: value})
    return parsed.render_as_string(hide_password=False)


def check_url(url: str) -> None:
    """Refuse a URL the bot could not connect with; the message follows the variable's name.

    Raises ValueError naming the driver or the option, never a value from the URL.
    """
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError("must be a sqlite:// or postgresql:// URL")
    if parsed.drivername != _ASYNC_DRIVERS[backend]:
        raise ValueError(
            f"must use an async driver: {_ASYNC_DRIVERS[backend]}:// (or plain {backend}://)"
        )
    if backend == "postgresql":
        for name, value in make_url(url).query.items():
            _check_pg_option(name, value)


def _check_pg_option(name: str, value: str | tuple[str, ...]) -> None:
    """One option of a PostgreSQL URL, as the user spelled it."""
    if not isinstance(value, str):
        raise ValueError(f"option {name} is given more than once")
    kind = _LIBPQ_NAMES.get(name, name)
    if kind == "ssl":
        if value not in _SSL_MODES:
            raise ValueError(f"option {name} must be one of {', '.join(_SSL_MODES)}")
    elif kind == "target_session_attrs":
        if value not in _SESSION_ATTRS:
            raise ValueError(f"option {name} must be one of {', '.join(_SESSION_ATTRS)}")
    elif kind in _URL_SECONDS:
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"option {name} must be a number of seconds")
    elif kind == "prepared_statement_cache_size":
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"option {name} must be a whole number")
    elif kind not in (*_URL_SERVER_SETTINGS, *_URL_TEXT):
        raise ValueError(f"option {name} is not supported")


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _set_sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    """Turn on WAL and foreign keys (for ON DELETE CASCADE) on every connection.

    The connection itself never waits for a lock or the disk (its statements run on the
    event loop's thread, see db.sqlite_inline, which opens it with no busy timeout): one
    that meets another process's lock waits up to SQLITE_BUSY_TIMEOUT_MS on aiosqlite's
    thread, and the WAL is checkpointed there too.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run on a thread
    finally:
        cursor.close()
    _set_busy_wait(dbapi_connection, record, SQLITE_BUSY_TIMEOUT_MS)


def _set_busy_wait(dbapi_connection: Any, record: Any, wait_ms: int) -> None:
    """How long the connection's statements wait for another process's write lock."""
    driver = dbapi_connection.driver_connection
    if isinstance(driver, InlineConnection):
        driver.busy_wait_ms = wait_ms
    record.info["busy_timeout_ms"] = wait_ms


def create_engine(
    url: str, *, one_sqlite_connection: bool = False, query_timeouts: bool = True, **kwargs: Any
) -> AsyncEngine:
    """Build the async engine with the per-backend settings the bot relies on.

    ``one_sqlite_connection`` (the bot's own engine): SQLite has one writer, and pooled
    connections that collide meet its busy handler, which sleeps 1-100 ms at a time; one
    connection makes transactions queue in the process instead (the saturated p99 of a
    press fell from 2.6 s to 0.95 s in bench/). It must never hold one session open while
    waiting for another, which the bot never does (each step opens, uses, closes).

    ``query_timeouts=False`` (migrations): no command or statement timeout of ours, as a
    schema change may run for minutes or wait for another process's migration lock.
    Connecting, and whatever the URL sets, stay bounded.
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
        event.listen(engine.sync_engine, "do_connect", use_inline_connections)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        if one_sqlite_connection and not _is_memory_sqlite(parsed):
            _SqliteLockWatch().watch(engine)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", PG_POOL_SIZE)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_use_lifo", True)
            kwargs.setdefault("pool_recycle", 1800)
            kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT_S)
        if parsed.get_driver_name() == "asyncpg":
            parsed, kwargs["connect_args"] = asyncpg_connect_args(
                parsed, kwargs.pop("connect_args", None), query_timeouts=query_timeouts
            )
            engine = create_async_engine(parsed, **kwargs)
            _discard_silent_connections(engine)
            return engine
    return create_async_engine(parsed, **kwargs)


def asyncpg_connect_args(
    url: URL, given: dict[str, Any] | None = None, *, query_timeouts: bool = True
) -> tuple[URL, dict[str, Any]]:
    """asyncpg's connect() arguments: bounds on every wait, the URL's own values first.

    Returns the URL without the options moved into the arguments (SQLAlchemy would pass
    them on as text). ``given`` (the caller's ``connect_args``) wins over both.
    """
    args = dict(given or {})
    server = dict(args.pop("server_settings", None) or {})
    for name in _URL_SECONDS:
        if isinstance(value := url.query.get(name), str):
            args.setdefault(name, float(value))
    for name in _URL_SERVER_SETTINGS:
        if isinstance(value := url.query.get(name), str):
            server.setdefault(name, value)
    url = url.difference_update_query([*_URL_SECONDS, *_URL_SERVER_SETTINGS])
    args.setdefault("timeout", PG_CONNECT_TIMEOUT_S)
    if query_timeouts:
        command = float(args.setdefault("command_timeout", PG_COMMAND_TIMEOUT_S))
        statement_ms = max(1, round(command * 1000 * PG_STATEMENT_TIMEOUT_SHARE))
        server.setdefault("statement_timeout", str(statement_ms))
        server.setdefault("idle_in_transaction_session_timeout", str(PG_IDLE_IN_TRANSACTION_MS))
    server.setdefault("tcp_keepalives_idle", str(TCP_KEEPALIVE_IDLE_S))
    server.setdefault("tcp_keepalives_interval", str(TCP_KEEPALIVE_INTERVAL_S))
    server.setdefault("tcp_keepalives_count", str(TCP_KEEPALIVE_COUNT))
    args["server_settings"] = server
    return url, args


def _discard_silent_connections(engine: AsyncEngine) -> None:
    """Never reuse a connection that timed out, and stop waiting on the ones it left behind.

    asyncpg ends a wait with a bare ``TimeoutError``, which SQLAlchemy counts neither as a
    lost connection after a statement (it went back to the pool, its cancel pending) nor
    in the pool's pre-ping (the error reached the update instead of a fresh connection).
    Here a timeout invalidates the connection and the pool's older ones (a silent server
    or network has them all), a ping that times out makes the pool connect afresh, and
    such connections are aborted rather than closed: a polite close waits up to 2 s
    (SQLAlchemy's terminate) or for ever (dispose) for a goodbye nobody sends.
    """
    silence = _SILENCES[engine.sync_engine] = _Silence()
    sync_engine = engine.sync_engine
    event.listen(sync_engine, "connect", silence.on_connect)
    event.listen(sync_engine, "handle_error", silence.on_error)
    event.listen(sync_engine, "close", silence.on_close)
    event.listen(sync_engine, "invalidate", silence.on_invalidate)
    event.listen(sync_engine, "checkin", silence.on_checkin)
    dialect = sync_engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        if silence.in_use_just_now(dbapi_connection):
            return True
        try:
            return ping(dbapi_connection)
        except TimeoutError:
            silence.heard()
            _abort(dbapi_connection)
            return False  # the pool invalidates it, with the older ones, and connects afresh

    dialect.do_ping = do_ping  # type: ignore[method-assign]


class _Silence:
    """When an engine's server last went silent; connections older than that are suspect."""

    def __init__(self) -> None:
        self.since = 0.0  # time.monotonic() of the last timeout, 0 before any
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()  # asyncpg's, still open
        # When each pooled connection (asyncpg's) last went back to the pool.
        self.returned: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def heard(self) -> None:
        """A command or ping timed out just now."""
        self.since = time.monotonic()

    def abort_all(self) -> None:
        """Abort every connection still open (shutdown gave up waiting for a goodbye)."""
        self.heard()
        for driver in list(self.connections):
            _abort_driver(driver)

    def on_connect(self, dbapi_connection: Any, record: Any) -> None:
        """Note when the connection was made, and keep its socket checked by TCP."""
        record.info["lumbar_connected_at"] = time.monotonic()
        self.connections.add(dbapi_connection.driver_connection)
        _keep_alive(dbapi_connection)

    def on_checkin(self, dbapi_connection: Any, _record: Any) -> None:
        """Note when the connection went back to the pool (None: it was invalidated)."""
        if dbapi_connection is not None:
            self.returned[dbapi_connection.driver_connection] = time.monotonic()

    def in_use_just_now(self, dbapi_connection: Any) -> bool:
        """Back in the pool for under ``PG_PING_IDLE_S``, and nothing timed out since."""
        returned = self.returned.get(dbapi_connection.driver_connection)
        return (
            returned is not None
            and returned > self.since
            and (time.monotonic() - returned < PG_PING_IDLE_S)
        )

    def on_error(self, context: ExceptionContext) -> None:
        """A statement that timed out leaves its connection (and the pool's) invalid."""
        if isinstance(context.original_exception, TimeoutError):
            self.heard()
            context.is_disconnect = True

    def on_invalidate(self, dbapi_connection: Any, _record: Any, error: Any) -> None:
        """Abort a connection given up for a timeout or a cancellation, without a goodbye."""
        if isinstance(error, (TimeoutError, asyncio.CancelledError)):
            _abort(dbapi_connection)

    def on_close(self, dbapi_connection: Any, record: Any) -> None:
        """Abort a connection made before the last timeout: it may be silent too."""
        if record.info.get("lumbar_connected_at", 0.0) < self.since:
            _abort(dbapi_connection)


def _abort(dbapi_connection: Any) -> None:
    """Close an asyncpg connection at once (no Terminate message, no waiting)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None:
        _abort_driver(driver)


def _abort_driver(driver: Any) -> None:
    """asyncpg's terminate(), and its socket closed even during a polite close.

    A polite close under way makes terminate() a no-op; closing the transport ends the
    close's wait for a server that never answers.
    """
    if not driver.is_closed():
        driver.terminate()
    transport = getattr(driver, "_transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()


def _keep_alive(dbapi_connection: Any) -> None:
    """TCP keepalive and a user timeout on a new connection's socket, where the OS has them.

    asyncpg has no option for this; its transport's socket is reached through the
    connection (a private attribute, so a missing one is skipped, not an error).
    """
    transport = getattr(getattr(dbapi_connection, "driver_connection", None), "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # a Unix socket has no peer to lose
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (
            ("TCP_KEEPIDLE", TCP_KEEPALIVE_IDLE_S),
            ("TCP_KEEPINTVL", TCP_KEEPALIVE_INTERVAL_S),
            ("TCP_KEEPCNT", TCP_KEEPALIVE_COUNT),
            ("TCP_USER_TIMEOUT", TCP_USER_TIMEOUT_MS),
        ):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
    except OSError as error:
        log.debug("TCP keepalive not set: %s", type(error).__name__)


class _SqliteLockWatch:
    """The bot's one SQLite connection stops waiting while another process keeps the lock.

    A writer waits up to SQLITE_BUSY_TIMEOUT_MS for a write lock held by another process
    (a backup, a sqlite3 shell in a transaction). Transactions queue on the one
    connection, so N users sending at that time waited N busy timeouts, one after
    another. Once a wait ran out, the lock has been held for a whole timeout and is
    likely to stay: the queued transactions then wait SQLITE_LOCKED_BUSY_TIMEOUT_MS (the
    user gets the database apology at once) until a write gets through, which restores
    the full wait. The first user still waits one busy timeout, which rides out the
    ordinary short writes of others.
    """

    def __init__(self) -> None:
        self.locked = False  # a busy timeout ran out and no write got through since

    def watch(self, engine: AsyncEngine) -> None:
        """Listen on the engine's errors, writes and checkouts."""
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "handle_error", self.on_error)
        event.listen(sync_engine, "after_cursor_execute", self.on_execute)
        event.listen(sync_engine, "checkout", self.on_checkout)

    def on_error(self, context: ExceptionContext) -> None:
        """SQLITE_BUSY after the busy handler gave up: the lock is held elsewhere."""
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if code == SQLITE_BUSY:
            self.locked = True

    def on_execute(self, *args: Any) -> None:
        """A write went through, so the lock is free again."""
        context = args[4]  # (conn, cursor, statement, parameters, context, executemany)
        if not self.locked or context is None:
            return
        if context.isinsert or context.isupdate or context.isdelete:
            self.locked = False

    def on_checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        """Set the connection's busy timeout for what is known of the lock."""
        wanted = SQLITE_LOCKED_BUSY_TIMEOUT_MS if self.locked else SQLITE_BUSY_TIMEOUT_MS
        if record.info.get("busy_timeout_ms") != wanted:
            _set_busy_wait(dbapi_connection, record, wanted)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (handlers render after the transaction)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def dispose_within(engine: AsyncEngine, seconds: float = DISPOSE_TIMEOUT_S) -> None:
    """Close the engine's pooled connections politely; abort the rest after ``seconds``."""
    closing = asyncio.ensure_future(engine.dispose())
    done, _ = await asyncio.wait({closing}, timeout=seconds)
    if closing in done:
        closing.result()
        return
    log.warning("database connections not closed within %g s: aborted", seconds)
    silence = _SILENCES.get(engine.sync_engine)
    if silence is not None:
        silence.abort_all()  # the close under way returns, the others skip their goodbye
    done, _ = await asyncio.wait({closing}, timeout=1.0)
    if closing not in done:
        closing.cancel()  # leave whatever is left to the end of the process


async def check_connection(engine: AsyncEngine) -> None:
    """Fail early and clearly when the database cannot be reached."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailableError(f"cannot reach the database at {where}: {reason}") from exc
