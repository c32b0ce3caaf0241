"""Benchmark 4, pictures: drawing the cards, and what sending them uploads.

* Time to render every exercise card once into an empty cache (what the first start of a
  deployment does), to find them all in a warm cache (every later start), and to draw one
  /progress heatmap (drawn per request, never cached).
* Bytes uploaded: users step through /today and /stretch against the real bot (its own
  process) on a fresh database: the first send of each card uploads it, every later send
  should go by file id; then the bot restarts on the same database and more users do the
  same (the file ids live in the database). /progress pictures are per user and are
  uploaded each time; their size is shown too.

``python -m bench.pictures [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.botproc import BotConfig
from bench.common import T0, Table, emit, log, print_machine
from bench.crowd import Crowd
from bench.fill import FillSpec, user_id, working_copy
from bench.proc import BotProcess
from bench.server import TimedServer


def render_times() -> dict[str, float]:
    """Cold and warm card rendering, and one heatmap."""
    from bot.pictures import CardRenderer, render_heatmap
    from bot.pictures.heatmap import calendar_words
    from content.loader import load_library

    library = load_library()
    with tempfile.TemporaryDirectory(prefix="lumbar-cards-") as folder:
        renderer = CardRenderer(library, Path(folder))
        started = time.perf_counter()
        paths = renderer.render_all()
        cold = time.perf_counter() - started
        sizes = [path.stat().st_size for path in paths.values()]
        warm_renderer = CardRenderer(library, Path(folder))
        started = time.perf_counter()
        warm_renderer.render_all()
        warm = time.perf_counter() - started
    days = {T0.date() - timedelta(days=d): 1 for d in range(0, 50, 2)}
    started = time.perf_counter()
    heatmap = render_heatmap(days, T0.date(), 8, calendar_words(library))
    heat = time.perf_counter() - started
    return {
        "cards": len(paths),
        "cold_seconds": cold,
        "warm_seconds": warm,
        "drawn_cold": renderer.renders,
        "drawn_warm": warm_renderer.renders,
        "card_bytes_total": sum(sizes),
        "card_bytes_mean": sum(sizes) / len(sizes),
        "heatmap_seconds": heat,
        "heatmap_bytes": len(heatmap),
    }


async def sessions(server: TimedServer, first: int, count: int, command: str) -> dict[str, Any]:
    """``count`` users, one after another, each doing a whole session; what was uploaded."""
    watch = server.watch
    watch.reset()
    crowd = Crowd(server, iter(user_id(i) for i in range(first, first + count)))
    crowd.command = command
    crowd.spawn_limit = count
    done_before = crowd.figures.sessions_done
    task = asyncio.create_task(crowd.closed_loop(1, 600.0))
    deadline = time.perf_counter() + 120
    while crowd.figures.sessions_done - done_before < count:
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    task.cancel()
    crowd.stop()
    await server.settle(quiet=0.3, timeout=15)
    return {
        "sessions": crowd.figures.sessions_done - done_before,
        "photos": watch.methods.get("sendphoto", 0),
        "uploads": watch.uploads,
        "bytes": watch.upload_bytes,
        "reuploads": watch.reuploads,
        "reupload_bytes": watch.reupload_bytes,
    }


async def progress_uploads(server: TimedServer, first: int, count: int) -> dict[str, Any]:
    """``count`` users who have a finished session ask for /progress (a heatmap each)."""
    server.watch.reset()
    for index in range(first, first + count):
        server.send_text(user_id(index), "/progress")
    await server.settle(quiet=0.5, timeout=30)
    return {
        "photos": server.watch.methods.get("sendphoto", 0),
        "uploads": server.watch.uploads,
        "bytes": server.watch.upload_bytes,
        "reuploads": server.watch.reuploads,
        "reupload_bytes": server.watch.reupload_bytes,
    }


async def uploads(users: int) -> list[dict[str, Any]]:
    """First and later sends of cards, across a restart of the bot."""
    spec = FillSpec("pictures", users=4 * users + 10)
    copy = await working_copy(spec, "sqlite", "pictures")
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="lumbar-cards-") as cache:
            async with TimedServer(keep_calls=False) as server:
                config = BotConfig(
                    base_url=server.base_url,
                    db_url=copy.url,
                    clock=T0.isoformat(),
                    cache_dir=cache,
                    rate_limit=None,
                )
                steps = [
                    ("first user, /today", 0, 1, "/today"),
                    ("first user, /stretch", 0, 1, "/stretch"),
                    (f"{users} more users, /today", 1, users, "/today"),
                    (f"{users} more users, /stretch", 1, users, "/stretch"),
                ]
                async with BotProcess(config, "pictures-1"):
                    for step, first, count, command in steps:
                        figures = await sessions(server, first, count, command)
                        rows.append({"step": step, **figures})
                    figures = await progress_uploads(server, 1, users)
                    rows.append({"step": f"/progress for {users} users", **figures})
                async with BotProcess(config, "pictures-2"):
                    for command in ("/today", "/stretch"):
                        figures = await sessions(server, users + 1, users, command)
                        step = f"after a restart: {users} users, {command}"
                        rows.append({"step": step, **figures})
    finally:
        await copy.drop()
    for row in rows:
        log(f"pictures: {row}")
    return rows


async def main_async(quick: bool) -> None:
    """Run both parts and print the tables."""
    print_machine()
    times = await asyncio.to_thread(render_times)
    log(f"render: {times}")
    rows = await uploads(3 if quick else 10)
    tables = [
        Table(
            "Card pictures: drawing",
            ["what", "time", "detail"],
            [
                [
                    f"render all {times['cards']} cards, empty cache",
                    f"{times['cold_seconds']:.2f} s",
                    f"{times['cold_seconds'] / max(1, times['cards']) * 1000:.0f} ms a card,"
                    f" {times['card_bytes_mean'] / 1024:.0f} KiB a card",
                ],
                [
                    "find all cards, warm cache (every later start)",
                    f"{times['warm_seconds'] * 1000:.1f} ms",
                    f"{times['drawn_warm']} drawn",
                ],
                [
                    "one /progress heatmap (drawn per request)",
                    f"{times['heatmap_seconds'] * 1000:.0f} ms",
                    f"{times['heatmap_bytes'] / 1024:.0f} KiB",
                ],
            ],
        ),
        Table(
            "Bytes uploaded when sending pictures",
            [
                "step",
                "sessions",
                "photos sent",
                "uploads",
                "bytes uploaded",
                "same picture uploaded again",
                "bytes of those",
            ],
            [
                [
                    r["step"],
                    r.get("sessions", "-"),
                    r["photos"],
                    r["uploads"],
                    f"{r['bytes']:,}",
                    r["reuploads"],
                    f"{r['reupload_bytes']:,}",
                ]
                for r in rows
            ],
        ),
    ]
    emit(tables, "pictures", {"render": times, "uploads": rows})


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.pictures", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.quick))


if __name__ == "__main__":
    main()
