"""Fixes the benchmarks can try on the bot before the lead applies them (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change, then it goes.
"""

from __future__ import annotations

from collections.abc import Callable

PATCHES: dict[str, Callable[[], None]] = {}


def apply_patches(names: list[str]) -> None:
    """Apply the named patches in order; an unknown name stops the run."""
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown patch {name!r}; known: {', '.join(sorted(PATCHES))}")
        PATCHES[name]()
