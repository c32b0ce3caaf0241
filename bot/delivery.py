"""At-least-once delivery: an update is confirmed to Telegram only once it was handled.

python-telegram-bot's ``Updater`` confirms a batch of updates with the next
``getUpdates`` call, as soon as it has queued them; a process killed a moment later
loses them for good. Here an update counts as delivered only when its handler has run
to the end (its transactions committed, its messages sent):

- long polling (``Poller``): the ``offset`` sent to Telegram never passes an update
  still in flight, so Telegram delivers it again to the next process after a crash;
- webhook (``bot.webhook``): the HTTP answer goes out after ``deliver`` returns, so
  Telegram retries an update whose process died, on this replica or the other one.

Delivering again must not do the work twice. A handled update that Telegram could
still deliver again is written to a ledger (``handled_update``) shortly after its
handler finishes; an update found there is skipped. Under long polling that is only an
update held back behind an older one still in flight: the rest are confirmed with the
next ``getUpdates``, and Telegram never sends a confirmed update again, so they need no
row. The window between a handler's last step and that write is covered by the
handlers themselves, which are idempotent on state: a press is stored once (a unique
row per card), and pressing a card again re-sends only what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import timedelta

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.polling_window import UPDATES_FROM
from bot.services import LumbarApp, LumbarContext

log = logging.getLogger(__name__)

# Longest pause after Bot API failures while polling, in seconds (doubling from 1 s).
MAX_BACKOFF = 30.0
# While an update is in flight, Telegram answers getUpdates at once (the update is still
# pending), so polling cannot wait at Telegram for the next one: it asks again this
# often instead. Longer gaps kept new updates waiting (at 100 presses a
# second the press p50 was 30 ms with 50 ms and the ledger's 100 ms); shorter ones cost
# a getUpdates each.
IN_FLIGHT_WAIT = 0.01
# After each answer that brought nothing new the wait doubles, up to this. An update can
# stay in flight for seconds (a press queued in the rate limiter at saturation), and
# asking every 10 ms meanwhile cost a getUpdates, with the whole window sent back, each
# time: at the default limiter a quarter of the bot's CPU went to that.
IN_FLIGHT_WAIT_MAX = 0.04
# The ledger keeps two days; pruning runs this often.
PRUNE_EVERY = timedelta(hours=1)
# Handled update ids are written at most this long after their handler finished.
FLUSH_EVERY = 0.1


async def deliver(
    app: LumbarApp, update: Update, *, checked: bool = False, record_now: bool = False
) -> bool:
    """Handle one update unless it was handled before; True when it was handled now.

    ``checked``: the caller has already looked the update up in the ledger (the poller
    does it once per batch). ``record_now``: write it to the ledger before returning
    rather than with the next batch (the webhook: its 200 ends Telegram's retries, and
    the other replica must find it at once). Returns after the handler (and any error
    handler) finished.
    """
    services = app.bot_data.services
    if not checked:
        try:
            async with services.transaction() as uow:
                if await uow.updates.handled([update.update_id]):
                    log.info("update %d was handled before: skipped", update.update_id)
                    return False
        except Exception as error:  # the handler will meet the same database and apologise
            log.warning("update ledger unreadable (%s)", type(error).__name__)
    await app.update_processor.process_update(update, app.process_update(update))
    if record_now:
        await ledger_of(app).record(update.update_id)
    else:
        ledger_of(app).add(update.update_id)
    return True


class Ledger:
    """Handled update ids, written in one statement per ``FLUSH_EVERY`` rather than per update.

    A separate transaction per update would cost each press a third of its database
    work. An id Telegram has been told about by then (``confirmed_below``, which the
    poller moves) is not written at all: it can never come again. A crash before the
    write at worst delivers the rest again, which the handlers take as they take any
    repeated press.
    """

    def __init__(self, app: LumbarApp, every: float = FLUSH_EVERY) -> None:
        self._app = app
        # Seconds between writes; the flow tests shorten it (each of their steps waits
        # until the emulator's queue is confirmed empty).
        self.every = every
        self._pending: list[int] = []
        # Telegram forgets every update below this id (the offset of the last getUpdates
        # it answered); the webhook never moves it.
        self.confirmed_below = 0
        self._task: asyncio.Task[None] | None = None

    def add(self, update_id: int) -> None:
        """Note a handled update; it is written within ``every`` seconds."""
        self._pending.append(update_id)
        if self._task is None:
            self._task = asyncio.create_task(self._later(), name="lumbar-ledger")

    async def _later(self) -> None:
        await asyncio.sleep(self.every)
        self._task = None
        await self.flush()

    async def record(self, update_id: int) -> None:
        """Write one id now, in a transaction of its own."""
        await self._write([update_id])

    async def flush(self) -> None:
        """Write what is pending and could still come again, in one statement."""
        ids, self._pending = self._pending, []
        await self._write([uid for uid in ids if uid >= self.confirmed_below])

    async def _write(self, ids: list[int]) -> None:
        if not ids:
            return
        services = self._app.bot_data.services
        try:
            async with services.transaction() as uow:
                await uow.updates.record(ids, services.clock())
        except Exception as error:  # handled; at worst a redelivery finds the work done
            log.warning("%d handled updates not written (%s)", len(ids), type(error).__name__)


def ledger_of(app: LumbarApp) -> Ledger:
    """The app's ledger writer, made on first use."""
    ledger = getattr(app.bot_data, "ledger", None)
    if ledger is None:
        ledger = Ledger(app)
        app.bot_data.ledger = ledger
    return ledger


