"""Fixes the benchmarks can try on the bot before they are made (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change; once the change is
in the bot, its patch goes (the aiohttp transport, the file-id memo, the lean workout
load, the smooth limiter, the time-bounded job, the batch "sending" mark and the bulk
record were measured here first and are now in bot/ and db/).

* ``sqlite_one_connection``: on SQLite, a pool of one connection, so transactions queue
  in the bot instead of colliding in SQLite, whose busy handler then sleeps for 1 to
  100 ms at a time (the long tail of the press latency).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _sqlite_one_connection() -> None:
    import bot.app
    import db.engine

    original = db.engine.create_engine

    def create_engine(url: str, **kwargs: Any) -> Any:
        if url.startswith("sqlite") and "poolclass" not in kwargs and ":memory:" not in url:
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        return original(url, **kwargs)

    db.engine.create_engine = create_engine
    bot.app.create_engine = create_engine  # type: ignore[attr-defined]


PATCHES: dict[str, Callable[[], None]] = {
    "sqlite_one_connection": _sqlite_one_connection,
}


def apply_patches(names: list[str]) -> None:
    """Apply the named patches in order; an unknown name stops the run."""
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown patch {name!r}; known: {', '.join(sorted(PATCHES))}")
        PATCHES[name]()
