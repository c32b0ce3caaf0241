"""Benchmark 2, nudge fan-out: many users with a nudge due in the same minute.

Fan-out: a database where every user has one nudge due within the last minute; one
``NudgeDispatcher`` (the bot's own, in the bot's process) claims, sends and records
batches until nothing is due, with the rate limiter taken out. Measured: nudges sent a
second (wall clock) and the bot process's CPU time per nudge (so the emulator's and
PostgreSQL's CPU are not counted against it, and are shown beside it).

Limiter: the real bot with its default limiter (RATE_LIMIT_PER_SECOND=25) and its real
repeating dispatcher job, against the emulator's flood control at 30 messages a second
overall and 1 a second per chat. Every user has both kinds due at once, so the same chat
is due twice. Measured: the busiest one-second window overall and per chat, the mean
rate, and how many sends the emulator refused with 429.

Job (``--job``, not in the default run): the same fan-out through the bot's real
repeating job (every NUDGE_INTERVAL_SECONDS=5) instead of a loop, to show the job's cap.

``python -m bench.nudges [--quick] [--backend sqlite|postgresql|both] [--users N] [--profile]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.botproc import BotConfig
from bench.common import (
    ARTIFACTS,
    BACKENDS,
    DATA,
    T0,
    Table,
    emit,
    log,
    postgres_cpu_seconds,
    postgres_cpu_since,
    print_machine,
    settle_collector,
)
from bench.fill import FillSpec, user_id, working_copy
from bench.proc import BotProcess
from bench.server import TimedServer, max_in_window
from bot.emulator.flood import FloodControl


@dataclass
class Options:
    """Command-line choices."""

    backends: tuple[str, ...]
    users: int
    batch: int
    limiter_users: int
    profile: bool
    patches: list[str]
    job: bool


async def fanout(backend: str, options: Options, *, profile: bool = False) -> dict[str, Any]:
    """One dispatcher, limiter off, emptying a queue of ``options.users`` due nudges."""
    users = min(options.users, 20_000) if profile else options.users
    spec = FillSpec("fanout", users=users, due_now=True)
    tag = f"{backend}{'-profile' if profile else ''}"
    copy = await working_copy(spec, backend, f"fanout_{tag}")
    try:
        async with TimedServer(keep_calls=False) as server:
            server.add_chats(range(user_id(0), user_id(users)))
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=(T0 + timedelta(seconds=5)).isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=None,
                batch_size=options.batch,
                patches=options.patches,
            )
            async with BotProcess(config, f"fanout-{tag}") as bot:
                settle_collector()
                if profile:
                    await bot.ask("profile_start")
                cpu, pg_cpu = time.process_time(), postgres_cpu_seconds()
                figures = await bot.ask("fanout", batch=options.batch, max=1200.0)
                emulator_cpu = time.process_time() - cpu
                pg_used = postgres_cpu_since(pg_cpu)
                if profile:
                    await bot.ask(
                        "profile_stop", path=str(ARTIFACTS / "profiles" / f"fanout-{backend}")
                    )
                final = await bot.ask("stats")
        figures.update(
            backend=backend,
            users=users,
            fill_seconds=copy.fill_seconds,
            emulator_cpu=emulator_cpu,
            postgres_cpu=pg_used,
            received=server.watch.methods.get("sendmessage", 0),
            bot_rss_mb=final["rss_kb"] / 1024,
        )
        wall = figures["wall"] or 1.0
        log(
            f"fan-out {tag}: {figures['sent']:,} sent in {wall:.1f} s = "
            f"{figures['sent'] / wall:.0f}/s; bot CPU"
            f" {figures['cpu'] / max(1, figures['sent']) * 1000:.2f} ms per nudge;"
            f" emulator CPU {emulator_cpu / wall:.0%}, postgres CPU {pg_used / wall:.0%}"
        )
        return figures
    finally:
        await copy.drop()


async def through_job(backend: str, options: Options) -> dict[str, Any]:
    """The real repeating job (every 5 s) instead of a loop: how fast it empties the queue."""
    users = options.users
    spec = FillSpec("fanout", users=users, due_now=True)
    copy = await working_copy(spec, backend, f"job_{backend}")
    try:
        async with TimedServer(keep_calls=False) as server:
            server.add_chats(range(user_id(0), user_id(users)))
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=(T0 + timedelta(seconds=5)).isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=None,
                nudge_interval=5.0,
                batch_size=options.batch,
                patches=options.patches,
            )
            async with BotProcess(config, f"job-{backend}"):
                deadline = time.perf_counter() + 60 + users / 100
                while server.watch.methods.get("sendmessage", 0) < users:
                    if time.perf_counter() > deadline:
                        break
                    await asyncio.sleep(0.5)
            stamps = [at for at, _ in server.watch.sends]
    finally:
        await copy.drop()
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else float("nan")
    result = {"backend": backend, "sent": len(stamps), "seconds": span, "rate": len(stamps) / span}
    log(f"job {backend}: {result}")
    return result


async def limited(backend: str, options: Options) -> dict[str, Any]:
    """The real job and the default limiter against flood control (30/s, 1/s per chat)."""
    spec = FillSpec("limiter", users=options.limiter_users, due_now=True, both_kinds=True)
    copy = await working_copy(spec, backend, f"limiter_{backend}")
    expected = 2 * options.limiter_users
    try:
        async with TimedServer(keep_calls=False) as server:
            server.add_chats(range(user_id(0), user_id(options.limiter_users)))
            server.flood = FloodControl(overall=30, per_chat=1)
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=(T0 + timedelta(seconds=5)).isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=25.0,
                nudge_interval=5.0,
                patches=options.patches,
            )
            settle_collector()
            started = time.perf_counter()
            async with BotProcess(config, f"limiter-{backend}") as bot:
                deadline = started + expected / 20 + 60
                while time.perf_counter() < deadline:
                    await asyncio.sleep(1.0)
                    if server.watch.methods.get("sendmessage", 0) >= expected:
                        break
                await bot.ask("stats")
            sends = list(server.watch.sends)
    finally:
        await copy.drop()
    stamps = [at for at, _ in sends]
    per_chat: dict[int, list[float]] = {}
    for at, chat in sends:
        if chat is not None:
            per_chat.setdefault(chat, []).append(at)
    gaps = [b - a for times in per_chat.values() for a, b in itertools.pairwise(times)]
    span = (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    result = {
        "backend": backend,
        "expected": expected,
        "delivered": len(sends),
        "refused_429": server.watch.refused_429,
        "refused_same_chat": server.watch.refused_same_chat,
        "max_per_second": max_in_window(stamps),
        "max_per_chat_second": max((max_in_window(t) for t in per_chat.values()), default=0),
        "min_gap_same_chat": min(gaps, default=float("nan")),
        "mean_rate": len(stamps) / span if span else float("nan"),
        "seconds": span,
    }
    log(f"limiter {backend}: {result}")
    return result


async def main_async(options: Options) -> None:
    """Run every part and print the tables."""
    print_machine()
    if options.job:
        jobs = [await through_job(backend, options) for backend in options.backends]
        rows = [
            [j["backend"], j["sent"], f"{j['seconds']:.1f} s", f"{j['rate']:.0f}"] for j in jobs
        ]
        table = Table(
            f"Nudges through the real repeating job (every 5 s, batch {options.batch}),"
            f" limiter off, patches: {', '.join(options.patches) or 'none'}",
            ["database", "sent", "first to last send", "nudges/s"],
            rows,
        )
        emit([table], "nudges-job", {"job": jobs, "patches": options.patches})
        return
    runs = []
    for backend in options.backends:
        log(f"fan-out on {backend}: {options.users:,} users, batch {options.batch}")
        runs.append(await fanout(backend, options))
    profiles = []
    if options.profile:
        for backend in options.backends:
            profiles.append(await fanout(backend, options, profile=True))
    checks = []
    for backend in options.backends:
        log(f"limiter on {backend}: {2 * options.limiter_users} nudges at 25/s")
        checks.append(await limited(backend, options))
    fan_rows = []
    for run in runs:
        wall = run["wall"] or 1.0
        sent = max(1, run["sent"])
        phases = run["phases"]
        fan_rows.append(
            [
                run["backend"],
                f"{run['users']:,}",
                f"{run['sent']:,}",
                f"{wall:.1f} s",
                f"**{run['sent'] / wall:.0f}**",
                f"{run['cpu'] / sent * 1000:.2f} ms",
                f"{1 / (run['cpu'] / sent):.0f}" if run["cpu"] else "-",
                f"{run['cpu'] / wall:.0%} / {run['emulator_cpu'] / wall:.0%} / "
                f"{run['postgres_cpu'] / wall:.0%}",
                f"{phases.get('claim', 0) / wall:.0%} / {phases.get('send', 0) / wall:.0%} / "
                f"{phases.get('record', 0) / wall:.0%}",
                f"{run['bot_rss_mb']:.0f} MB",
            ]
        )
    limit_rows = [
        [
            c["backend"],
            f"{c['delivered']} of {c['expected']}",
            f"{c['mean_rate']:.1f}/s",
            str(c["max_per_second"]),
            str(c["max_per_chat_second"]),
            f"{c['min_gap_same_chat']:.1f} s",
            f"{c['refused_429']} ({c['refused_same_chat']} for the same chat)",
        ]
        for c in checks
    ]
    tables = [
        Table(
            f"Nudge fan-out: one dispatcher, rate limiter off, batch {options.batch}",
            [
                "database",
                "users due",
                "sent",
                "time",
                "nudges/s",
                "bot CPU per nudge",
                "nudges/s per bot core",
                "CPU bot / emulator / postgres",
                "wall in claim / send / record",
                "bot RSS",
            ],
            fan_rows,
        ),
        Table(
            "Nudges with the default limiter (25/s) against flood control (30/s, 1/s per chat)",
            [
                "database",
                "delivered",
                "mean rate",
                "busiest second",
                "busiest second, one chat",
                "closest two to one chat",
                "429 answers",
            ],
            limit_rows,
        ),
    ]
    emit(tables, "nudges", {"fanout": runs, "limiter": checks, "profiles": profiles})


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.nudges", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 users, SQLite only")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default=None)
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--limiter-users", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--job", action="store_true", help="through the real repeating job")
    parser.add_argument("--patch", action="append", default=[], help="see bench/patches.py")
    args = parser.parse_args(argv)
    backend = args.backend or ("sqlite" if args.quick else "both")
    return Options(
        backends=BACKENDS if backend == "both" else (backend,),
        users=args.users or (20_000 if args.quick else 100_000),
        batch=args.batch,
        limiter_users=args.limiter_users or (100 if args.quick else 400),
        profile=args.profile,
        patches=args.patch,
        job=args.job,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
