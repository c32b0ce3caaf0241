"""The real bot in-process in webhook mode (or polling with its side servers), for web tests.

The emulator plays Telegram: after the bot's ``setWebhook`` it POSTs each update a user
sends to the bot's webhook server, with the secret, and retries until a 2xx answer.
Tests may also talk to the bot's servers directly (``post``, ``get``, ``raw``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.app import Webhook, build_application, running
from bot.emulator import BotApiServer, FakeUser
from bot.services import LumbarApp
from tests.conftest import sqlite_url
from tests.flows.conftest import TOKEN, make_settings

SECRET = "hook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/lumbar/hook"


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def update_json(user_id: int, update_id: int, text: str, name: str = "Eve") -> dict[str, Any]:
    """A private text message, as Telegram sends it (a command when it starts with /)."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_790_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": name},
        "from": {"id": user_id, "is_bot": False, "first_name": name},
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


@dataclass
class WebBot:
    """The running bot, its emulator and an HTTP client for its servers."""

    server: BotApiServer
    app: LumbarApp
    http: aiohttp.ClientSession
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, server: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[server]}{path}"

    @property
    def hook(self) -> str:
        return self.url("webhook", PATH)

    async def post(
        self, body: bytes | dict[str, Any], *, secret: str | None = SECRET, path: str = PATH
    ) -> tuple[int, str]:
        """POST a body to the webhook server; returns the status and the answer's text."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[HEADER] = secret
        async with self.http.post(self.url("webhook", path), data=data, headers=headers) as answer:
            return answer.status, await answer.text()

    async def get(self, server: str, path: str) -> tuple[int, str]:
        async with self.http.get(self.url(server, path)) as answer:
            return answer.status, await answer.text()

    async def raw(self, server: str, head: str, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Send only a request head (no body) and return the status line of the answer."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ports[server])
        try:
            writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout)
            return line.decode().strip()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def user(self, user_id: int = 4242, name: str = "Eve") -> FakeUser:
        user = self.server.user(user_id, first_name=name)
        self.server.private_chat(user)
        return user


@contextlib.asynccontextmanager
async def web_bot(
    tmp_path: Path,
    template: Path,
    *,
    webhook: bool = True,
    health: bool = False,
    metrics: bool = False,
    stack: contextlib.AsyncExitStack | None = None,
) -> AsyncIterator[WebBot]:
    """The bot on a copy of the migrated SQLite template, with the servers asked for.

    With ``stack``, the bot's ``running`` block is entered on that stack, so a test can
    stop the bot (``stack.aclose()``) while it still talks to it.
    """
    db = tmp_path / "lumbar.sqlite3"
    shutil.copyfile(template, db)
    ports = {"webhook": free_port()} if webhook else {}
    extra: dict[str, Any] = {}
    if webhook:
        extra.update(
            webhook_url=f"http://127.0.0.1:{ports['webhook']}{PATH}",
            webhook_secret=SecretStr(SECRET),
            webhook_listen="127.0.0.1",
            webhook_port=ports["webhook"],
        )
    if health:
        ports["health"] = extra["health_port"] = free_port()
        extra["health_listen"] = "127.0.0.1"
    if metrics:
        ports["metrics"] = extra["metrics_port"] = free_port()
    async with BotApiServer(token=TOKEN) as server, aiohttp.ClientSession() as http:
        settings = make_settings(server, sqlite_url(db), tmp_path, **extra)
        app = build_application(settings, read_timeout=5.0)
        block = running(app, poll_timeout=1.0, webhook=Webhook.from_settings(settings))
        try:
            if stack is None:
                async with block:
                    yield WebBot(server, app, http, ports)
            else:
                await stack.enter_async_context(block)
                try:
                    yield WebBot(server, app, http, ports)
                finally:
                    await stack.aclose()
        finally:
            # Stop the emulator's pushing first: its loop runs while a webhook is set and
            # can miss the cancel of a plain stop (asyncio.wait_for on Python 3.11).
            await server.webhook.clear()
