"""The bot's own HTTP servers (aiohttp): Telegram's webhook, health checks, Prometheus metrics.

The webhook decides from the request line and headers alone whether to take a body:

- a path other than the webhook's gets 404 and a method other than POST 405 (aiohttp's
  router), a missing or wrong ``X-Telegram-Bot-Api-Secret-Token`` 403 (compared in
  constant time), a process that is stopping 503, and a ``Content-Length`` above
  ``MAX_BODY`` 413: none of these reads the body. aiohttp itself holds at most a
  couple of 64 KiB buffers of it; the rest is discarded unread while the answer goes
  out (for up to ``LINGER_SECONDS``), then the connection is closed;
- a body without a length is read up to ``MAX_BODY`` (aiohttp's ``client_max_size``)
  and refused with 413 past it. Telegram's updates are a few kilobytes;
- a body that is not an update gets 400, and an update this library cannot read gets
  200 (confirmed and skipped, as polling does); both are logged with the size and the
  error class, never the text.

An update is answered 200 only once ``bot.delivery.deliver`` has returned: its handler
ran to the end and its transactions committed. If the process dies first, Telegram
gets no answer and delivers the update again (after its timeout, to this replica or
another one behind the balancer). The same update arriving again while the first
copy is still being handled waits for that copy instead of running twice.

While the process stops, webhook calls and ``/healthz`` get 503 (Telegram retries,
the balancer takes the replica out), updates in flight finish and are answered,
and then the servers close.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from dataclasses import dataclass, field

from aiohttp import web
from telegram import Update

from bot.delivery import deliver
from bot.health import HealthCheck
from bot.metrics import Metrics, metrics_app
from bot.services import LumbarApp

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# The largest webhook body taken. Telegram's updates are a few kilobytes (a message
# holds at most 4096 characters, a caption 1024, plus entities and a keyboard).
MAX_BODY = 1024 * 1024
# How long a refused body is read and thrown away so the client sees the answer.
LINGER_SECONDS = 1.0
# How long stopping waits for updates in flight before closing their connections.
DRAIN_SECONDS = 8.0


@dataclass(frozen=True)
class Address:
    """Where a server listens."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


