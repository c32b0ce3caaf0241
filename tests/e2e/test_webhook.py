"""Webhook mode: updates are taken only with Telegram's secret token header; forgeries get 403."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
import pytest

from bot.emulator.params import Params
from tests.e2e.process import Deployment

pytestmark = pytest.mark.e2e

SECRET = "hook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
    registered: dict[str, Any] = {}

    async def set_webhook(params: Params) -> bool:  # the emulator only polls; add the call
        registered.update(url=params.get_str("url"), secret=params.get_str("secret_token"))
        return True

    deploy.server.api.methods["setwebhook"] = ("setWebhook", set_webhook)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/lumbar/hook"
    run = await deploy.start(
        receiving="setWebhook",
        WEBHOOK_URL=hook,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    assert registered == {"url": hook, "secret": SECRET}
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
        await deploy.server.wait_for(
            lambda: any("/today" in m.text_or_caption for m in deploy.server.bot_messages(eve)),
            10,
            what="the answer to the genuine /help",
        )
    answers = [m.text_or_caption for m in deploy.server.bot_messages(eve)]
    assert len(answers) == 1 and "Hi Eve" not in answers[0]
    async with deploy.transaction() as uow:
        assert await uow.users.get(eve.id) is None  # /start never got in
    assert not deploy.server.calls_to("getUpdates")  # webhook mode never polls
    assert await run.stop() == 0
    assert SECRET not in run.output
