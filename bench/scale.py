"""Benchmark 3, scale: a database of 1,000,000 users and 10,000,000 session results.

On each database this measures, against a database of 100 users filled the same way:

* start-up: ``python -m bot`` itself (the real entry point, with TELEGRAM_BASE_URL at the
  emulator), from process start to its first getUpdates; once with an empty card cache
  (cards rendered) and twice with a warm one; RSS at that moment;
* memory after an hour: the bot (in bench.botproc, on a clock the benchmark moves) serves
  steady traffic at a realistic rate, then its clock jumps an hour so that hour's nudges
  fall due and its own repeating dispatcher job sends them; RSS and peak RSS at each step;
* /today latency: the time to the first answer for ``/today`` and for card presses at the
  same rate on both sizes;
* query plans: every distinct statement the bot ran, EXPLAINed on the big database; any
  full scan of a table that grows with users is listed.

Every user has a profile and two past sessions (five answers each); every fourth user has
reminders on (two nudge rows spread over the day). The rate limiter is set to the
paid-broadcast level (1,000/s) so the hour's nudges go out within the run.

``python -m bench.scale [--quick] [--backend sqlite|postgresql|both] [--users N]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from bench.botproc import BotConfig
from bench.common import (
    ARTIFACTS,
    BACKENDS,
    DATA,
    REPO,
    T0,
    TOKEN,
    Table,
    emit,
    log,
    ms,
    percentile,
    print_machine,
    proc_status,
)
from bench.crowd import Crowd
from bench.fill import FillSpec, WorkingCopy, user_id, working_copy
from bench.proc import BotProcess
from bench.server import TimedServer

SMALL = 100
# Tables whose size grows with users or history; a full scan of one is a finding.
FILLED_TABLES = (
    "user",
    "profile",
    "workout",
    "exercise_result",
    "streak",
    "streak_day",
    "nudge",
    "nudge_settings",
    "exercise_progress",
)
# Empty in the fill: PostgreSQL's planner rightly scans an empty table, so only SQLite's
# plans (which do not look at row counts) are checked for these.
EMPTY_TABLES = ("water_log", "triage_state")


@dataclass
class Options:
    """Command-line choices."""

    backends: tuple[str, ...]
    users: int
    rate: float
    seconds: float
    after_jump: float
    starts: int
    nudge_interval: float


@dataclass
class SizeFigures:
    """Everything measured on one database size."""

    backend: str
    users: int
    results: int
    fill_seconds: float = 0.0
    copy_seconds: float = 0.0
    starts: list[dict[str, Any]] = field(default_factory=list)
    rss: dict[str, float] = field(default_factory=dict)
    today_p50: float = float("nan")
    today_p99: float = float("nan")
    press_p50: float = float("nan")
    press_p99: float = float("nan")
    answered: int = 0
    nudges_sent: int = 0
    due_left: int = -1
    drain_seconds: float = float("nan")
    scans: list[str] = field(default_factory=list)
    statements: int = 0


def spec_for(users: int) -> FillSpec:
    """The scale fill: two past sessions of five answers per user, every fourth with reminders."""
    return FillSpec(
        "scale", users=users, workouts_per_user=2, cards_per_workout=5, reminder_every=4
    )


async def start_real_bot(
    server: TimedServer, copy: WorkingCopy, cache_dir: str, name: str
) -> dict[str, Any]:
    """Time ``python -m bot`` from spawn to its first getUpdates; RSS then; stop it."""
    server.polled.clear()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=copy.url,
        TELEGRAM_BASE_URL=server.base_url,
        CACHE_DIR=cache_dir,
        NUDGE_INTERVAL_SECONDS="3600",
    )
    log_path = ARTIFACTS / f"bot-start-{name}.log"
    started = time.perf_counter()
    with log_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO, env=env, stderr=stderr
        )
    try:
        await asyncio.wait_for(server.polled.wait(), 120)
        seconds = server.first_poll_at - started
        status = proc_status(process.pid)
        await asyncio.sleep(1.0)
        later = proc_status(process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    return {
        "seconds": seconds,
        "rss_mb": status.get("VmRSS", 0) / 1024,
        "rss_1s_mb": later.get("VmRSS", 0) / 1024,
        "hwm_mb": later.get("VmHWM", 0) / 1024,
    }


def full_scans(statements: list[dict[str, Any]], sqlite: bool) -> list[str]:
    """Statements whose plan reads a whole user-sized table."""
    found = []
    for entry in statements:
        for line in entry["plan"]:
            if sqlite:
                match = re.search(r"\bSCAN (\w+)", line)
                hit = (
                    match is not None
                    and match.group(1) in FILLED_TABLES + EMPTY_TABLES
                    and "USING" not in line
                )
            else:
                match = re.search(r"Seq Scan on \"?(\w+)\"?", line)
                hit = bool(match and match.group(1) in FILLED_TABLES)
            if hit:
                found.append(f"{line.strip()} <- {entry['statement'][:160]} (x{entry['count']})")
    return found


async def run_size(backend: str, users: int, options: Options) -> SizeFigures:
    """Start-ups, traffic, an hour's nudges and query plans on one database size."""
    spec = spec_for(users)
    copy = await working_copy(spec, backend, f"scale_{users}_{backend}")
    figures = SizeFigures(backend, users, spec.results, copy.fill_seconds, copy.copy_seconds)
    small = users <= SMALL
    try:
        async with TimedServer(keep_calls=False) as server:
            server.add_chats([user_id(i) for i in range(0, users, 4)])
            with tempfile.TemporaryDirectory(prefix="lumbar-cards-") as cold:
                for n in range(options.starts):
                    kind = "cold" if n == 0 else "warm"
                    start = await start_real_bot(server, copy, cold, f"{backend}-{users}-{n}")
                    start["kind"] = kind
                    figures.starts.append(start)
                    log(f"start-up {backend} {users:,} users ({kind}): {start}")
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=T0.isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=1000.0,
                nudge_interval=options.nudge_interval,
                record_sql=not small,
            )
            async with BotProcess(config, f"scale-{backend}-{users}") as bot:
                figures.rss["after start"] = bot.ready["rss_kb"] / 1024
                rng = random.Random(users)
                order = rng.sample(range(users), min(users, 20_000))
                crowd = Crowd(server, iter(user_id(i) for i in order))
                # 100 users have about 900 updates in them: enough for 45 s at 10 a second.
                seconds = min(options.seconds, 45.0) if small else options.seconds
                traffic = asyncio.create_task(
                    crowd.open_loop(options.rate, seconds + options.after_jump)
                )
                await asyncio.sleep(seconds)
                samples = list(server.watch.samples)
                stats = await bot.ask("stats")
                figures.rss["after traffic"] = stats["rss_kb"] / 1024
                sent_before = server.watch.keyboards.get("n1", 0)
                await bot.ask("advance", seconds=3600)
                jumped = time.perf_counter()
                due = -1
                if options.nudge_interval >= 3600:
                    # The job is parked: the dispatcher loop (the job's body) sends the hour.
                    await bot.ask("fanout", batch=200, max=options.after_jump)
                    figures.drain_seconds = time.perf_counter() - jumped
                    due = int((await bot.ask("due"))["due"])
                while time.perf_counter() - jumped < options.after_jump:
                    await asyncio.sleep(5.0)
                    due = int((await bot.ask("due"))["due"])
                    if due == 0 and math_isnan(figures.drain_seconds):
                        figures.drain_seconds = time.perf_counter() - jumped
                traffic.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await traffic
                crowd.stop()
                figures.due_left = due
                figures.nudges_sent = server.watch.keyboards.get("n1", 0) - sent_before
                stats = await bot.ask("stats")
                figures.rss["after the hour"] = stats["rss_kb"] / 1024
                figures.rss["peak"] = stats["hwm_kb"] / 1024
                figures.statements = int(stats["sql_statements"])
                if not small:
                    plans = (await bot.ask("sql", timeout=600))["statements"]
                    (ARTIFACTS / f"plans-{backend}.txt").write_text(
                        "\n\n".join(
                            f"x{p['count']} {p['statement']}\n  " + "\n  ".join(p["plan"])
                            for p in plans
                        )
                        + "\n"
                    )
                    figures.scans = full_scans(plans, backend == "sqlite")
        commands = [s.latency for s in samples if s.kind == "command"]
        presses = [s.latency for s in samples if s.kind == "press"]
        figures.answered = len(samples)
        figures.today_p50, figures.today_p99 = percentile(commands, 50), percentile(commands, 99)
        figures.press_p50, figures.press_p99 = percentile(presses, 50), percentile(presses, 99)
        log(
            f"{backend} {users:,}: /today p50 {ms(figures.today_p50)} p99 {ms(figures.today_p99)},"
            f" press p50 {ms(figures.press_p50)} p99 {ms(figures.press_p99)}, RSS {figures.rss},"
            f" nudges sent after the jump {figures.nudges_sent}, due left {figures.due_left}"
        )
    finally:
        await copy.drop()
    return figures


