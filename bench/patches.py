"""Fixes the benchmarks can try on the bot before they are made (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change; once the change is
in the bot, its patch goes (``sqlite-inline`` went into ``db/sqlite_inline.py``). Two are
here now: ``no-freeze`` (the bot without ``gc.freeze``, to compare) and ``stall-log``, which
changes nothing but looks for the bot's pauses: it writes every garbage collection over
2 ms (and every full one), every event-loop stall over 20 ms and every update that took
over 25 ms to the bot's log (``test-artifacts/bench/bot-*.log``, lines ``STALL``).
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


def _stall_log() -> None:
    """The bot's pauses in its log: slow garbage collections, loop stalls, slow updates."""
    import asyncio
    import gc
    import sys
    import time

    collection_began = [0.0]
    tasks: list[asyncio.Task[None]] = []  # the probe, held so it is not collected

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collection_began[0] = time.perf_counter()
            return
        took = (time.perf_counter() - collection_began[0]) * 1000
        if took > 2 or info["generation"] == 2:
            print(
                f"STALL gc gen {info['generation']} {took:.1f} ms at {time.time():.3f}"
                f" collected {info['collected']}",
                file=sys.stderr,
            )

    gc.callbacks.append(on_gc)

    async def probe() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lag = (time.perf_counter() - before - 0.005) * 1000
            if lag > 20:
                print(f"STALL loop {lag:.1f} ms at {time.time():.3f}", file=sys.stderr)

    import bot.app
    import bot.updates

    handle = bot.updates.PerChatUpdateProcessor.do_process_update

    async def timed(self: object, update: object, coroutine: object) -> None:
        started = time.perf_counter()
        await handle(self, update, coroutine)  # type: ignore[arg-type]
        took = (time.perf_counter() - started) * 1000
        if took > 25:
            kind = "press" if getattr(update, "callback_query", None) else "other"
            print(f"STALL update {kind} {took:.1f} ms at {time.time():.3f}", file=sys.stderr)

    bot.updates.PerChatUpdateProcessor.do_process_update = timed  # type: ignore[method-assign]
    settle = bot.app.settle_heap

    def settle_and_probe() -> None:
        settle()
        tasks.append(asyncio.get_running_loop().create_task(probe()))

    bot.app.settle_heap = settle_and_probe


PATCHES: dict[str, Callable[[], None]] = {"no-freeze": _no_freeze, "stall-log": _stall_log}
