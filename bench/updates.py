"""Benchmark 1, updates: simulated users stepping through /today cards against the real bot.

For each database, the real bot (``bot.app.build_application``) runs in its own process
and long-polls the timed emulator in this process; a crowd of users presses the card
buttons (each press writes to the database). Measured: updates answered per second at
saturation (closed loop), and the time from hand-over in getUpdates to the bot's first
API call for the update (p50/p99) at a fixed 100 updates a second (open loop). A bare
python-telegram-bot bot that only answers presses runs against the same emulator; the
ratio of the two throughputs is the figure the issue asks for.

``python -m bench.updates [--quick] [--backend sqlite|postgresql|both] [--profile]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
    ms,
    percentile,
    postgres_cpu_seconds,
    print_machine,
)
from bench.crowd import Crowd
from bench.fill import FillSpec, user_id, working_copy
from bench.proc import BotProcess
from bench.server import TimedServer

# Paid-broadcast level: the interactive benchmark measures the bot, not Telegram's cap.
UNCAPPED_RATE = 1000.0
ENVIRONMENT_PATCHES = frozenset({"sniffio"})


@dataclass
class Phase:
    """Figures of one measured stretch."""

    label: str
    seconds: float
    answered: int = 0
    per_second: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    next_card_p50: float = float("nan")
    next_card_p99: float = float("nan")
    bot_cpu_per_update_ms: float = float("nan")
    bot_cpu_share: float = float("nan")
    emulator_cpu_share: float = float("nan")
    postgres_cpu_share: float = float("nan")
    sql_per_update: float = float("nan")
    lost: int = 0
    missed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Options:
    """Command-line choices."""

    backends: tuple[str, ...]
    seconds: float
    warmup: float
    concurrency: int
    rate: float
    users: int
    profile: bool
    limiter_check: bool
    patches: list[str]


async def measure(
    label: str,
    server: TimedServer,
    bot: BotProcess,
    crowd: Crowd,
    drive: Callable[[float], Any],
    options: Options,
    *,
    profile_to: str | None = None,
) -> Phase:
    """Warm up, then measure one stretch of driving the crowd."""
    total = options.warmup + options.seconds
    task = asyncio.create_task(drive(total))
    await asyncio.sleep(options.warmup)
    if profile_to:
        await bot.ask("profile_start")
    server.watch.reset()
    crowd.figures.to_next_card.clear()
    before = await bot.ask("stats")
    cpu, pg_cpu, started = time.process_time(), postgres_cpu_seconds(), time.perf_counter()
    await asyncio.sleep(options.seconds)
    wall = time.perf_counter() - started
    samples = list(server.watch.samples)
    emulator_cpu = time.process_time() - cpu
    pg_used = postgres_cpu_seconds() - pg_cpu
    after = await bot.ask("stats")
    if profile_to:
        await bot.ask("profile_stop", path=profile_to)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    crowd.stop()
    presses = [s.latency for s in samples if s.kind == "press"]
    phase = Phase(label, round(wall, 1), answered=len(samples))
    phase.per_second = len(samples) / wall
    phase.p50, phase.p99 = percentile(presses, 50), percentile(presses, 99)
    cards = crowd.figures.to_next_card
    phase.next_card_p50, phase.next_card_p99 = percentile(cards, 50), percentile(cards, 99)
    bot_cpu = after["cpu"] - before["cpu"]
    if samples:
        phase.bot_cpu_per_update_ms = bot_cpu / len(samples) * 1000
        phase.sql_per_update = (after["sql_statements"] - before["sql_statements"]) / len(samples)
    phase.bot_cpu_share = bot_cpu / wall
    phase.emulator_cpu_share = emulator_cpu / wall
    phase.postgres_cpu_share = pg_used / wall
    phase.lost, phase.missed = crowd.figures.lost, crowd.figures.missed_ticks
    commands = [s.latency for s in samples if s.kind == "command"]
    phase.extra = {
        "today_p50": percentile(commands, 50),
        "today_p99": percentile(commands, 99),
        "uploads": server.watch.uploads,
        "methods": dict(server.watch.methods),
    }
    log(
        f"{label}: {phase.per_second:.0f} updates/s, press p50 {ms(phase.p50)}, "
        f"p99 {ms(phase.p99)}, bot CPU {phase.bot_cpu_share:.0%}, "
        f"emulator CPU {phase.emulator_cpu_share:.0%}, postgres CPU {phase.postgres_cpu_share:.0%}"
    )
    await drain(server)
    return phase


async def drain(server: TimedServer, seconds: float = 15.0) -> None:
    """Let the bot finish what it was handed before the next stretch starts."""
    with contextlib.suppress(Exception):
        await server.settle(quiet=0.3, timeout=seconds)


def users_from(first: int, last: int) -> Iterator[int]:
    """Filled user ids, each used once."""
    return iter(user_id(i) for i in range(first, last))


@dataclass
class Stretches:
    """One bot on one emulator, measured stretch after stretch, each with a fresh crowd."""

    server: TimedServer
    bot: BotProcess
    options: Options
    new_crowd: Callable[[], Crowd]

    async def closed_loop(self, label: str, *, profile_to: str | None = None) -> Phase:
        """Saturation: each user presses again as soon as answered."""
        crowd = self.new_crowd()
        concurrency = self.options.concurrency
        return await measure(
            label,
            self.server,
            self.bot,
            crowd,
            lambda s: crowd.closed_loop(concurrency, s),
            self.options,
            profile_to=profile_to,
        )

    async def open_loop(self, label: str, rate: float) -> Phase:
        """A fixed rate of presses, answered or not."""
        crowd = self.new_crowd()
        return await measure(
            label, self.server, self.bot, crowd, lambda s: crowd.open_loop(rate, s), self.options
        )

    async def standard(self, tag: str) -> dict[str, Phase]:
        """Saturation and the fixed rate; with --profile, a profiled saturation after them."""
        options = self.options
        phases = {
            "max": await self.closed_loop(f"{tag} closed loop x{options.concurrency}"),
            "rate": await self.open_loop(f"{tag} at {options.rate:.0f}/s", options.rate),
        }
        if options.profile:
            await self.closed_loop(
                f"{tag} profiled closed loop",
                profile_to=str(ARTIFACTS / "profiles" / f"updates-{tag}"),
            )
        return phases


async def run_lumbar(
    backend: str, options: Options, *, rate_limit: float | None, tag: str
) -> dict[str, Phase]:
    """The real bot on one database: saturation, fixed rate, and optionally a profile."""
    spec = FillSpec("updates", users=options.users)
    copy = await working_copy(spec, backend, f"updates_{tag}")
    phases: dict[str, Phase] = {}
    try:
        async with TimedServer(keep_calls=False) as server:
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=T0.isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=rate_limit,
                record_sql=True,
                patches=options.patches,
            )
            async with BotProcess(config, f"updates-{tag}") as bot:
                ids = users_from(0, options.users)
                stretches = Stretches(server, bot, options, lambda: Crowd(server, ids))
                if rate_limit == UNCAPPED_RATE:
                    phases = await stretches.standard(tag)
                else:
                    phases["limited"] = await stretches.open_loop(
                        f"{tag} at 20/s, default limiter", 20.0
                    )
    finally:
        await copy.drop()
    return phases


async def run_yardstick(mode: str, options: Options) -> dict[str, Phase]:
    """A bare bot on the same emulator with the same crowd: ``bare`` or ``mirror``."""
    bare = mode == "bare"
    async with TimedServer(keep_calls=False) as server:
        # Only patches to the environment apply to the yardsticks; Lumbar's own do not.
        shared = [name for name in options.patches if name in ENVIRONMENT_PATCHES]
        config = BotConfig(base_url=server.base_url, mode=mode, patches=shared)
        async with BotProcess(config, f"updates-{mode}") as bot:
            ids = iter(range(90_000_000, 99_000_000))
            stretches = Stretches(server, bot, options, lambda: Crowd(server, ids, bare=bare))
            return await stretches.standard(mode)


def _row(name: str, phase: Phase, ratio: str = "") -> list[Any]:
    return [
        name,
        f"{phase.per_second:.0f}",
        ratio,
        ms(phase.p50),
        ms(phase.p99),
        ms(phase.next_card_p99),
        f"{phase.bot_cpu_per_update_ms:.2f} ms",
        f"{phase.sql_per_update:.1f}" if phase.sql_per_update == phase.sql_per_update else "-",
        f"{phase.bot_cpu_share:.0%} / {phase.emulator_cpu_share:.0%} / "
        f"{phase.postgres_cpu_share:.0%}",
    ]


async def main_async(options: Options) -> None:
    """Run every part and print the tables."""
    print_machine()
    log("bare python-telegram-bot bots: answer only, and Lumbar's calls without Lumbar")
    bare = await run_yardstick("bare", options)
    mirror = await run_yardstick("mirror", options)
    results: dict[str, dict[str, Phase]] = {"bare": bare, "mirror": mirror}
    for backend in options.backends:
        log(f"Lumbar on {backend}")
        results[backend] = await run_lumbar(backend, options, rate_limit=UNCAPPED_RATE, tag=backend)
    if options.limiter_check:
        log("Lumbar with the default 25/s rate limiter, 20 presses a second")
        results["limited"] = await run_lumbar(
            "sqlite", options, rate_limit=25.0, tag="sqlite-limited"
        )
    header = [
        "bot",
        "updates/s",
        "ratio to bare",
        "press p50",
        "press p99",
        "press → next card p99",
        "bot CPU per update",
        "SQL per update",
        "CPU bot / emulator / postgres",
    ]
    mirror_ratio = f"{mirror['max'].per_second / bare['max'].per_second:.2f}"
    saturation = [
        _row("bare PTB: answers only", bare["max"], "1.00"),
        _row("bare PTB: Lumbar's 3 calls per press", mirror["max"], mirror_ratio),
    ]
    at_rate = [
        _row("bare PTB: answers only", bare["rate"]),
        _row("bare PTB: Lumbar's 3 calls per press", mirror["rate"]),
    ]
    for backend in options.backends:
        phases = results[backend]
        ratio = phases["max"].per_second / bare["max"].per_second
        saturation.append(_row(f"Lumbar, {backend}", phases["max"], f"{ratio:.2f}"))
        at_rate.append(_row(f"Lumbar, {backend}", phases["rate"]))
    tables = [
        Table(
            f"Updates at saturation ({options.concurrency} users acting as fast as answered, "
            f"{options.seconds:.0f} s)",
            header,
            saturation,
        ),
        Table(f"Updates at {options.rate:.0f} a second ({options.seconds:.0f} s)", header, at_rate),
    ]
    if options.limiter_check:
        tables.append(
            Table(
                "Lumbar (SQLite) at 20 presses a second with the default RATE_LIMIT_PER_SECOND=25",
                header,
                [_row("Lumbar, sqlite, limiter 25/s", results["limited"]["limited"])],
            )
        )
    raw = {name: {k: vars(v) for k, v in phases.items()} for name, phases in results.items()}
    emit(tables, "updates", {"results": raw})


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short stretches, SQLite only")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--profile", action="store_true", help="also profile the bot")
    parser.add_argument("--no-limiter-check", action="store_true")
    parser.add_argument("--patch", action="append", default=[], help="see bench/patches.py")
    args = parser.parse_args(argv)
    backend = args.backend or ("sqlite" if args.quick else "both")
    return Options(
        backends=BACKENDS if backend == "both" else (backend,),
        seconds=args.seconds or (6.0 if args.quick else 20.0),
        warmup=2.0 if args.quick else 4.0,
        concurrency=args.concurrency,
        rate=args.rate,
        users=3000 if args.quick else 12000,
        profile=args.profile,
        limiter_check=not args.no_limiter_check and not args.quick,
        patches=args.patch,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
