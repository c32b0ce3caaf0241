"""Benchmark 1, updates: simulated users stepping through /today cards against the real bot.

For each database, the real bot (``bot.app.build_application``) runs in its own process
and long-polls the timed emulator in this process; a crowd of users presses the card
buttons (each press writes to the database). Telegram's flood limits are on by default
(bench/server.py ``telegram_limits``; ``--no-flood`` turns them off). Two set-ups:

* Paid-broadcast level: the rate limiter at 1,000 a second and the emulator's overall
  limit at the paid-broadcast 1,000 a second (the per-chat and group limits as Telegram's),
  so the bot's own work shows. A bare python-telegram-bot bot making the same Bot API
  calls per press as Lumbar (``bench.botproc.build_bare``) runs first, in the same run;
  then Lumbar on each database. Measured: updates answered a second at saturation (closed
  loop) and Lumbar / bare, the bot's CPU per update, and at a fixed 100 updates a second
  the time from hand-over in getUpdates to the bot's first API call for the update
  (p50/p99) and from the user's press to the call that shows the next card (p99).
* Default limiter (25 a second) against Telegram's limits (30 a second): presses served a
  second at saturation (against the limiter's budget), and the p99s at a fixed 20 a second.

``python -m bench.updates [--quick] [--backend sqlite|postgresql|both] [--profile] [--no-flood]``
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
    postgres_cpu_since,
    print_machine,
    settle_collector,
)
from bench.crowd import Crowd
from bench.fill import FillSpec, user_id, working_copy
from bench.proc import BotProcess
from bench.server import PAID_BROADCAST_RATE, TimedServer, telegram_limits
from bot.retry import DEFAULT_CHAT_RATE

DEFAULT_LIMIT = 25.0  # RATE_LIMIT_PER_SECOND's default
PRIME_SESSIONS = 9  # three users of each phase (the fill's users cycle through three)
ENVIRONMENT_PATCHES = frozenset({"sniffio"})


@dataclass
class Phase:
    """Figures of one measured stretch."""

    label: str
    seconds: float
    answered: int = 0
    per_second: float = 0.0
    presses_per_second: float = 0.0
    chat_calls_per_second: float = 0.0  # calls that take the limiter's budget (not answers)
    chat_calls_per_update: float = float("nan")
    refused_429: int = 0
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
    limited_rate: float
    users: int
    profile: bool
    limiter_check: bool
    flood: bool
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
    settle_collector()
    task = asyncio.create_task(drive(total))
    await asyncio.sleep(options.warmup)
    if profile_to:
        await bot.ask("profile_start")
    server.watch.reset()
    before = await bot.ask("stats")
    cpu, pg_cpu, started = time.process_time(), postgres_cpu_seconds(), time.perf_counter()
    await asyncio.sleep(options.seconds)
    wall = time.perf_counter() - started
    samples = list(server.watch.samples)
    cards = list(server.watch.next_cards)
    methods = dict(server.watch.methods)
    refused = server.watch.refused_429
    emulator_cpu = time.process_time() - cpu
    pg_used = postgres_cpu_since(pg_cpu)
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
    phase.presses_per_second = len(presses) / wall
    chat_calls = sum(n for name, n in methods.items() if name != "answercallbackquery")
    phase.chat_calls_per_second = chat_calls / wall
    phase.refused_429 = refused
    phase.p50, phase.p99 = percentile(presses, 50), percentile(presses, 99)
    phase.next_card_p50, phase.next_card_p99 = percentile(cards, 50), percentile(cards, 99)
    bot_cpu = after["cpu"] - before["cpu"]
    if samples:
        phase.chat_calls_per_update = chat_calls / len(samples)
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
        "methods": methods,
    }
    log(
        f"{label}: {phase.per_second:.0f} updates/s ({phase.presses_per_second:.0f} presses,"
        f" {phase.chat_calls_per_second:.0f} chat calls), press p50 {ms(phase.p50)}, "
        f"p99 {ms(phase.p99)}, next card p99 {ms(phase.next_card_p99)}, 429 x{refused}, "
        f"bot CPU {phase.bot_cpu_share:.0%}, "
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

    async def prime(self, sessions: int = PRIME_SESSIONS) -> None:
        """A few whole sessions one after another, so every card is uploaded once.

        Otherwise many users meeting a card for the first time together each upload it
        (its file id is known only once the first upload is answered), and the first
        stretch measures uploads instead of presses.
        """
        crowd = self.new_crowd()
        crowd.spawn_limit = sessions
        task = asyncio.create_task(crowd.closed_loop(1, 60.0))
        deadline = time.perf_counter() + 60.0
        while crowd.figures.sessions_done < sessions and time.perf_counter() < deadline:
            if task.done() or (crowd.spawned >= sessions and not crowd.agents):
                break
            await asyncio.sleep(0.1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        crowd.stop()
        await drain(self.server)
        log(f"primed: {crowd.figures.sessions_done} sessions, {self.server.watch.uploads} uploads")

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


def flood_for(options: Options, *, paid: bool) -> Any:
    """The emulator's flood control for a run: Telegram's, or none with --no-flood."""
    return telegram_limits(paid=paid) if options.flood else None


async def run_lumbar(
    backend: str, options: Options, *, limited: bool, tag: str
) -> dict[str, Phase]:
    """The real bot on one database.

    ``limited``: the default limiter against Telegram's limits, at saturation and at
    ``options.limited_rate``; otherwise the paid-broadcast level, at saturation and at
    ``options.rate`` (and a profile with --profile).
    """
    spec = FillSpec("updates", users=options.users, baseline_done=True)
    copy = await working_copy(spec, backend, f"updates_{tag}")
    phases: dict[str, Phase] = {}
    try:
        flood = flood_for(options, paid=not limited)
        async with TimedServer(keep_calls=False, flood=flood) as server:
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=T0.isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=DEFAULT_LIMIT if limited else float(PAID_BROADCAST_RATE),
                # Against Telegram's limits the bot spaces a chat's messages as it does live.
                chat_rate_limit=DEFAULT_CHAT_RATE if options.flood else 0.0,
                record_sql=True,
                patches=options.patches,
            )
            async with BotProcess(config, f"updates-{tag}") as bot:
                ids = users_from(0, options.users)
                stretches = Stretches(server, bot, options, lambda: Crowd(server, ids))
                await stretches.prime()
                if limited:
                    rate = options.limited_rate
                    phases = {
                        "max": await stretches.closed_loop(
                            f"{tag} closed loop x{options.concurrency}, default limiter"
                        ),
                        "rate": await stretches.open_loop(
                            f"{tag} at {rate:.0f}/s, default limiter", rate
                        ),
                    }
                else:
                    phases = await stretches.standard(tag)
    finally:
        await copy.drop()
    return phases


async def run_yardstick(options: Options) -> dict[str, Phase]:
    """The bare bot making Lumbar's calls, on the same emulator with the same crowd."""
    async with TimedServer(keep_calls=False, flood=flood_for(options, paid=True)) as server:
        # Only patches to the environment apply to the yardstick; Lumbar's own do not.
        shared = [name for name in options.patches if name in ENVIRONMENT_PATCHES]
        config = BotConfig(base_url=server.base_url, mode="bare", patches=shared)
        async with BotProcess(config, "updates-bare") as bot:
            ids = iter(range(90_000_000, 99_000_000))
            stretches = Stretches(server, bot, options, lambda: Crowd(server, ids))
            await stretches.prime()
            return await stretches.standard("bare")


