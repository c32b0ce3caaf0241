"""Webhook delivery: after setWebhook the emulator POSTs updates the way Telegram does."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.emulator import BotApiServer
from bot.emulator.pusher import SECRET_HEADER
from tests.emulator.conftest import TOKEN

SECRET = "s3cret_token-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Receiver:
    """A stand-in for the bot's webhook server: records what arrives, answers as told."""

    port: int
    answers: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    delay: float = 0.0
    received: list[tuple[int, str | None]] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)
    concurrent: int = 0
    most_concurrent: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        update_id = int(body["update_id"])
        self.received.append((update_id, request.headers.get(SECRET_HEADER)))
        self.concurrent += 1
        self.most_concurrent = max(self.most_concurrent, self.concurrent)
        try:
            if self.hold:
                await self.release.wait()
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.concurrent -= 1
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.taken.append(update_id)
        return web.Response(status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver listening on a free loopback port."""
    found = Receiver(free_port())
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", found.port).start()
    try:
        yield found
    finally:
        found.release.set()
        await runner.cleanup()


async def test_updates_are_pushed_with_the_secret_and_polling_is_refused(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=SECRET, max_connections=5)
    ann = server.user(42)
    first = server.send_text(ann, "/start")
    server.send_text(ann, "hello")
    await server.wait_for(lambda: len(receiver.taken) == 2, what="two updates pushed")
    assert sorted(receiver.taken) == [1, 2]
    assert {secret for _, secret in receiver.received} == {SECRET}
    await server.settle()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (receiver.url, 0, 5)
    assert info.last_error_date is None
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert first.message_id == 1
    assert [d.status for d in server.webhook.deliveries] == [200, 200]


async def test_a_non_2xx_answer_is_retried_until_the_bot_takes_the_update(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    server.webhook.backoff = 0.05
    receiver.answers = [503, 500, 403]
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    server.send_text(server.user(42), "/today")
    await server.wait_for(lambda: server.webhook.taken(), what="the update taken")
    assert [update_id for update_id, _ in receiver.received] == [1, 1, 1, 1]
    assert [(d.attempt, d.status) for d in server.webhook.deliveries] == [
        (1, 503),
        (2, 500),
        (3, 403),
        (4, 200),
    ]
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_date is not None
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"


async def test_the_backoff_doubles_and_the_update_stays_pending_meanwhile(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    server.webhook.backoff, server.webhook.max_backoff = 0.1, 0.25
    receiver.answers = [500, 500, 500, 500]
    await bot.set_webhook(receiver.url)
    server.send_text(server.user(42), "/today")
    await server.wait_for(lambda: len(receiver.received) == 1, what="the first attempt")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await server.wait_for(lambda: receiver.taken, what="the update taken")
    starts = [d.started for d in server.webhook.deliveries]
    pauses = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # 0.1, 0.2, then capped at 0.25 twice (a little more for the round trips).
    for pause, wanted in zip(pauses, [0.1, 0.2, 0.25, 0.25], strict=True):
        assert wanted <= pause < wanted + 0.2
    assert receiver.received == [(1, None)] * 5  # no secret set, no header


async def test_a_timeout_counts_as_a_failure_and_the_update_comes_again(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    server.webhook.timeout, server.webhook.backoff = 0.2, 0.05
    receiver.delay = 0.5
    await bot.set_webhook(receiver.url)
    server.send_text(server.user(42), "/today")
    await server.wait_for(lambda: server.webhook.failures(), what="a timed-out attempt")
    receiver.delay = 0.0
    await server.wait_for(lambda: 1 in server.webhook.taken(), what="the update taken")
    failed = server.webhook.failures()[0]
    assert (failed.status, failed.error) == (0, "Read timeout expired")
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Read timeout expired"
    # The bot saw the update more than once: a timeout does not mean it was not handled.
    assert [update_id for update_id, _ in receiver.received].count(1) >= 2


async def test_connection_refused_is_retried_until_the_bot_listens(
    server: BotApiServer, bot: Bot
) -> None:
    server.webhook.backoff, server.webhook.max_backoff = 0.05, 0.1
    port = free_port()
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    server.send_text(server.user(42), "/today")
    await server.wait_for(lambda: len(server.webhook.failures()) >= 2, what="refused attempts")
    assert "Connection failed" in (server.webhook.last_error_message or "")
    late = Receiver(port)
    app = web.Application()
    app.router.add_post("/hook", late.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await server.wait_for(lambda: late.taken, what="the update taken once listening")
    finally:
        await runner.cleanup()
    assert late.taken == [1]


async def test_up_to_max_connections_are_in_flight_even_within_one_chat(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    receiver.hold = True
    await bot.set_webhook(receiver.url, max_connections=3)
    ann = server.user(42)
    for n in range(6):
        server.send_text(ann, f"message {n}")
    await server.wait_for(lambda: receiver.concurrent == 3, what="three POSTs in flight")
    await asyncio.sleep(0.1)
    assert receiver.concurrent == 3  # not a fourth
    assert sorted(u for u, _ in receiver.received) == [1, 2, 3]  # oldest first
    receiver.release.set()
    await server.wait_for(lambda: len(receiver.taken) == 6, what="all six taken")
    await server.settle()
    assert receiver.most_concurrent == 3


async def test_delete_webhook_goes_back_to_polling_and_can_drop_what_is_pending(
    server: BotApiServer, bot: Bot
) -> None:
    server.webhook.backoff = 5.0  # the refused update waits for its retry
    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    ann = server.user(42)
    server.send_text(ann, "one")
    await server.wait_for(lambda: server.webhook.failures(), what="a refused attempt")
    assert await bot.delete_webhook()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.last_error_date) == ("", 1, None)
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "one"
    await bot.get_updates(offset=update.update_id + 1, timeout=0)

    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    server.send_text(ann, "two")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_set_webhook_ends_a_waiting_long_poll_with_409(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_for(lambda: server.activity.polling, what="a waiting poll")
    async with Bot(TOKEN, base_url=server.base_url) as other:
        await other.set_webhook(receiver.url)
    server.send_text(server.user(42), "hi")
    with pytest.raises(Conflict, match="webhook is active"):
        await poll
    await server.wait_for(lambda: receiver.taken == [1], what="the update pushed")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "ftp://example.org/hook"}, "(?i)an https url must be provided"),
        ({"url": "https://example.org/hook", "secret_token": "no spaces"}, "unallowed"),
        ({"url": "https://example.org/hook", "max_connections": 0}, "max_connections"),
        ({"url": "https://example.org/hook", "max_connections": 101}, "max_connections"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    server: BotApiServer, bot: Bot, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        await bot.set_webhook(**arguments)
    assert not server.webhook.active


async def test_an_empty_url_removes_the_webhook(server: BotApiServer, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert (info.url, info.allowed_updates) == ("https://example.org/hook", ("message",))
    await bot.set_webhook("")
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates(timeout=0) == ()


async def test_the_control_api_lists_the_webhook_and_its_deliveries(
    server: BotApiServer, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    server.send_text(server.user(42), "hi")
    await server.wait_for(lambda: receiver.taken, what="the update pushed")
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.control_url + "/webhook") as response,
    ):
        body = await response.json()
    assert body["result"]["info"]["url"] == receiver.url
    (delivery,) = body["result"]["deliveries"]
    assert (delivery["update_id"], delivery["status"]) == (1, 200)
