"""Health for a load balancer: ``/healthz`` (ready to take updates) and ``/livez`` (process up).

Ready means both of these answer:

- the database: ``SELECT 1`` within ``DATABASE_TIMEOUT`` seconds;
- the Bot API: some call got an HTTP answer below 500 (other than 401 or 404, a refused
  token) in the last ``BOT_API_FRESH`` seconds (every call counts, see
  ``bot.metrics.MeteredRequest``; a 429 is an answer too), or else a ``getMe``
  sent now answers within ``BOT_API_TIMEOUT``. A busy bot, or one that long-polls,
  always has fresh evidence and sends nothing extra; an idle webhook replica sends at
  most one ``getMe`` a minute however often the balancer asks, and after a failed
  one waits ``PROBE_GAP`` seconds before the next, so a Telegram outage is not
  hammered by every replica's health checks.

Checks that arrive together share one run, and a result is reused for
``RESULT_TTL`` seconds, so a balancer checking every second costs at most one
``SELECT 1`` a second. Answers name the failing part and the exception class, never
a URL, a token or the database's own message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import text

from bot.metrics import Metrics
from bot.services import LumbarApp

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0
BOT_API_FRESH = 60.0
BOT_API_TIMEOUT = 3.0
PROBE_GAP = 10.0
RESULT_TTL = 1.0


@dataclass(frozen=True)
class Readiness:
    """The answer to one readiness check: each part's state, "ok" or what went wrong."""

    parts: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Whether every part is ok."""
        return all(state == "ok" for state in self.parts.values())

    def body(self) -> str:
        """``ready``, or one line per part (``database: ok``, ``bot_api: failed (...)``)."""
        if self.ready:
            return "ready\n"
        return "".join(f"{part}: {state}\n" for part, state in self.parts.items())


class HealthCheck:
    """Answers readiness and liveness for one application."""

    def __init__(self, app: LumbarApp, metrics: Metrics, stopping: asyncio.Event) -> None:
        self._app = app
        self._metrics = metrics
        self._stopping = stopping
        self._last: Readiness | None = None
        self._last_at = 0.0
        self._running: asyncio.Task[Readiness] | None = None
        self._probe_failed_at: float | None = None
        self._probe_failure = ""

    async def readiness(self) -> Readiness:
        """Check (or reuse a check of the last second): stopping, the database, the Bot API."""
        if self._stopping.is_set():
            return Readiness({"process": "stopping"})
        if self._last is not None and time.monotonic() - self._last_at < RESULT_TTL:
            return self._last
        if self._running is None:
            self._running = asyncio.create_task(self._check())
        return await asyncio.shield(self._running)

    async def _check(self) -> Readiness:
        try:
            database, bot_api = await asyncio.gather(self._database(), self._bot_api())
            result = Readiness({"database": database, "bot_api": bot_api})
            # Changes only: a balancer asks every second or two.
            was_ready = self._last.ready if self._last is not None else True
            if was_ready and not result.ready:
                log.warning("not ready: %s", "; ".join(result.body().splitlines()))
            elif result.ready and not was_ready:
                log.info("ready again")
            self._last, self._last_at = result, time.monotonic()
            return result
        finally:
            self._running = None

    async def _database(self) -> str:
        services = getattr(self._app.bot_data, "services", None)
        if services is None:
            return "not started"
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                async with services.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except TimeoutError:
            self._metrics.database_errors.labels("health").inc()
            return f"failed (no answer within {DATABASE_TIMEOUT:g} s)"
        except Exception as error:  # drivers raise their own classes; the name is enough
            self._metrics.database_errors.labels("health").inc()
            return f"failed ({type(error).__name__})"
        return "ok"

    async def _bot_api(self) -> str:
        now = time.monotonic()
        answered = self._metrics.bot_api_answered_at
        if answered is not None and now - answered <= BOT_API_FRESH:
            return "ok"
        failed_at = self._probe_failed_at
        if failed_at is not None and now - failed_at < PROBE_GAP:
            return self._probe_failure
        try:
            async with asyncio.timeout(BOT_API_TIMEOUT):
                await self._app.bot.get_me()
        except TimeoutError:
            failure = f"failed (getMe: no answer within {BOT_API_TIMEOUT:g} s)"
        except Exception as error:  # NetworkError, InvalidToken, RetryAfter...
            failure = f"failed (getMe: {type(error).__name__})"
        else:
            self._probe_failed_at = None
            return "ok"
        self._probe_failed_at, self._probe_failure = time.monotonic(), failure
        return failure

    # --- HTTP

    async def healthz(self, request: web.Request) -> web.Response:
        """``GET /healthz``: 200 ``ready``, or 503 with the failing parts."""
        result = await self.readiness()
        return web.Response(
            status=200 if result.ready else 503,
            text=result.body(),
            headers={"Cache-Control": "no-store"},
        )

    async def livez(self, request: web.Request) -> web.Response:
        """``GET /livez``: 200 while the process serves requests, even while stopping."""
        return web.Response(text="alive\n", headers={"Cache-Control": "no-store"})

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add ``/healthz`` and ``/livez`` (GET and HEAD) to an aiohttp router."""
        router.add_get("/healthz", self.healthz)
        router.add_get("/livez", self.livez)

    async def close(self) -> None:
        """Wait out a check still running (at most a few seconds)."""
        running = self._running
        if running is not None:
            with contextlib.suppress(Exception):
                await running