class WebhookEndpoint:
    """``POST`` handler for Telegram's webhook calls (see the module docstring)."""

    def __init__(
        self, app: LumbarApp, secret: str, metrics: Metrics, stopping: asyncio.Event
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self._app = app
        self._secret = secret.encode()
        self._metrics = metrics
        self._stopping = stopping
        self._in_flight: dict[int, asyncio.Task[object]] = {}

    @property
    def in_flight(self) -> int:
        """Updates taken and not answered yet."""
        return len(self._in_flight)

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one webhook call, and count its status."""
        response = await self._answer(request)
        self._metrics.webhook_requests.labels(str(response.status)).inc()
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return _plain(403, "forbidden")
        if self._stopping.is_set():
            return _plain(503, "stopping")
        length = request.content_length
        if length is not None and length > MAX_BODY:
            return _plain(413, "too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _plain(413, "too large")
        update, update_id = _parse(body, self._app)
        if update is None and update_id is not None:
            # An update this library cannot read never will be: confirm it, as polling does,
            # or Telegram would deliver it again and again.
            return _plain(200, "skipped")
        if update is None:
            return _plain(400, "not an update")
        try:
            await self._deliver(update)
        except Exception as error:  # not handled: Telegram delivers it again
            name = type(error).__name__
            log.error("update %d not handled (%s); left for a retry", update.update_id, name)
            return _plain(500, "not handled")
        return web.Response(status=200)

    async def _deliver(self, update: Update) -> None:
        """Handle the update once, however many copies of it arrive while it runs."""
        update_id = update.update_id
        task = self._in_flight.get(update_id)
        if task is None:
            task = asyncio.create_task(
                deliver(self._app, update, record_now=True), name=f"update-{update_id}"
            )
            self._in_flight[update_id] = task
            task.add_done_callback(lambda done: self._done(update_id, done))
        # The handling goes on even if this request is cancelled (the caller went away).
        await asyncio.shield(task)

    def _done(self, update_id: int, task: asyncio.Task[object]) -> None:
        self._in_flight.pop(update_id, None)
        if not task.cancelled():
            task.exception()  # retrieved: a failure is logged by the request that waited

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait (at most ``timeout`` seconds) for the updates in flight to be handled.

        Any still running then are cancelled: unanswered, Telegram delivers them again.
        """
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        log.info("webhook: waiting for %d updates in flight", len(tasks))
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.warning("webhook: %d updates still running were cancelled", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)


def _parse(body: bytes, app: LumbarApp) -> tuple[Update | None, int | None]:
    """The update in a body and its id; None when unreadable (logged by id, never its text)."""
    update_id = None
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise ValueError("no update_id")
        update_id = data["update_id"]
        return Update.de_json(data, app.bot), update_id
    except Exception as error:  # JSON or PTB's own parsing: any failure is a bad body
        what = (type(error).__name__, len(body))
        if update_id is None:
            log.warning("webhook: refused a body that is not an update (%s, %d bytes)", *what)
        else:
            log.warning("webhook: update %d could not be parsed (%s, %d bytes)", update_id, *what)
        return None, update_id


@dataclass
class HttpServers:
    """The running servers; ``stopping`` is set first on the way down."""

    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    webhook: WebhookEndpoint | None = None
    health: HealthCheck | None = None
    addresses: dict[str, Address] = field(default_factory=dict)
    _runners: list[web.AppRunner] = field(default_factory=list)

    async def add(self, name: str, app: web.Application, at: Address) -> None:
        """Serve an aiohttp application at an address until ``stop``."""
        runner = web.AppRunner(
            app,
            access_log=None,  # a balancer's checks would fill the log; metrics count calls
            lingering_time=LINGER_SECONDS,
            shutdown_timeout=5.0,
        )
        await runner.setup()
        self._runners.append(runner)
        try:
            await web.TCPSite(runner, at.host, at.port).start()
        except OSError as error:  # one line naming the server and the address, not a trace
            reason = error.strerror or type(error).__name__
            raise OSError(f"cannot listen on {at} for {name}: {reason}") from error
        self.addresses[name] = at
        log.info("%s server listening on %s", name, at)

    async def stop(self) -> None:
        """503 from now on; let updates in flight finish and be answered; close the servers."""
        self.stopping.set()
        if self.webhook is not None:
            await self.webhook.drain(DRAIN_SECONDS)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self.health is not None:
            await self.health.close()


async def start_servers(
    app: LumbarApp,
    metrics: Metrics,
    *,
    webhook: tuple[Address, str, str] | None = None,
    health: Address | None = None,
    metrics_at: Address | None = None,
) -> HttpServers:
    """Start the servers asked for; raises OSError (address in use...) after closing any.

    ``webhook`` is (address, URL path, secret token); that server answers ``/healthz`` and
    ``/livez`` as well. ``health`` is a separate server for those two, ``metrics_at``
    one for ``/metrics``.
    """
    servers = HttpServers()
    servers.health = HealthCheck(app, metrics, servers.stopping)
    try:
        if webhook is not None:
            at, path, secret = webhook
            servers.webhook = WebhookEndpoint(app, secret, metrics, servers.stopping)
            hook = web.Application(client_max_size=MAX_BODY)
            hook.router.add_post("/" + path.strip("/"), servers.webhook.handle)
            servers.health.add_routes(hook.router)
            await servers.add("webhook", hook, at)
        if health is not None:
            checks = web.Application()
            servers.health.add_routes(checks.router)
            await servers.add("health", checks, health)
        if metrics_at is not None:
            await servers.add("metrics", metrics_app(metrics), metrics_at)
    except BaseException:
        with contextlib.suppress(Exception):
            await servers.stop()
        raise
    return servers
