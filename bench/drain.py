"""Benchmark 5, presses while nudges drain: people first through the rate limiter (issue 17).

Every filled user has one nudge due within the minute before the bot's clock starts
(``--nudges``, 10,000 by default). The real bot runs as deployed: the default limiter
(25 a second), NUDGE_RATE_SHARE 0.5, the dispatcher job every 5 s and a chat's messages
spaced, against Telegram's limits (bench/server.py ``telegram_limits``). From its start,
simulated users (some of the same users) go through /today sessions at ``--rate`` updates
a second for as long as nudges are still going out. Measured while the nudges drain:
press p50/p99 (hand-over to the bot's first answer) and press → next card p99; nudges a
second; whether every due user got exactly one nudge; how long after its due time the
last one went (Lumbar skips a nudge that is 30 minutes late: the grace); 429 answers.

``python -m bench.drain [--quick] [--backend sqlite|postgresql|both] [--nudges 10000]
[--rate 10] [--share 0.5] [--no-flood]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.botproc import BotConfig
from bench.common import (
    BACKENDS,
    DATA,
    T0,
    Table,
    emit,
    log,
    ms,
    percentile,
    print_machine,
    settle_collector,
)
from bench.crowd import Crowd
from bench.fill import FillSpec, user_id, working_copy
from bench.proc import BotProcess
from bench.server import TimedServer, telegram_limits
from bot.retry import DEFAULT_CHAT_RATE

LIMIT = 25.0  # RATE_LIMIT_PER_SECOND's default
GRACE_SECONDS = 1800.0  # bot.coach.nudges.STALE_GRACE
CLOCK_LEAD = 5.0  # the bot's clock starts this far past T0
DUE_SPREAD = 60.0  # the fill's nudges are due up to this long before T0


@dataclass
class Options:
    """Command-line choices."""

    backends: tuple[str, ...]
    nudges: int
    rate: float
    share: float
    flood: bool
    warmup: float
    max_seconds: float


async def drain(backend: str, options: Options) -> dict[str, Any]:
    """The real bot sends ``options.nudges`` due nudges while users press at a fixed rate."""
    spec = FillSpec("drain", users=options.nudges, due_now=True, baseline_done=True)
    copy = await working_copy(spec, backend, f"drain_{backend}")
    try:
        flood = telegram_limits() if options.flood else None
        async with TimedServer(keep_calls=False, flood=flood) as server:
            watch = server.watch
            server.add_chats(range(user_id(0), user_id(options.nudges)))
            config = BotConfig(
                base_url=server.base_url,
                db_url=copy.url,
                clock=(T0 + timedelta(seconds=CLOCK_LEAD)).isoformat(),
                cache_dir=str(DATA / "cards"),
                rate_limit=LIMIT,
                chat_rate_limit=DEFAULT_CHAT_RATE if options.flood else 0.0,
                nudge_share=options.share,
                nudge_interval=5.0,
            )
            async with BotProcess(config, f"drain-{backend}") as bot:
                started = time.perf_counter()
                order = random.Random(17).sample(range(options.nudges), options.nudges)
                crowd = Crowd(server, iter(user_id(i) for i in order))
                settle_collector()
                traffic = asyncio.create_task(crowd.open_loop(options.rate, options.max_seconds))
                await asyncio.sleep(options.warmup)
                watch.reset()
                before = await bot.ask("stats")
                measuring = time.perf_counter()
                nudges_before = sum(watch.nudge_chats.values())
                asked = progress = measuring
                # Until nothing is due and no nudge came for a while (or the grace is over):
                # a user whose session is done today is skipped by the rules, not nudged.
                while not traffic.done():
                    await asyncio.sleep(0.5)
                    now = time.perf_counter()
                    if now - asked >= 5 and now - max(watch.nudge_last_at, measuring) >= 5:
                        asked = now
                        if int((await bot.ask("due"))["due"]) == 0:
                            break
                    if now - progress >= 30:
                        progress = now
                        log(
                            f"  {len(watch.nudge_chats):,} of {options.nudges:,} nudged,"
                            f" {len(watch.samples)} updates answered, 429 x{watch.refused_429}"
                        )
                wall = time.perf_counter() - measuring
                draining = max(watch.nudge_last_at - measuring, 1e-9)
                samples = list(watch.samples)
                cards = list(watch.next_cards)
                nudges_during = sum(watch.nudge_chats.values()) - nudges_before
                refused, refused_chat = watch.refused_429, watch.refused_same_chat
                after = await bot.ask("stats")
                traffic.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await traffic
                crowd.stop()
                with contextlib.suppress(Exception):  # a nudge sent twice would show by now
                    await server.settle(quiet=2.0, timeout=30)
                due_left = int((await bot.ask("due"))["due"])
                startup = float(bot.ready.get("startup", 0.0))
    finally:
        await copy.drop()
    # The users who pressed may rightly get none: a session done today skips the stretch.
    pressers = {user_id(i) for i in order[: crowd.spawned]}
    everyone = range(user_id(0), user_id(options.nudges))
    others = [watch.nudge_chats.get(chat, 0) for chat in everyone if chat not in pressers]
    theirs = [watch.nudge_chats.get(chat, 0) for chat in pressers]
    presses = [s.latency for s in samples if s.kind == "press"]
    last = watch.nudge_last_at - started if watch.nudge_chats else float("nan")
    result: dict[str, Any] = {
        "backend": backend,
        "due": options.nudges,
        "once": sum(c == 1 for c in others),
        "twice_or_more": sum(c > 1 for c in others),
        "never": sum(c == 0 for c in others),
        "pressers": len(pressers),
        "pressers_nudged": sum(c == 1 for c in theirs),
        "pressers_twice_or_more": sum(c > 1 for c in theirs),
        "due_left": due_left,
        "drain_seconds": last,
        # Due up to a minute before T0; the bot's clock began at T0 + 5 s as it started.
        "last_after_due_at_most": last + startup + CLOCK_LEAD + DUE_SPREAD,
        "nudges_per_second": nudges_during / draining,
        "seconds": wall,
        "updates_per_second": len(samples) / wall,
        "presses_per_second": len(presses) / wall,
        "press_p50": percentile(presses, 50),
        "press_p99": percentile(presses, 99),
        "next_card_p50": percentile(cards, 50),
        "next_card_p99": percentile(cards, 99),
        "refused_429": refused,
        "refused_same_chat": refused_chat,
        "bot_cpu_share": (after["cpu"] - before["cpu"]) / wall,
        "lost": crowd.figures.lost,
        "missed_ticks": crowd.figures.missed_ticks,
    }
    log(f"drain {backend}: {result}")
    return result


def _row(r: dict[str, Any]) -> list[Any]:
    return [
        r["backend"],
        f"{r['due']:,}",
        f"{r['once']:,} / {r['twice_or_more']} / {r['never']}",
        f"{r['pressers']}: {r['pressers_nudged']} / {r['pressers_twice_or_more']}",
        str(r["due_left"]),
        f"{r['drain_seconds']:.0f} s",
        f"{r['nudges_per_second']:.1f}",
        f"≤ {r['last_after_due_at_most']:.0f} s (grace {GRACE_SECONDS:.0f} s)",
        f"{r['presses_per_second']:.1f}",
        ms(r["press_p50"]),
        f"**{ms(r['press_p99'])}**",
        f"**{ms(r['next_card_p99'])}**",
        f"{r['refused_429']} ({r['refused_same_chat']} for one chat)",
        f"{r['bot_cpu_share']:.0%}",
    ]


async def main_async(options: Options) -> None:
    """Run each database in turn and print the table."""
    print_machine()
    runs = []
    for backend in options.backends:
        log(f"{backend}: {options.nudges:,} due nudges, presses at {options.rate:.0f}/s")
        runs.append(await drain(backend, options))
    limits = "Telegram's limits" if options.flood else "no flood control"
    table = Table(
        f"Presses at {options.rate:.0f} a second while {options.nudges:,} due nudges drain"
        f" (limiter {LIMIT:.0f}/s, NUDGE_RATE_SHARE {options.share}, {limits})",
        [
            "database",
            "nudges due",
            "others: sent once / twice / never",
            "pressers: nudged once / twice",
            "still due",
            "drain time",
            "nudges/s",
            "last nudge",
            "presses/s",
            "press p50",
            "press p99",
            "press → next card p99",
            "429",
            "bot CPU",
        ],
        [_row(r) for r in runs],
    )
    emit([table], "drain", {"runs": runs, "flood": options.flood, "share": options.share})


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.drain", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 nudges, SQLite only")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default=None)
    parser.add_argument("--nudges", type=int, default=None)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--share", type=float, default=0.5, help="NUDGE_RATE_SHARE")
    parser.add_argument("--no-flood", action="store_true", help="Telegram's limits off")
    args = parser.parse_args(argv)
    backend = args.backend or ("sqlite" if args.quick else "both")
    return Options(
        backends=BACKENDS if backend == "both" else (backend,),
        nudges=args.nudges or (1_000 if args.quick else 10_000),
        rate=args.rate,
        share=args.share,
        flood=not args.no_flood,
        warmup=3.0,
        max_seconds=GRACE_SECONDS + 120.0,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
