"""Fixes the benchmarks can try on the bot before the lead applies them (``--patch NAME``).

Each patch changes the running bot in the benchmark's own process only; nothing under
bot/ or db/ is edited. A patch is here to measure a proposed change; once the change is
in the bot, its patch goes.

* ``sniffio``: make ``import sniffio`` succeed, as installing the tiny ``sniffio``
  package does. Without it httpcore retries the failed import on every request, and
  each failed import walks sys.path (stat calls): about a tenth of the bot's CPU.
* ``file_id_memo``: remember card file ids in the process (a dozen entries, keyed by
  picture, not by user) instead of a database transaction per card sent.
* ``workout_get_lean``: ``WorkoutRepository.get`` without ``selectinload(results)``;
  the press handler never reads the answers it loads (one SELECT less per press).
* ``aiohttp_request``: python-telegram-bot's HTTP transport on aiohttp (already a
  dependency) instead of httpx; aiohttp's C parser is cheaper per request.
* ``smooth_limiter``: the overall limiter as 1 request per 1/rate seconds instead of
  rate requests per second. aiolimiter's bucket holds ``rate`` requests, so after a pause
  (such as the one a 429 forces) a whole second's worth goes out at once, on top of the
  steady rate: more than 30 in one second, another 429, another pause. It also waits
  out a ``retry_after`` before taking a token: python-telegram-bot's AIORateLimiter waits
  for it after taking one, so every request that took a token during the pause goes out
  at once when it ends (a burst, and the next 429).
* ``job_unbounded``: the dispatcher job keeps claiming while batches come back full
  (up to 50 s a tick) instead of stopping after 20 batches, which caps it at
  20 x NUDGE_BATCH_SIZE per NUDGE_INTERVAL_SECONDS (800 a second by default).
* ``bulk_record``: the dispatcher records a batch's sent and skipped nudges with one
  executemany UPDATE by primary key instead of one UPDATE per nudge, so the write
  transaction (SQLite's single writer) is held for a fraction of the time.
* ``sqlite_one_connection``: on SQLite, a pool of one connection, so transactions queue
  in the bot instead of colliding in SQLite, whose busy handler then sleeps for 1 to
  100 ms at a time (the long tail of the press latency).
* ``mark_batch``: mark a claimed batch "sending" with one UPDATE before sending it,
  instead of one write transaction per nudge (``NudgeRepository.mark_sending`` in
  ``NudgeDispatcher._send_one``). A crash then counts the whole batch as maybe sent
  (not repeated), as it now does for the nudges in flight.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def _sniffio() -> None:
    module = types.ModuleType("sniffio")
    module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules.setdefault("sniffio", module)


def _file_id_memo() -> None:
    from bot.cards import CardPictures

    original = CardPictures.send
    memo: dict[str, str] = {}

    async def send(self: CardPictures, *args: Any, lookup: Any, store: Any, **kwargs: Any) -> Any:
        async def cached_lookup(key: str) -> str | None:
            if key not in memo:
                found = await lookup(key)
                if found is None:
                    return None
                memo[key] = found
            return memo[key]

        async def remembering_store(key: str, file_id: str) -> None:
            memo[key] = file_id
            await store(key, file_id)

        return await original(self, *args, lookup=cached_lookup, store=remembering_store, **kwargs)

    CardPictures.send = send  # type: ignore[method-assign]


def _workout_get_lean() -> None:
    from sqlalchemy import select

    from db.models import Workout
    from db.repositories.workouts import WorkoutRepository

    async def get(self: WorkoutRepository, workout_id: int, user_id: int | None = None) -> Any:
        stmt = (
            select(Workout)
            .where(Workout.id == workout_id)
            .execution_options(populate_existing=True)
        )
        if user_id is not None:
            stmt = stmt.where(Workout.user_id == user_id)
        return (await self._session.scalars(stmt)).one_or_none()

    WorkoutRepository.get = get  # type: ignore[method-assign]


def _aiohttp_request() -> None:
    from telegram.ext import _applicationbuilder

    from bench.aiohttp_request import AiohttpRequest

    vars(_applicationbuilder)["HTTPXRequest"] = AiohttpRequest


def _smooth_limiter() -> None:
    from telegram.ext import AIORateLimiter

    original = AIORateLimiter.__init__

    def init(
        self: AIORateLimiter,
        overall_max_rate: float = 30,
        overall_time_period: float = 1,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if overall_max_rate > 1 and overall_time_period == 1:
            overall_max_rate, overall_time_period = 1, 1 / overall_max_rate
        original(self, overall_max_rate, overall_time_period, *args, **kwargs)

    AIORateLimiter.__init__ = init  # type: ignore[method-assign]

    async def run_after_pause(
        self: AIORateLimiter,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Any:
        # Take a token only while no 429 pause is on; a token taken during a pause is
        # given up and taken again after it, so a pause never ends in a burst.
        base = self._base_limiter if chat and self._base_limiter else None
        while True:
            await self._retry_after_event.wait()
            if base is None or allow_paid_broadcast:
                return await callback(*args, **kwargs)
            async with base:
                if self._retry_after_event.is_set():
                    return await callback(*args, **kwargs)

    AIORateLimiter._run_request = run_after_pause  # type: ignore[method-assign]


def _job_unbounded() -> None:
    import time

    from bot import scheduler

    async def dispatch_nudges(context: Any) -> None:
        services = context.services
        dispatcher = scheduler.NudgeDispatcher(
            services, context.bot, batch_size=services.settings.nudge_batch_size
        )
        deadline = time.monotonic() + 50.0
        while time.monotonic() < deadline:
            try:
                report = await dispatcher.run_once()
            except Exception:  # as the job does: the next tick retries
                return
            if report.claimed < dispatcher.batch_size:
                return

    scheduler.dispatch_nudges = dispatch_nudges


def _bulk_record() -> None:
    from sqlalchemy import update

    from bot import scheduler
    from bot.coach.nudges import default_prefs
    from db.models import Nudge

    original = scheduler.NudgeDispatcher._record
    plain = frozenset({"sent", "stale", "done", "give_up"})

    async def record(self: Any, results: list[Any], now: Any, report: Any) -> None:
        sent: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        for result in results:
            if result.action not in plain:
                continue
            nudge = result.nudge
            prefs = scheduler.prefs_from_settings(nudge.prefs) if nudge.prefs else default_prefs()
            upcoming = scheduler.next_due(
                nudge.kind, prefs, nudge.time_zone, max(now, nudge.due_at)
            )
            row = {"id": nudge.id, "due_at": upcoming, "claimed_until": None, "attempts": 0}
            if result.action == "sent":
                sent.append({**row, "last_sent_at": now, "last_text_index": result.text_index})
                report.sent += 1
            else:
                skipped.append(row)
                report.skipped_stale += result.action == "stale"
                report.skipped_done += result.action == "done"
                report.failed += result.action == "give_up"
        async with self.services.transaction() as uow:
            for rows in (sent, skipped):
                if rows:
                    await uow.session.execute(update(Nudge), rows)
        rest = [result for result in results if result.action not in plain]
        if rest:
            await original(self, rest, now, report)

    scheduler.NudgeDispatcher._record = record  # type: ignore[method-assign]


def _sqlite_one_connection() -> None:
    import bot.app
    import db.engine

    original = db.engine.create_engine

    def create_engine(url: str, **kwargs: Any) -> Any:
        if url.startswith("sqlite") and "poolclass" not in kwargs and ":memory:" not in url:
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        return original(url, **kwargs)

    db.engine.create_engine = create_engine
    bot.app.create_engine = create_engine  # type: ignore[attr-defined]


def _mark_batch() -> None:
    from sqlalchemy import update

    from bot import scheduler
    from bot.coach.nudges import is_stale
    from db.models import Nudge
    from db.repositories.nudges import NudgeRepository

    original = scheduler.NudgeDispatcher._send_all

    async def mark_sending(self: NudgeRepository, nudge_id: int, now: Any) -> None:
        return None

    async def send_all(self: Any, claimed: Any, finished: Any, now: Any) -> Any:
        ids = [
            n.id
            for n in claimed
            if n.blocked_at is None and not n.interrupted and not is_stale(n.due_at, now)
        ]
        if ids:
            async with self.services.transaction() as uow:
                await uow.session.execute(
                    update(Nudge).where(Nudge.id.in_(ids)).values(last_sent_at=now)
                )
        return await original(self, claimed, finished, now)

    NudgeRepository.mark_sending = mark_sending  # type: ignore[method-assign]
    scheduler.NudgeDispatcher._send_all = send_all  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {
    "sniffio": _sniffio,
    "file_id_memo": _file_id_memo,
    "workout_get_lean": _workout_get_lean,
    "aiohttp_request": _aiohttp_request,
    "smooth_limiter": _smooth_limiter,
    "job_unbounded": _job_unbounded,
    "bulk_record": _bulk_record,
    "sqlite_one_connection": _sqlite_one_connection,
    "mark_batch": _mark_batch,
}


def apply_patches(names: list[str]) -> None:
    """Apply the named patches in order; an unknown name stops the run."""
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown patch {name!r}; known: {', '.join(sorted(PATCHES))}")
        PATCHES[name]()
