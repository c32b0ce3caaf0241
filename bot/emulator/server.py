"""The HTTP server: Bot API over real loopback HTTP, faults, and waiting helpers for tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from bot.emulator import control, errors
from bot.emulator.botapi import BotApi
from bot.emulator.errors import ApiError, EmulatorTimeoutError, too_many_requests
from bot.emulator.flood import FloodControl, counts_against_flood, makes_message
from bot.emulator.params import Params, Upload
from bot.emulator.pusher import WebhookPusher
from bot.emulator.state import ApiCall, Fault, StoredMessage
from bot.emulator.users import UserRef, UserSide, chat_ref

T = TypeVar("T")
_LOGGER = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 60 * 1024 * 1024
DEFAULT_BOT_ID = 123456


def _bot_id(token: str | None) -> int | None:
    prefix = (token or "").split(":", 1)[0]
    return int(prefix) if prefix.isdigit() and int(prefix) > 0 else None


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _json(body: Any, status: int = 200) -> web.Response:
    # Compact, as Telegram writes its answers (bot.polling_window reads their layout).
    return web.json_response(body, status=status, dumps=_compact)


def _compact(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


async def read_params(request: web.Request) -> Params:
    """Collect query, JSON, form and multipart parameters the way the Bot API accepts them."""
    params = Params(values=dict(request.query))
    if request.method != "POST" or not request.can_read_body:
        return params
    try:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise errors.bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise errors.bad_request("JSON object expected")
            params.values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params.files[key] = Upload(
                        value.file.read(), value.filename, value.content_type
                    )
                else:
                    params.values[key] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    return params


class BotApiServer(UserSide):
    """A Telegram Bot API server on loopback that tests drive as users.

    Point a bot at ``base_url`` / ``base_file_url``; act with ``send_text``, ``press`` and
    friends; read ``chat()``, ``calls``, ``commands``; wait with ``settle()``. After the
    bot calls ``setWebhook``, updates are POSTed to it instead (``webhook``, see
    ``bot.emulator.pusher``); ``webhook_timeout`` and ``webhook_backoff`` shape the retries.
    """

    def __init__(
        self,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        *,
        bot_username: str = "lumbar_test_bot",
        bot_first_name: str = "Lumbar",
        flood: FloodControl | None = None,
        webhook_timeout: float = 10.0,
        webhook_backoff: float = 0.5,
        webhook_max_backoff: float = 10.0,
    ) -> None:
        super().__init__(
            bot_id=_bot_id(token) or DEFAULT_BOT_ID,
            bot_first_name=bot_first_name,
            bot_username=bot_username,
            clock=clock,
        )
        self.token = token
        self.host = host
        self._port = port
        self.stopping = asyncio.Event()
        self.webhook = WebhookPusher(
            self,
            timeout=webhook_timeout,
            backoff=webhook_backoff,
            max_backoff=webhook_max_backoff,
        )
        self.api = BotApi(self, self.stopping, self.webhook)
        self.flood = flood
        self._runner: web.AppRunner | None = None

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        """Return the bound port (known after start())."""
        return self._port

    @property
    def origin(self) -> str:
        """Return ``http://host:port``."""
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Return the Bot API base URL to which the bot appends its token."""
        return f"{self.origin}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the file download base URL to which the bot appends its token."""
        return f"{self.origin}/file/bot"

    @property
    def control_url(self) -> str:
        """Return the root of the JSON control API."""
        return f"{self.origin}/_emulator"

    def build_app(self) -> web.Application:
        """Build the aiohttp application (Bot API, file downloads, control API)."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        control.add_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        return app

    async def start(self) -> None:
        """Start listening; the port is known afterwards."""
        self.stopping.clear()
        runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Release waiting long polls and stalls, then close the server."""
        self.stopping.set()
        self.touch()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- HTTP handlers ------------------------------------------------------------------
    def _token_ok(self, token: str) -> bool:
        if self.token is None:
            self.bot_id = _bot_id(token) or self.bot_id
            return True
        return token == self.token

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if not self._token_ok(request.match_info["token"]):
            return _json(ApiError(401, errors.UNAUTHORIZED).payload(), 401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return await self._handle_unknown(request)
        return web.Response(body=stored.data, content_type=stored.served_type.strip())

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if not self._token_ok(request.match_info["token"]):
            self.calls.append(ApiCall(method, {}, 401, self.now(), errors.UNAUTHORIZED))
            return _json(ApiError(401, errors.UNAUTHORIZED).payload(), 401)
        name = self.api.canonical(method)
        call = ApiCall(name, {}, at=self.now())
        self.calls.append(call)
        polling = name == "getUpdates"
        if not polling:
            self.activity.inflight += 1
            self.activity.bump()
        try:
            params = await read_params(request)
            call.params = params.loggable()
            fault = self._take_fault(name, params)
            if fault is not None:
                call.fault = fault.kind
                if fault.kind == "drop":
                    call.description = "connection dropped"
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response(status=500)
                if fault.kind == "stall":
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), fault.seconds)
                else:
                    raise ApiError(
                        fault.status,
                        fault.description or errors.DEFAULT_DESCRIPTIONS.get(fault.status, "Error"),
                        retry_after=fault.retry_after,
                    )
            self._check_flood(name, params)
            result = await self.api.call(method, params)
            body: dict[str, Any] = {"ok": True, "result": result}
            call.status = 200
        except ApiError as error:
            body = error.payload()
            call.status = error.code
            call.description = error.description
            if polling and error.code == 409 and _gone(request):
                call.status, call.description = 0, "poll abandoned by the client"
        except Exception as error:
            _LOGGER.exception("emulator failed on %s", name)
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            call.status = 500
            call.description = f"emulator bug: {type(error).__name__}"
        finally:
            if not polling:
                self.activity.inflight -= 1
                self.activity.bump()
            self.touch()
        return _json(body, call.status)

    # --- faults -------------------------------------------------------------------------
    @staticmethod
    def _chat_of(params: Params) -> int | None:
        try:
            return params.get_int("chat_id")
        except ApiError:
            return None

    def _check_flood(self, method: str, params: Params) -> None:
        if self.flood is None or not counts_against_flood(method):
            return
        wait = self.flood.admit(self._chat_of(params), self.now(), message=makes_message(method))
        if wait:
            raise too_many_requests(wait)

    def _take_fault(self, method: str, params: Params) -> Fault | None:
        chat_id = self._chat_of(params)
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> Fault:
        """Answer the next ``times`` calls of ``method`` with an error (429 gets retry_after 5)."""
        if status == 429 and retry_after is None:
            retry_after = 5
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else errors.DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            )
        return self._add_fault(
            Fault("fail", method, times, status, retry_after, description, chat_id)
        )

    def stall(
        self, method: str, seconds: float, times: int = 1, *, chat_id: int | None = None
    ) -> Fault:
        """Delay the next answers (the call still takes effect, as on Telegram)."""
        return self._add_fault(Fault("stall", method, times, chat_id=chat_id, seconds=seconds))

    def drop(self, method: str, times: int = 1, *, chat_id: int | None = None) -> Fault:
        """Close the connection without an answer (the call takes no effect)."""
        return self._add_fault(Fault("drop", method, times, chat_id=chat_id))

    def _add_fault(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        self.faults.append(fault)
        self.touch()
        return fault

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self.faults.clear()
        self.touch()

    # --- reading calls ------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        """Return the calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def api_calls(self) -> list[ApiCall]:
        """Return every call except getUpdates polling."""
        return [c for c in self.calls if c.method != "getUpdates"]

    # --- waiting ------------------------------------------------------------------------
    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the test API takes plain timeouts
        *,
        what: str = "condition",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked on every change); return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EmulatorTimeoutError(f"{what} not met within {timeout}s")
            await self.next_change(min(remaining, 0.05))

    async def wait_for_bot_messages(
        self,
        user: UserRef,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test API takes plain timeouts
    ) -> list[StoredMessage]:
        """Wait for ``count`` new bot messages in the chat since the user's last action."""
        chat_id = chat_ref(user)

        def enough() -> tuple[list[StoredMessage]] | None:
            fresh = self.new_bot_messages(chat_id)
            return (fresh,) if len(fresh) >= count else None

        (found,) = await self.wait_for(
            enough, timeout, what=f"{count} new bot message(s) in chat {chat_id}"
        )
        return found

    def settled(self, quiet: float) -> bool:
        """Tell whether the bot took every update, polls again and was quiet for ``quiet`` s.

        With a webhook set, "took" means answered with 2xx, and nobody polls.
        """
        activity = self.activity
        return (
            (activity.idle_polls > 0 or self.webhook.active)
            and not self.pending
            and activity.inflight == 0
            and time.monotonic() - activity.last >= quiet
        )

    async def settle(
        self,
        quiet: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - the test API takes plain timeouts
    ) -> None:
        """Return once the bot fetched every update, polls idle and made no call for ``quiet``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.settled(quiet):
            remaining = deadline - loop.time()
            if remaining <= 0:
                activity = self.activity
                raise EmulatorTimeoutError(
                    f"bot did not settle within {timeout}s (pending updates "
                    f"{len(self.pending)}, calls in flight {activity.inflight}, "
                    f"idle polls {activity.idle_polls})"
                )
            wait = quiet - (time.monotonic() - self.activity.last)
            await self.next_change(min(remaining, max(0.01, wait)))
