"""The nudge dispatcher: one repeating job that claims due nudges, sends them, reschedules.

State lives in the database (the `nudge` rows and their leases), so a restart
needs no persisted jobs, and two processes on one PostgreSQL never claim the
same row (`FOR UPDATE SKIP LOCKED`). Telegram calls happen outside the claim
transaction; results are written back in one transaction per batch.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.callbacks import NudgeAction
from bot.coach.nudges import (
    NudgePrefs,
    default_prefs,
    is_stale,
    next_stretch_at,
    next_water_at,
    pick_text,
)
from bot.handlers.common import zone
from bot.keyboards import button, rows
from bot.services import LumbarApp, LumbarContext, Services
from db.models import NudgeSettings

if TYPE_CHECKING:
    from telegram.ext import ExtBot

    from db.repositories.nudges import ClaimedNudge

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(seconds=30)
SAME_CHAT_GAP = timedelta(seconds=2)
SEND_CONCURRENCY = 32


def prefs_from_settings(settings: NudgeSettings | Any) -> NudgePrefs:
    """The coach's view of a user's reminder settings (from a row or a claimed nudge)."""
    return NudgePrefs(
        enabled=settings.enabled,
        stretch_enabled=settings.stretch_enabled,
        stretch_times=tuple(_clock(t) for t in settings.stretch_times),
        stretch_days=settings.stretch_days,
        water_enabled=settings.water_enabled,
        water_interval_minutes=settings.water_interval_minutes,
        wake_start=settings.wake_start,
        wake_end=settings.wake_end,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
        paused_until=settings.paused_until,
    )


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_due(kind: str, prefs: NudgePrefs, zone_name: str, after: datetime) -> datetime | None:
    """The next due instant of one kind of nudge, in UTC."""
    user_zone = zone(zone_name)
    if kind == "stretch":
        return next_stretch_at(prefs, user_zone, after)
    return next_water_at(prefs, user_zone, after)


@dataclass
class DispatchReport:
    """What one dispatcher run did; the benchmarks and tests read it."""

    claimed: int = 0
    sent: int = 0
    skipped_stale: int = 0
    skipped_done: int = 0
    blocked: int = 0
    retried: int = 0
    deferred: int = 0
    failed: int = 0
    unsure: int = 0  # maybe sent (a timeout, or a dispatcher died mid-send): never repeated
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Result:
    nudge: ClaimedNudge
    action: str  # sent|stale|done|blocked|retry|defer|give_up
    text_index: int | None = None
    retry_at: datetime | None = None


class NudgeDispatcher:
    """Claims due nudges in batches and sends them through the bot's rate limiter."""

    def __init__(self, services: Services, bot: ExtBot[None], *, batch_size: int = 200) -> None:
        self.services = services
        self.bot = bot
        self.batch_size = batch_size

    async def run_once(self) -> DispatchReport:
        """Claim, send and record one batch; never raises for a single nudge's failure."""
        report = DispatchReport()
        now = self.services.clock()
        async with self.services.transaction() as uow:
            claimed = await uow.nudges.claim_due(now, self.batch_size, LEASE)
            finished = await uow.streaks.last_days([n.user_id for n in claimed])
        report.claimed = len(claimed)
        if not claimed:
            return report
        results = await self._send_all(claimed, finished, now)
        await self._record(results, now, report)
        return report

    async def _send_all(
        self, claimed: Sequence[ClaimedNudge], finished: dict[int, Any], now: datetime
    ) -> list[_Result]:
        seen_chats: set[int] = set()
        gate = asyncio.Semaphore(SEND_CONCURRENCY)
        tasks = []
        immediate: list[_Result] = []
        for nudge in claimed:
            if nudge.blocked_at is not None:
                immediate.append(_Result(nudge, "blocked"))
            elif nudge.interrupted:
                # A dispatcher died while sending it: it may have gone out. Never twice.
                immediate.append(_Result(nudge, "unsure"))
            elif is_stale(nudge.due_at, now):
                immediate.append(_Result(nudge, "stale"))
            elif nudge.kind == "stretch" and _finished_today(
                nudge, finished.get(nudge.user_id), now
            ):
                immediate.append(_Result(nudge, "done"))
            elif nudge.user_id in seen_chats:
                # Telegram allows about one message a second per chat: send this one a bit later.
                immediate.append(_Result(nudge, "defer", retry_at=now + SAME_CHAT_GAP))
            else:
                seen_chats.add(nudge.user_id)
                tasks.append(self._send_one(nudge, gate))
        return immediate + list(await asyncio.gather(*tasks))

    async def _send_one(self, nudge: ClaimedNudge, gate: asyncio.Semaphore) -> _Result:
        lib = self.services.library
        texts = lib.nudges.stretch if nudge.kind == "stretch" else lib.nudges.water
        seed = zlib.crc32(f"{nudge.user_id}:{nudge.due_at.isoformat()}".encode())
        index = pick_text(len(texts), nudge.last_text_index, seed)
        try:
            async with gate:
                async with self.services.transaction() as uow:
                    await uow.nudges.mark_sending(nudge.id, self.services.clock())
                await self.bot.send_message(
                    nudge.user_id, texts[index], reply_markup=self._buttons(nudge.kind)
                )
        except Forbidden:
            return _Result(nudge, "blocked")
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return _Result(
                nudge, "retry", retry_at=self.services.clock() + timedelta(seconds=seconds)
            )
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                return _Result(nudge, "blocked")
            log.warning("nudge %s refused: %s", nudge.id, type(error).__name__)
            return _Result(nudge, "give_up")
        except TimedOut:
            # Telegram may have delivered it and answered late: sending again could double it.
            log.warning("nudge %s timed out; not sent again", nudge.id)
            return _Result(nudge, "unsure")
        except NetworkError as error:
            log.warning("nudge %s not sent: %s", nudge.id, type(error).__name__)
            if nudge.attempts + 1 >= MAX_ATTEMPTS:
                return _Result(nudge, "give_up")
            return _Result(nudge, "retry", retry_at=self.services.clock() + RETRY_DELAY)
        return _Result(nudge, "sent", text_index=index)

    def _buttons(self, kind: str) -> InlineKeyboardMarkup:
        lib = self.services.library
        if kind == "stretch":
            return rows(
                [button(lib.text("btn_nudge_stretch"), NudgeAction("stretch"))],
                [button(lib.text("btn_nudge_snooze"), NudgeAction("snooze"))],
            )
        return rows([button(lib.text("btn_nudge_water"), NudgeAction("water"))])

    async def _record(self, results: list[_Result], now: datetime, report: DispatchReport) -> None:
        async with self.services.transaction() as uow:
            blocked_users: set[int] = set()
            for result in results:
                nudge = result.nudge
                if result.action == "blocked":
                    if nudge.user_id not in blocked_users:
                        blocked_users.add(nudge.user_id)
                        if nudge.blocked_at is None:
                            await uow.users.mark_blocked(nudge.user_id, now)
                        else:
                            await uow.nudges.unschedule_all(nudge.user_id)
                    report.blocked += 1
                    continue
                if result.action in ("retry", "defer") and result.retry_at is not None:
                    attempts = nudge.attempts + (1 if result.action == "retry" else 0)
                    await uow.nudges.retry_later(nudge.id, result.retry_at, attempts)
                    report.retried += result.action == "retry"
                    report.deferred += result.action == "defer"
                    continue
                prefs = prefs_from_settings(nudge.prefs) if nudge.prefs else default_prefs()
                upcoming = next_due(nudge.kind, prefs, nudge.time_zone, max(now, nudge.due_at))
                if result.action == "sent":
                    await uow.nudges.complete(nudge.id, now, upcoming, result.text_index)
                    report.sent += 1
                else:
                    await uow.nudges.skip(nudge.id, upcoming)
                    report.skipped_stale += result.action == "stale"
                    report.skipped_done += result.action == "done"
                    report.failed += result.action == "give_up"
                    report.unsure += result.action == "unsure"


def _finished_today(nudge: ClaimedNudge, last_on: Any, now: datetime) -> bool:
    return last_on is not None and last_on == now.astimezone(zone(nudge.time_zone)).date()


async def dispatch_nudges(context: LumbarContext) -> None:
    """The repeating job: run batches until nothing is due (bounded per tick)."""
    services = context.services
    dispatcher = NudgeDispatcher(
        services, context.bot, batch_size=services.settings.nudge_batch_size
    )
    for _ in range(20):
        try:
            report = await dispatcher.run_once()
        except Exception as error:  # the job must survive a database hiccup; next tick retries
            log.warning("nudge dispatch failed: %s", type(error).__name__)
            return
        if report.claimed < dispatcher.batch_size:
            return


def schedule_dispatcher(app: LumbarApp, settings: Any) -> None:
    """Register the one repeating dispatcher job in PTB's JobQueue (APScheduler 3)."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        dispatch_nudges,
        interval=settings.nudge_interval_seconds,
        first=settings.nudge_interval_seconds,
        name="nudge-dispatcher",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
    )
