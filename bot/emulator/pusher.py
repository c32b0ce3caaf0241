"""Webhook delivery as Telegram does it: POST every pending update until the bot answers 2xx.

After ``setWebhook`` the emulator stops answering ``getUpdates`` (409) and pushes instead:

- each pending update is POSTed as JSON to the webhook URL, with the
  ``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set;
- up to ``max_connections`` updates are in flight at once, oldest first; nothing keeps
  two updates of one chat apart (Telegram does not promise that either);
- an update stays pending until an answer in the 2xx range; a non-2xx answer, a
  connection error or no answer within ``timeout`` seconds counts as a failure, and
  the update is tried again after a backoff that doubles per failure of that update
  (``backoff`` up to ``max_backoff``). ``getWebhookInfo`` reports the last failure.

Unlike Telegram the emulator accepts ``http://`` URLs on any port (tests listen on
loopback) and ignores a body in the answer (Telegram would run it as a method call).
Every attempt is kept in ``deliveries`` so tests can count retries and measure waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import aiohttp

from bot.emulator.state import JSON
from bot.emulator.world import World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
DEFAULT_MAX_CONNECTIONS = 40


@dataclass(frozen=True)
class WebhookConfig:
    """What ``setWebhook`` registered."""

    url: str
    secret_token: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    allowed_updates: tuple[str, ...] | None = None


@dataclass
class Delivery:
    """One POST of one update: when it started and ended (monotonic seconds), and how."""

    update_id: int
    attempt: int
    started: float
    finished: float | None = None
    status: int = 0  # the HTTP status; 0 when there was no answer
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the bot took the update (a 2xx answer)."""
        return 200 <= self.status < 300

    def view(self) -> JSON:
        """Return a JSON view for the control API."""
        return {
            "update_id": self.update_id,
            "attempt": self.attempt,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class _Retry:
    attempts: int = 0
    not_before: float = 0.0


class WebhookPusher:
    """Pushes the world's pending updates to a webhook while one is set."""

    def __init__(
        self,
        world: World,
        *,
        timeout: float = 10.0,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
    ) -> None:
        self.world = world
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.config: WebhookConfig | None = None
        self.deliveries: list[Delivery] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._retries: dict[int, _Retry] = {}
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._http: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        """Tell whether a webhook is set (getUpdates is refused meanwhile)."""
        return self.config is not None

    @property
    def in_flight(self) -> int:
        """Count the POSTs waiting for an answer right now."""
        return len(self._in_flight)

    def set(self, config: WebhookConfig) -> None:
        """Start (or keep) pushing, to this URL from now on."""
        self.config = config
        self._closing = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="emulator-webhook")
        self.world.touch()

    async def clear(self) -> None:
        """Stop pushing; updates still unanswered stay pending for getUpdates."""
        self.config = None
        await self.close()
        self.last_error_date = self.last_error_message = None
        self._retries.clear()
        self.world.touch()

    async def close(self) -> None:
        """Abandon the POSTs in flight and the push loop (the emulator is stopping)."""
        # A flag as well as cancel(): Python 3.11's wait_for can swallow a cancellation
        # that arrives as the change it waits for does.
        self._closing = True
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self._in_flight.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def info(self) -> JSON:
        """Answer getWebhookInfo."""
        config = self.config
        info: JSON = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.pending),
        }
        if config is not None:
            info["max_connections"] = config.max_connections
            if config.allowed_updates is not None:
                info["allowed_updates"] = list(config.allowed_updates)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    # --- the push loop --------------------------------------------------------------------
    async def _run(self) -> None:
        while self.config is not None and not self._closing:
            config = self.config
            now = time.monotonic()
            for update in list(self.world.pending):
                if len(self._in_flight) >= config.max_connections:
                    break
                update_id = int(update["update_id"])
                retry = self._retries.get(update_id)
                if update_id in self._in_flight or (retry and retry.not_before > now):
                    continue
                self._in_flight[update_id] = asyncio.create_task(self._push(config, update))
            waits = [r.not_before - now for r in self._retries.values() if r.not_before > now]
            await self.world.next_change(min([1.0, *waits]))

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._http

    async def _push(self, config: WebhookConfig, update: JSON) -> None:
        update_id = int(update["update_id"])
        retry = self._retries.setdefault(update_id, _Retry())
        retry.attempts += 1
        delivery = Delivery(update_id, retry.attempts, time.monotonic())
        self.deliveries.append(delivery)
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        try:
            async with self._session().post(
                config.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                await response.read()
                delivery.status = response.status
                if not delivery.ok:
                    delivery.error = f"Wrong response from the webhook: {response.status} " + (
                        response.reason or ""
                    )
        except TimeoutError:
            delivery.error = "Read timeout expired"
        except aiohttp.ClientConnectorError as error:
            delivery.error = f"Connection failed: {error.os_error.strerror or error}"
        except aiohttp.ClientError as error:
            delivery.error = f"Connection failed: {type(error).__name__}"
        finally:
            delivery.finished = time.monotonic()
            self._in_flight.pop(update_id, None)
        self._settle(delivery, retry)

    def _settle(self, delivery: Delivery, retry: _Retry) -> None:
        if delivery.ok:
            self._retries.pop(delivery.update_id, None)
            self.world.pending = [
                u for u in self.world.pending if u["update_id"] != delivery.update_id
            ]
        else:
            self.last_error_date = self.world.date()
            self.last_error_message = (delivery.error or "").strip()
            pause = min(self.max_backoff, self.backoff * 2 ** (retry.attempts - 1))
            retry.not_before = time.monotonic() + pause
        self.world.activity.bump()
        self.world.touch()

    # --- reading, for tests ---------------------------------------------------------------
    def taken(self) -> dict[int, Delivery]:
        """Return, per update id, the attempt the bot answered with 2xx (the first one)."""
        found: dict[int, Delivery] = {}
        for delivery in self.deliveries:
            if delivery.ok:
                found.setdefault(delivery.update_id, delivery)
        return found

    def failures(self) -> list[Delivery]:
        """Return every attempt that did not end in a 2xx answer."""
        return [d for d in self.deliveries if d.finished is not None and not d.ok]