def math_isnan(value: float) -> bool:
    """NaN test without importing math for one call."""
    return value != value


async def main_async(options: Options) -> None:
    """Run both sizes on each database and print the tables."""
    print_machine()
    runs: list[SizeFigures] = []
    for backend in options.backends:
        for users in (SMALL, options.users):
            log(f"scale: {backend}, {users:,} users")
            runs.append(await run_size(backend, users, options))
    start_rows, memory_rows, latency_rows = [], [], []
    for run in runs:
        cold = [s for s in run.starts if s.get("kind") == "cold"]
        warm = [s for s in run.starts if s.get("kind") == "warm"]
        start_rows.append(
            [
                run.backend,
                f"{run.users:,}",
                f"{run.results:,}",
                f"{run.fill_seconds:.0f} s" if run.fill_seconds > 1 else "cached",
                f"{cold[0]['seconds']:.2f} s" if cold else "-",
                " / ".join(f"{s['seconds']:.2f} s" for s in warm) or "-",
                f"{max((s['rss_1s_mb'] for s in run.starts), default=0):.0f} MB",
            ]
        )
        memory_rows.append(
            [
                run.backend,
                f"{run.users:,}",
                *(f"{run.rss.get(k, 0):.0f} MB" for k in ("after start", "after traffic")),
                f"{run.rss.get('after the hour', 0):.0f} MB",
                f"**{run.rss.get('peak', 0):.0f} MB**",
                f"{run.nudges_sent:,}",
                str(run.due_left),
            ]
        )
        latency_rows.append(
            [
                run.backend,
                f"{run.users:,}",
                str(run.answered),
                ms(run.today_p50),
                ms(run.today_p99),
                ms(run.press_p50),
                ms(run.press_p99),
                str(len(run.scans)) if run.users > SMALL else "-",
            ]
        )
    tables = [
        Table(
            "Start-up of `python -m bot` (spawn to first getUpdates)",
            ["database", "users", "results", "fill", "cold (cards drawn)", "warm", "RSS"],
            start_rows,
        ),
        Table(
            f"Memory of the bot: {options.seconds:.0f} s of traffic at {options.rate:.0f}"
            f" updates/s, then the clock moved an hour ({options.after_jump:.0f} s to send;"
            f" dispatcher job every {options.nudge_interval:.0f} s)",
            [
                "database",
                "users",
                "RSS after start",
                "after traffic",
                "after the hour",
                "peak RSS",
                "nudges sent after the jump",
                "still due",
            ],
            memory_rows,
        ),
        Table(
            f"/today and card presses at {options.rate:.0f} updates/s: hand-over to first answer",
            [
                "database",
                "users",
                "updates answered",
                "/today p50",
                "/today p99",
                "press p50",
                "press p99",
                "full scans of user-sized tables",
            ],
            latency_rows,
        ),
    ]
    emit(tables, "scale", {"runs": [vars(run) for run in runs]})
    for run in runs:
        for scan in run.scans:
            print(f"full scan ({run.backend}): {scan}")


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter traffic, SQLite only")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default=None)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=None, help="steady traffic")
    parser.add_argument("--after-jump", type=float, default=None)
    parser.add_argument(
        "--nudge-interval",
        type=float,
        default=3600.0,
        help="the dispatcher job's interval during traffic (3600: parked, so /today is"
        " timed alone and the hour's nudges go through the dispatcher loop after the jump;"
        " 5: the default job runs alongside the traffic)",
    )
    args = parser.parse_args(argv)
    backend = args.backend or ("sqlite" if args.quick else "both")
    return Options(
        backends=BACKENDS if backend == "both" else (backend,),
        users=args.users,
        rate=args.rate,
        seconds=args.seconds or (30.0 if args.quick else 120.0),
        after_jump=args.after_jump or (30.0 if args.quick else 60.0),
        starts=2 if args.quick else 3,
        nudge_interval=args.nudge_interval,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
