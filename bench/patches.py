"""Fixes the benchmarks can try on the bot before they are made (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change; once the change is
in the bot, its patch goes. Two are here now: ``sqlite-inline`` (SQLite's statements on
the event loop's thread, no hand-off to aiosqlite's: 2.80 instead of 4.44 ms an update,
not adopted, see bench/README.md) and ``no-freeze`` (the bot without ``gc.freeze``, to
compare).
"""

from __future__ import annotations

from collections.abc import Callable


def _sqlite_inline() -> None:
    """SQLite statements run on the event loop's thread instead of aiosqlite's worker.

    Measures what the hand-off to aiosqlite's thread and back costs per statement.
    """
    from typing import Any

    import aiosqlite.core as core

    async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self: Any) -> Any:
        if self._connection is None:
            self._connection = self._connector()
        return self

    core.Connection._execute = _execute  # type: ignore[method-assign]
    core.Connection._connect = _connect  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {"sqlite-inline": _sqlite_inline}


def apply_patches(names: list[str]) -> None:
    """Apply the named patches in order; an unknown name stops the run."""
    for name in names:
        if name not in PATCHES:
            known = ", ".join(sorted(PATCHES)) or "none"
            raise SystemExit(f"unknown patch {name!r}; known: {known}")
        PATCHES[name]()


def _no_freeze() -> None:
    """The bot without ``gc.freeze`` at start (``bot.app.settle_heap``), to compare."""
    import bot.app

    bot.app.settle_heap = lambda: None


PATCHES["no-freeze"] = _no_freeze