def _row(name: str, phase: Phase, ratio: str = "") -> list[Any]:
    return [
        name,
        f"{phase.per_second:.0f}",
        ratio,
        ms(phase.p50),
        ms(phase.p99),
        ms(phase.next_card_p99),
        f"{phase.bot_cpu_per_update_ms:.2f} ms",
        f"{phase.chat_calls_per_update:.2f}",
        f"{phase.sql_per_update:.1f}" if phase.sql_per_update == phase.sql_per_update else "-",
        str(phase.refused_429),
        f"{phase.bot_cpu_share:.0%} / {phase.emulator_cpu_share:.0%} / "
        f"{phase.postgres_cpu_share:.0%}",
    ]


def _limited_row(name: str, load: str, phase: Phase) -> list[Any]:
    return [
        name,
        load,
        f"{phase.per_second:.1f}",
        f"**{phase.presses_per_second:.1f}**",
        f"{phase.chat_calls_per_second:.1f} ({phase.chat_calls_per_second / DEFAULT_LIMIT:.2f})",
        ms(phase.p50),
        ms(phase.p99),
        ms(phase.next_card_p99),
        f"{phase.bot_cpu_per_update_ms:.2f} ms",
        str(phase.refused_429),
    ]


async def main_async(options: Options) -> None:
    """Run every part and print the tables."""
    print_machine()
    limits = "Telegram's limits" if options.flood else "no flood control"
    log(f"bare python-telegram-bot bot making Lumbar's calls per press ({limits})")
    bare = await run_yardstick(options)
    results: dict[str, dict[str, Phase]] = {"bare": bare}
    for backend in options.backends:
        log(f"Lumbar on {backend}, limiter at the paid-broadcast level")
        results[backend] = await run_lumbar(backend, options, limited=False, tag=backend)
    if options.limiter_check:
        for backend in options.backends:
            log(f"Lumbar on {backend} with the default {DEFAULT_LIMIT:.0f}/s limiter ({limits})")
            results[f"{backend}-limited"] = await run_lumbar(
                backend, options, limited=True, tag=f"{backend}-limited"
            )
    header = [
        "bot",
        "updates/s",
        "Lumbar / bare",
        "press p50",
        "press p99",
        "press → next card p99",
        "bot CPU per update",
        "chat calls per update",
        "SQL per update",
        "429",
        "CPU bot / emulator / postgres",
    ]
    saturation = [_row("bare PTB, Lumbar's calls", bare["max"], "1.00")]
    at_rate = [_row("bare PTB, Lumbar's calls", bare["rate"])]
    for backend in options.backends:
        phases = results[backend]
        ratio = phases["max"].per_second / bare["max"].per_second
        saturation.append(_row(f"Lumbar, {backend}", phases["max"], f"**{ratio:.2f}**"))
        at_rate.append(_row(f"Lumbar, {backend}", phases["rate"]))
    paid = (
        f"limiter {PAID_BROADCAST_RATE}/s, emulator at the paid-broadcast level"
        if options.flood
        else f"limiter {PAID_BROADCAST_RATE}/s, no flood control"
    )
    tables = [
        Table(
            f"Updates at saturation ({options.concurrency} users acting as fast as answered, "
            f"{options.seconds:.0f} s; {paid})",
            header,
            saturation,
        ),
        Table(
            f"Updates at {options.rate:.0f} a second ({options.seconds:.0f} s; {paid})",
            header,
            at_rate,
        ),
    ]
    if options.limiter_check:
        rows = []
        for backend in options.backends:
            phases = results[f"{backend}-limited"]
            name = f"Lumbar, {backend}"
            rows.append(_limited_row(name, f"saturation (x{options.concurrency})", phases["max"]))
            rows.append(_limited_row(name, f"{options.limited_rate:.0f}/s offered", phases["rate"]))
        tables.append(
            Table(
                f"Default limiter (RATE_LIMIT_PER_SECOND={DEFAULT_LIMIT:.0f}) against {limits}"
                f" ({options.seconds:.0f} s each)",
                [
                    "bot",
                    "load",
                    "updates/s",
                    "presses/s",
                    f"chat calls/s (of {DEFAULT_LIMIT:.0f})",
                    "press p50",
                    "press p99",
                    "press → next card p99",
                    "bot CPU per update",
                    "429",
                ],
                rows,
            )
        )
    raw = {name: {k: vars(v) for k, v in phases.items()} for name, phases in results.items()}
    emit(tables, "updates", {"results": raw, "flood": options.flood})


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short stretches, SQLite only")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--limited-rate", type=float, default=20.0)
    parser.add_argument("--profile", action="store_true", help="also profile the bot")
    parser.add_argument("--no-limiter-check", action="store_true")
    parser.add_argument("--no-flood", action="store_true", help="Telegram's limits off")
    parser.add_argument("--patch", action="append", default=[], help="see bench/patches.py")
    args = parser.parse_args(argv)
    backend = args.backend or ("sqlite" if args.quick else "both")
    return Options(
        backends=BACKENDS if backend == "both" else (backend,),
        seconds=args.seconds or (6.0 if args.quick else 20.0),
        warmup=2.0 if args.quick else 4.0,
        concurrency=args.concurrency,
        rate=args.rate,
        limited_rate=args.limited_rate,
        users=3000 if args.quick else 12000,
        profile=args.profile,
        limiter_check=not args.no_limiter_check,
        flood=not args.no_flood,
        patches=args.patch,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