async def prune_ledger(context: LumbarContext) -> None:
    """Forget handled updates that Telegram can no longer deliver again (a JobQueue job)."""
    services = context.services
    async with services.transaction() as uow:
        removed = await uow.updates.prune(services.clock())
    if removed:
        log.info("update ledger: %d old entries pruned", removed)


class Poller:
    """Long polling that confirms an update to Telegram only after it was handled.

    Updates of a batch are handled concurrently (``PerChatUpdateProcessor`` keeps one
    chat's updates in order). The offset sent with each ``getUpdates`` is the oldest
    update still in flight, so Telegram keeps those; the ones after it that were
    already handled come back too and are skipped from memory. At most ``limit``
    updates can be in flight past the oldest unfinished one.
    """

    def __init__(
        self,
        app: LumbarApp,
        *,
        timeout: float = 10.0,
        limit: int = 100,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self._app = app
        self._timeout = timeout
        self._limit = limit
        self._allowed = list(Update.ALL_TYPES) if allowed_updates is None else allowed_updates
        self._in_flight: dict[int, asyncio.Task[bool]] = {}
        self._done: set[int] = set()  # handled ids that Telegram has not been told about yet
        self._next = 0  # one past the highest update id fetched
        self._ceiling: int | None = None  # the highest id in the ledger when polling began
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.Future[None] | None = None  # resolved when nothing is in flight
        self._stopping = False

    @property
    def offset(self) -> int | None:
        """What the next getUpdates confirms up to: the oldest update still in flight."""
        if self._in_flight:
            return min(self._in_flight)
        return self._next or None

    async def start(self) -> None:
        """Stop any webhook (as PTB's updater does) and begin polling in the background."""
        await self._app.bot.delete_webhook(drop_pending_updates=False)
        async with self._app.bot_data.services.transaction() as uow:
            self._ceiling = await uow.updates.ceiling()
        self._task = asyncio.create_task(self._run(), name="lumbar-poller")

    async def stop(self, grace: float = 8.0) -> None:
        """Stop fetching, let updates in flight finish (for ``grace`` seconds), confirm them."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=grace)
        await ledger_of(self._app).flush()
        offset = self.offset
        if offset is not None and not self._in_flight:
            # Tell Telegram about the last handled ones, as PTB's updater does at stop.
            with contextlib.suppress(Exception):
                await self._app.bot.get_updates(offset=offset, limit=1, timeout=0)

    async def _run(self) -> None:
        backoff, wait = 1.0, IN_FLIGHT_WAIT
        while not self._stopping:
            try:
                updates = await self._fetch()
            except InvalidToken:
                log.error("polling stopped: the Bot API rejected the token")
                return
            except RetryAfter as error:
                await asyncio.sleep(float(_seconds(error.retry_after)))
                continue
            except (TelegramError, ValueError) as error:
                # A network failure, a 5xx, a 409 or an answer it cannot read: all pass,
                # and polling must never end but for the token.
                log.warning(
                    "getUpdates failed (%s); again in %.0f s", type(error).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            fresh = [u for u in updates if u.update_id not in self._in_flight]
            fresh = [u for u in fresh if u.update_id not in self._done]
            before = await self._handled_before(fresh)
            for update in fresh:
                self._next = max(self._next, update.update_id + 1)
                if update.update_id in before:
                    self._done.add(update.update_id)
                    continue
                task = asyncio.create_task(deliver(self._app, update, checked=True))
                self._in_flight[update.update_id] = task
                task.add_done_callback(functools.partial(self._finished, update.update_id))
            if not fresh and self._in_flight:
                await self._pause(wait)  # they come back at once until they are handled
                wait = min(2 * wait, IN_FLIGHT_WAIT_MAX)
            else:
                wait = IN_FLIGHT_WAIT
                await asyncio.sleep(0)
            offset = self.offset or 0
            self._done = {uid for uid in self._done if uid >= offset}

    async def _fetch(self) -> list[Update]:
        """The updates not already in hand, each parsed alone; an unreadable one is skipped.

        Telegram sends back every update from the offset, and the offset stays at the
        oldest update still in flight: parsing them all again on every poll cost more
        CPU than handling them (at 64 busy users, 52 % of the bot's CPU was in
        telegram's ``de_json``). So the raw list is fetched, the updates in hand are not
        even decoded (``bot.polling_window``) or are passed over before any parsing, and
        only new ones become ``Update`` objects. One the library cannot read is logged
        by id, counts as handled and is confirmed, never retried.
        """
        request = self._app.bot.request
        base = getattr(request, "read_timeout", None) or 5.0
        in_hand = UPDATES_FROM.set(self._next)  # only newer ones are decoded
        offset = self.offset
        try:
            # Raw, so nothing is decoded twice (bot.app.quiet_raw_calls: PTB's warning).
            raw = await self._app.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "limit": self._limit,
                    "timeout": round(self._timeout),
                    "allowed_updates": self._allowed,
                },
                read_timeout=base + self._timeout,
            )
        finally:
            UPDATES_FROM.reset(in_hand)
        if offset is not None:  # answered: Telegram has forgotten everything below it
            ledger = ledger_of(self._app)
            ledger.confirmed_below = max(ledger.confirmed_below, offset)
        good: list[Update] = []
        for item in raw if isinstance(raw, list) else []:
            update_id = int(item.get("update_id", 0)) if isinstance(item, dict) else 0
            if update_id in self._in_flight or update_id in self._done:
                continue
            try:
                update = Update.de_json(item, self._app.bot)
            except Exception as error:
                log.error(
                    "update %d could not be read (%s): skipped", update_id, type(error).__name__
                )
                self._next = max(self._next, update_id + 1)
                self._done.add(update_id)
                continue
            if update is not None:
                good.append(update)
        return good

    def _finished(self, update_id: int, task: asyncio.Task[bool]) -> None:
        self._in_flight.pop(update_id, None)
        if not task.cancelled() and task.exception() is not None:
            name = type(task.exception()).__name__
            log.error("update %d: delivery failed (%s)", update_id, name)
        self._done.add(update_id)
        if not self._in_flight and self._idle is not None:
            _resolve(self._idle)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the last update in flight finishes first.

        One timer and one future, whatever the number in flight (waiting on every task
        in flight hooked a callback onto each of them at every poll).
        """
        loop = asyncio.get_running_loop()
        self._idle = idle = loop.create_future()
        timer = loop.call_later(seconds, _resolve, idle)
        try:
            await idle
        finally:
            timer.cancel()
            self._idle = None

    async def _handled_before(self, updates: list[Update]) -> set[int]:
        """Ids handled by an earlier process; only ids it could have seen are looked up."""
        ceiling = self._ceiling
        ids = [u.update_id for u in updates if ceiling is not None and u.update_id <= ceiling]
        if not ids:
            return set()
        try:
            async with self._app.bot_data.services.transaction() as uow:
                return await uow.updates.handled(ids)
        except Exception as error:  # handle them; the handlers are idempotent on state
            log.warning("update ledger unreadable (%s)", type(error).__name__)
            return set()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
