"""SQLite's statements on the event loop's thread; only a wait for a lock goes to a thread.

aiosqlite runs every call (each execute, fetch and commit) on a worker thread and wakes
the event loop with the answer. A statement of this bot takes tens of microseconds, less
than that hand-off: on the bench, a press's eight or so hand-offs were a third of the
bot's CPU on SQLite (``bench/README.md``, issue 17). ``InlineConnection`` makes the calls
on the loop's thread instead.

What must never run there is a wait. SQLite's busy handler sleeps while another process
holds the write lock (a backup, a sqlite3 shell in a transaction), and on the loop's
thread that sleep would freeze every user. So the connection's own busy timeout is 0: a
statement that meets the lock fails at once with SQLITE_BUSY, having done nothing, and
runs again on aiosqlite's worker thread with the wait the engine asks for
(``busy_wait_ms``, which ``db.engine``'s lock watch sets per checkout), while the loop
goes on serving everyone else.

Only calls that start a statement are run again (execute, executemany, commit): a fetch
that met the lock half-way could not be resumed, and in WAL mode a read never waits for
a writer, so it does not happen in this bot.

Nor a wait on the disk. With ``synchronous=NORMAL`` in WAL mode a commit only appends
to the WAL; the fsyncs come with checkpoints, which copy the WAL into the database file.
SQLite runs one inside a commit once the WAL passes 1,000 pages; here that automatic
checkpoint is off (``db.engine`` sets ``wal_autocheckpoint=0``) and the connection runs
one on the worker thread after every ``CHECKPOINT_EVERY`` written transactions (about
as often: a press writes a handful of pages). Closing, which checkpoints too, is on the
thread as well. (Handing every commit to the thread instead cost about 1 ms an update
on the bench.)
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from functools import partial
from sqlite3 import SQLITE_BUSY
from typing import Any

import aiosqlite

# Calls that begin a statement or a commit: after SQLITE_BUSY they did nothing and can run
# again (by the name of the sqlite3 method aiosqlite was asked to run).
_RUN_AGAIN = frozenset({"execute", "executemany", "executescript", "commit"})
# Rows aiosqlite fetches per step when iterating a cursor (its own default).
_ITER_CHUNK = 64
# Written transactions between two WAL checkpoints (on the worker thread).
CHECKPOINT_EVERY = 200
# How long SQLite waits for another writer's lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000

log = logging.getLogger(__name__)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread unless they must wait.

    One caller at a time, as SQLAlchemy's pool hands a connection to one session: the
    inline calls and the worker thread's never overlap.
    """

    # How long a statement that met another process's lock waits for it (ms); 0: it fails
    # at once. Set on each checkout by db.engine's _SqliteLockWatch.
    busy_wait_ms: int = SQLITE_BUSY_TIMEOUT_MS
    _commits = 0  # written transactions since the last checkpoint

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        name = name_of(fn)
        if name == "close" and getattr(fn, "__self__", None) is self._connection:
            # The connection's own close (the last one checkpoints the WAL) goes to the
            # thread; a cursor's close, after every statement, does not.
            return await self._on_thread(fn, *args, **kwargs)
        wrote = name == "commit" and self._connection.in_transaction
        result = await self._inline(fn, *args, **kwargs)
        if wrote:
            self._commits += 1
            if self._commits >= CHECKPOINT_EVERY:
                self._commits = 0
                await self._on_thread(self._checkpoint)
        return result

    async def _inline(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` here; if it met another process's lock, again on the thread, waiting."""
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not (_is_busy(error) and self.busy_wait_ms > 0 and name_of(fn) in _RUN_AGAIN):
                raise
        return await self._on_thread(self._waiting, fn, args, kwargs)

    async def _on_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """aiosqlite's own way: run ``fn`` on the worker thread and await its result."""
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def _waiting(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        """Run ``fn`` with SQLite's busy wait on (on the worker thread), then turn it off."""
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_wait_ms)}")
        try:
            return fn(*args, **kwargs)
        finally:
            connection.execute("PRAGMA busy_timeout=0")

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file (on the worker thread), never waiting."""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # the next one catches up; the commit stands
            log.warning("WAL checkpoint failed (%s)", type(error).__name__)


def connect_inline(database: str, **kwargs: Any) -> InlineConnection:
    """Open ``database`` for SQLAlchemy's aiosqlite dialect (its ``async_creator_fn``).

    The sqlite3 connection is shared by the loop's thread and the worker thread (never at
    the same time), and never waits for a lock by itself.
    """
    kwargs["check_same_thread"] = False
    kwargs["timeout"] = 0
    connection = InlineConnection(partial(sqlite3.connect, database, **kwargs), _ITER_CHUNK)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection


def use_inline_connections(
    _dialect: Any, _record: Any, _cargs: list[Any], cparams: dict[str, Any]
) -> None:
    """SQLAlchemy's ``do_connect`` event: connect with ``connect_inline``."""
    cparams["async_creator_fn"] = connect_inline


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == SQLITE_BUSY


def name_of(fn: Callable[..., Any]) -> str:
    """The name of the sqlite3 method aiosqlite was asked to run."""
    return getattr(fn, "__name__", "")
