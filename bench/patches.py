"""Fixes the benchmarks can try on the bot before they are made (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change; once the change is
in the bot, its patch goes (``sqlite-inline`` went into ``db/sqlite_inline.py``). One is
here now: ``no-freeze`` (the bot without ``gc.freeze``, to compare).
"""

from __future__ import annotations

from collections.abc import Callable


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


PATCHES: dict[str, Callable[[], None]] = {"no-freeze": _no_freeze}
