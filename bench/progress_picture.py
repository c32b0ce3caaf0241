"""Benchmark 5, the /progress trend picture: drawing time and what matplotlib costs in memory.

* Drawing time, p50 and p95 over ``--draws`` draws (20 by default) of the whole /progress
  picture (trend above the 8-week heatmap, PNG encoded) for an 8-week and a 52-week
  history of check-ins with three phase changes, and of the trend alone.
* Resident memory (VmRSS) of a fresh Python process, in order: bare; with the bot's
  modules imported (``bot.app`` and every handler: what a running bot has loaded, still
  without matplotlib, which the picture module imports only when it draws); after the
  first draw (matplotlib loaded); after all the draws; and the peak (VmHWM).

The measuring runs in a child process (``--child``), so nothing the benchmark itself
imports counts. ``python -m bench.progress_picture [--draws 20]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

from bench.common import Table, emit, log, percentile, print_machine, proc_status

HISTORIES = (8, 52)


def _rss_mb() -> float:
    return proc_status().get("VmRSS", 0) / 1024


def _history(weeks: int) -> tuple[Any, date]:
    """A plausible history: pain and function easing with wobbles, three phase changes."""
    from bot.coach.trend import PhaseMark, Point, trend_series
    from bot.coach.triage import Phase

    start = date(2025, 3, 3)
    wobble = (0, 1, -1, 0, 1, 0, -1)
    points = [
        Point(
            start + timedelta(weeks=i),
            max(0, min(10, 7 - (5 * i) // max(weeks, 1) + wobble[i % 7])),
            max(0, min(10, 8 - (6 * i) // max(weeks, 1) + wobble[(i + 3) % 7])),
        )
        for i in range(weeks + 1)
    ]
    marks = [
        PhaseMark(start + timedelta(days=weeks * 7 // 3), Phase.GENTLE, Phase.BUILDING),
        PhaseMark(start + timedelta(days=weeks * 7 // 2), Phase.BUILDING, Phase.GENTLE),
        PhaseMark(start + timedelta(days=weeks * 7 * 3 // 4), Phase.GENTLE, Phase.BUILDING),
    ]
    return trend_series(points, marks), points[-1].on


def child(draws: int) -> dict[str, Any]:
    """Measure in this (fresh) process; return the figures."""
    figures: dict[str, Any] = {"rss_bare_mb": _rss_mb()}
    import bot.app
    import bot.handlers
    import bot.pictures.trend

    assert bot.app and bot.handlers
    figures["matplotlib_at_start"] = "matplotlib" in sys.modules
    figures["rss_bot_loaded_mb"] = _rss_mb()
    from bot.pictures.heatmap import calendar_words
    from bot.pictures.trend import render_progress, render_trend, trend_labels
    from content.loader import load_library

    library = load_library()
    words, labels = calendar_words(library), trend_labels(library)
    counts_for = {weeks: _history(weeks) for weeks in HISTORIES}
    series, today = counts_for[8]
    counts = {today - timedelta(days=d): 1 + d % 3 for d in range(0, 56, 2)}
    started = time.perf_counter()
    first = render_progress(series, counts, today, 8, words, labels)
    figures["first_draw_s"] = time.perf_counter() - started
    figures["rss_after_first_mb"] = _rss_mb()
    rows = []
    for weeks in HISTORIES:
        series, today = counts_for[weeks]
        counts = {today - timedelta(days=d): 1 + d % 3 for d in range(0, 56, 2)}
        for what, draw in (
            (
                "/progress picture",
                lambda s=series, t=today, c=counts: render_progress(s, c, t, 8, words, labels),
            ),
            ("trend alone", lambda s=series: render_trend(s, labels)),
        ):
            times, size = [], 0
            for _ in range(draws):
                started = time.perf_counter()
                size = len(draw())
                times.append(time.perf_counter() - started)
            rows.append(
                {
                    "history": f"{weeks} weeks ({weeks + 1} check-ins)",
                    "what": what,
                    "p50_s": percentile(times, 50),
                    "p95_s": percentile(times, 95),
                    "bytes": size,
                }
            )
    figures["rows"] = rows
    figures["draws"] = draws * 2 * len(HISTORIES) + 1
    figures["rss_after_draws_mb"] = _rss_mb()
    figures["peak_rss_mb"] = proc_status().get("VmHWM", 0) / 1024
    figures["first_bytes"] = len(first)
    return figures


def _status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of another process, in MB."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


def worker_child(draws: int) -> dict[str, Any]:
    """The bot's way: its process hands the drawing to the worker; measure both processes."""
    import asyncio

    import bot.app
    import bot.handlers
    from bot.pictures.worker import DrawingWorker
    from content.loader import load_library

    assert bot.app and bot.handlers
    figures: dict[str, Any] = {"rss_bot_loaded_mb": _rss_mb()}
    series, today = _history(8)
    counts = {today - timedelta(days=d): 1 + d % 3 for d in range(0, 56, 2)}
    worker = DrawingWorker()
    library = load_library()

    async def run() -> list[float]:
        times = []
        for _ in range(draws):
            started = time.perf_counter()
            await worker.progress(series, counts, today, 8, library)
            times.append(time.perf_counter() - started)
        return times

    times = asyncio.run(run())
    pid = worker.pid
    worker_mem = _status_mb(pid) if pid else {}
    figures["first_s"] = times[0]
    figures["p50_s"] = percentile(times[1:], 50)
    figures["p95_s"] = percentile(times[1:], 95)
    figures["bot_rss_mb"] = _rss_mb()
    figures["bot_peak_mb"] = proc_status().get("VmHWM", 0) / 1024
    figures["worker_rss_mb"] = worker_mem.get("VmRSS", 0.0)
    figures["worker_peak_mb"] = worker_mem.get("VmHWM", 0.0)
    figures["matplotlib_in_bot"] = "matplotlib" in sys.modules
    worker.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the child, print the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.progress_picture", description=__doc__)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.draws)))
        return
    if args.worker_child:
        print(json.dumps(worker_child(args.draws)))
        return
    print_machine()
    out = subprocess.run(
        [sys.executable, "-m", "bench.progress_picture", "--child", "--draws", str(args.draws)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    log(f"progress picture: {figures}")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.progress_picture",
            "--worker-child",
            "--draws",
            str(args.draws),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    split = json.loads(out.stdout.strip().splitlines()[-1])
    log(f"progress picture through the worker: {split}")
    figures["through_worker"] = split
    tables = [
        Table(
            f"/progress trend picture: drawing time ({args.draws} draws each)",
            ["history", "picture", "p50", "p95", "PNG size"],
            [
                [
                    r["history"],
                    r["what"],
                    f"{r['p50_s'] * 1000:.0f} ms",
                    f"{r['p95_s'] * 1000:.0f} ms",
                    f"{r['bytes'] / 1024:.0f} KiB",
                ]
                for r in figures["rows"]
            ],
        ),
        Table(
            "/progress trend picture: resident memory of one process",
            ["moment", "RSS"],
            [
                ["bare Python", f"{figures['rss_bare_mb']:.0f} MB"],
                [
                    "bot modules imported (matplotlib loaded: "
                    f"{'yes' if figures['matplotlib_at_start'] else 'no'})",
                    f"{figures['rss_bot_loaded_mb']:.0f} MB",
                ],
                [
                    f"after the first draw ({figures['first_draw_s'] * 1000:.0f} ms,"
                    " matplotlib imported)",
                    f"{figures['rss_after_first_mb']:.0f} MB",
                ],
                [f"after {figures['draws']} draws", f"{figures['rss_after_draws_mb']:.0f} MB"],
                ["peak (VmHWM)", f"{figures['peak_rss_mb']:.0f} MB"],
            ],
        ),
        Table(
            f"/progress as the bot draws it: in the worker process ({args.draws} pictures)",
            ["what", "figure"],
            [
                ["first picture (worker spawned)", f"{split['first_s'] * 1000:.0f} ms"],
                [
                    "later pictures p50 / p95",
                    f"{split['p50_s'] * 1000:.0f} / {split['p95_s'] * 1000:.0f} ms",
                ],
                [
                    "bot process RSS / peak after them",
                    f"{split['bot_rss_mb']:.0f} / {split['bot_peak_mb']:.0f} MB"
                    f" (matplotlib loaded: {'yes' if split['matplotlib_in_bot'] else 'no'})",
                ],
                [
                    "worker process RSS / peak",
                    f"{split['worker_rss_mb']:.0f} / {split['worker_peak_mb']:.0f} MB",
                ],
            ],
        ),
    ]
    emit(tables, "progress_picture", figures)


if __name__ == "__main__":
    main()
