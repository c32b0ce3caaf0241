"""Webhook mode: updates are taken only with Telegram's secret token header; forgeries get 403.

The bot runs as a real process; the emulator registers its webhook (``setWebhook``) and
POSTs the updates users send to it, as Telegram does.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.process import Deployment

pytestmark = pytest.mark.e2e

SECRET = "hook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def deployment(deployment: Deployment) -> AsyncIterator[Deployment]:
    """The e2e deployment; the emulator stops pushing before it stops.

    ``WebhookPusher.close`` right after ``BotApiServer.stop``'s ``touch()`` can lose its
    cancel inside ``asyncio.wait_for`` (Python 3.11) and loop for ever while a webhook
    is set; clearing the webhook first ends the loop.
    """
    try:
        yield deployment
    finally:
        await deployment.server.webhook.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def update_from(user_id: int, update_id: int, text: str) -> dict[str, Any]:
    chat = {"id": user_id, "type": "private", "first_name": "Eve"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Eve"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_a_forged_update_without_the_secret_is_refused(deployment: Deployment) -> None:
    deploy = deployment
    port = free_port()
    hook = f"http://127.0.0.1:{port}/lumbar/hook"
    run = await deploy.start(
        receiving="setWebhook",
        WEBHOOK_URL=hook,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    (registered,) = deploy.server.calls_to("setWebhook")
    assert registered.params["url"] == hook and registered.params["secret_token"] == SECRET
    eve = deploy.server.user(4242, first_name="Eve")
    deploy.server.private_chat(eve)

    async with aiohttp.ClientSession() as http:

        async def post(update: dict[str, Any], headers: dict[str, str]) -> int:
            body = json.dumps(update)
            for _ in range(50):  # the server may take a moment to accept connections
                try:
                    async with http.post(
                        hook, data=body, headers={"Content-Type": "application/json", **headers}
                    ) as response:
                        return response.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            raise AssertionError("the webhook server never listened")

        assert await post(update_from(eve.id, 1, "/start"), {}) == 403
        assert await post(update_from(eve.id, 2, "/start"), {HEADER: "guess"}) == 403
        # Updates of one chat are handled in order: had a forgery got in, its answer would
        # come before the genuine one's.
        assert await post(update_from(eve.id, 3, "/help"), {HEADER: SECRET}) == 200
        # 200 means handled: the answer was sent before it.
        answers = [m.text_or_caption for m in deploy.server.bot_messages(eve)]
        assert any("/today" in answer for answer in answers)
    assert not any("Hi Eve" in answer for answer in answers)
    async with deploy.transaction() as uow:
        assert await uow.users.get(eve.id) is None  # /start never got in
    assert not deploy.server.calls_to("getUpdates")  # webhook mode never polls
    assert await run.stop() == 0
    assert SECRET not in run.output


def rss_mb(pid: int) -> float:
    """The resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_big_forged_uploads_cost_no_memory_and_genuine_updates_flow(
    deployment: Deployment,
) -> None:
    """Issue 16, item 4: eight parallel 95 MB POSTs without the secret took 120 -> 674 MB."""
    deploy = deployment
    port, health = free_port(), free_port()
    hook = f"http://127.0.0.1:{port}/lumbar/hook"
    run = await deploy.start(
        receiving="setWebhook",
        WEBHOOK_URL=hook,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        HEALTH_PORT=str(health),
        HEALTH_LISTEN="127.0.0.1",
    )
    size, chunk = 95 * 1024 * 1024, bytes(1024 * 1024)
    before = peak = rss_mb(run.proc.pid)

    async def upload(http: aiohttp.ClientSession) -> int:
        async def body() -> AsyncIterator[bytes]:
            for _ in range(size // len(chunk)):
                yield chunk

        headers = {"Content-Length": str(size), "Content-Type": "application/json"}
        try:
            async with http.post(hook, data=body(), headers=headers) as response:
                return response.status
        except aiohttp.ClientError:
            return 0  # closed after the refusal, before the client read it

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb(run.proc.pid))
            await asyncio.sleep(0.02)

    async with aiohttp.ClientSession() as http:
        watcher = asyncio.create_task(watch())
        statuses = await asyncio.gather(*(upload(http) for _ in range(8)))
        await asyncio.sleep(0.2)
        watcher.cancel()
        assert 403 in statuses and set(statuses) <= {403, 0}
        assert peak - before < 30, f"RSS {before:.0f} -> {peak:.0f} MB"

        eve = deploy.server.user(4243, first_name="Eve")
        answers = await deploy.send(eve, "/help")  # the emulator pushes it, with the secret
        assert any("/today" in m.text_or_caption for m in answers)
        (taken,) = deploy.server.webhook.taken().values()
        assert taken.status == 200 and taken.attempt == 1
        for url in (f"http://127.0.0.1:{health}/healthz", hook.replace("/lumbar/hook", "/healthz")):
            async with http.get(url) as response:
                assert (response.status, await response.text()) == (200, "ready\n")
    assert await run.stop() == 0
    assert SECRET not in run.output
