"""The webhook server: refusals before any body is read, the body cap, answers after handling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.webhook import MAX_BODY
from tests.bot.web_harness import HEADER, PATH, SECRET, WebBot, update_json, web_bot

NINETY_FIVE_MB = 95 * 1024 * 1024


@pytest.fixture
async def bot(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[WebBot]:
    async with web_bot(tmp_path, sqlite_template) as running:
        yield running


def head(path: str = PATH, length: int = NINETY_FIVE_MB, secret: str | None = None) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    lines.append("Content-Type: application/json")
    if secret is not None:
        lines.append(f"{HEADER}: {secret}")
    return "\n".join(lines) + "\n"


async def test_the_webhook_is_registered_with_its_secret(bot: WebBot) -> None:
    (call,) = bot.server.calls_to("setWebhook")
    assert call.params["url"] == bot.hook
    assert call.params["secret_token"] == SECRET
    assert not bot.server.calls_to("getUpdates")


async def test_refusals_come_from_the_request_head_before_any_body_is_sent(bot: WebBot) -> None:
    # Each request announces 95 MB and sends none of it: an answer proves nothing was read.
    assert await bot.raw("webhook", head()) == "HTTP/1.1 403 Forbidden"
    assert await bot.raw("webhook", head(secret="guess")) == "HTTP/1.1 403 Forbidden"
    assert await bot.raw("webhook", head(secret=SECRET[:-1])) == "HTTP/1.1 403 Forbidden"
    assert await bot.raw("webhook", head("/elsewhere", secret=SECRET)) == "HTTP/1.1 404 Not Found"
    too_large = "HTTP/1.1 413 Request Entity Too Large"
    assert await bot.raw("webhook", head(secret=SECRET)) == too_large
    assert await bot.raw("webhook", head(length=MAX_BODY + 1, secret=SECRET)) == too_large
    get = f"GET {PATH} HTTP/1.1\nHost: 127.0.0.1\n{HEADER}: {SECRET}\n"
    assert await bot.raw("webhook", get) == "HTTP/1.1 405 Method Not Allowed"


async def test_parallel_forged_uploads_are_refused_while_they_are_still_sending(
    bot: WebBot,
) -> None:
    chunk = bytes(1024 * 1024)
    sent = [0] * 8

    async def body(index: int) -> AsyncIterator[bytes]:
        while sent[index] < NINETY_FIVE_MB:
            sent[index] += len(chunk)
            yield chunk

    async def forge(index: int) -> int:
        headers = {"Content-Length": str(NINETY_FIVE_MB), HEADER: "guess"}
        with contextlib.suppress(aiohttp.ClientError):
            async with bot.http.post(bot.hook, data=body(index), headers=headers) as answer:
                return answer.status
        return 0  # the server closed the connection before the client read the answer

    statuses = await asyncio.gather(*(forge(i) for i in range(8)))
    assert set(statuses) <= {403, 0} and 403 in statuses
    # Nobody got far: the answer came while the first megabytes sat in socket buffers.
    assert max(sent) < 32 * 1024 * 1024


async def test_a_body_without_a_length_is_cut_at_the_cap(bot: WebBot) -> None:
    async def endless() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * MAX_BODY

    with contextlib.suppress(aiohttp.ClientError):  # the server may close before the end
        async with bot.http.post(bot.hook, data=endless(), headers={HEADER: SECRET}) as answer:
            assert answer.status == 413


async def test_a_body_that_is_not_an_update_is_refused_and_logged_without_its_text(
    bot: WebBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bodies = [
        b'{"update_id": 5, "message": {"text": "my back hurts terribly-' + b"x" * 10,
        b'["my back hurts terribly"]',
        b'{"message": {"text": "my back hurts terribly"}}',
        b'{"update_id": "my back hurts terribly"}',
        b'{"update_id": 9, "message": "my back hurts terribly"}',
    ]
    answers = [await bot.post(body) for body in bodies]
    # Not JSON, or no update id: 400. An update with an id that cannot be read: 200, so
    # Telegram stops sending it (it never becomes readable), and it is not handled.
    assert answers == [(400, "not an update\n")] * 4 + [(200, "skipped\n")]
    refusals = [r.getMessage() for r in caplog.records if r.name == "bot.webhook"]
    assert len(refusals) == len(bodies)
    assert "update 9 could not be parsed (" in refusals[-1]  # the id, when there is one
    assert all("hurts" not in r.getMessage() for r in caplog.records)
    assert not bot.server.calls_to("sendMessage")


async def test_an_update_is_answered_only_after_its_reply_was_sent(bot: WebBot) -> None:
    eve = bot.user()
    bot.server.stall("sendMessage", 1.0)
    bot.server.send_text(eve, "/help")  # the emulator POSTs it to the webhook
    await bot.server.wait_for(
        lambda: any(c.fault == "stall" for c in bot.server.calls), 10, what="the stalled reply"
    )
    await asyncio.sleep(0.3)
    (first,) = bot.server.webhook.deliveries
    assert first.finished is None  # held while the reply is on its way
    assert not bot.server.bot_messages(eve)
    taken = await bot.server.wait_for(lambda: bot.server.webhook.taken(), 10, what="a 200")
    assert taken[first.update_id].status == 200
    assert bot.server.bot_messages(eve), "the 200 came before the reply was sent"
    await bot.server.settle()
    assert len(bot.server.webhook.deliveries) == 1  # no retry: one push, one answer


async def test_a_copy_arriving_while_the_first_is_handled_waits_for_it(bot: WebBot) -> None:
    eve = bot.user()
    bot.server.stall("sendMessage", 0.5)
    update = update_json(eve.id, 77, "/help")
    first, second = await asyncio.gather(bot.post(update), bot.post(update))
    assert first[0] == second[0] == 200
    await bot.server.settle()
    texts = [m.text_or_caption for m in bot.server.bot_messages(eve)]
    assert texts and len(set(texts)) == len(texts)  # /help answered once, not twice


async def test_stopping_answers_503_and_finishes_the_update_in_flight(
    tmp_path: Path, sqlite_template: Path
) -> None:
    stack = contextlib.AsyncExitStack()
    async with web_bot(tmp_path, sqlite_template, stack=stack) as bot:
        eve = bot.user()
        bot.server.stall("sendMessage", 1.0)
        in_flight = asyncio.create_task(bot.post(update_json(eve.id, 1, "/help")))
        await bot.server.wait_for(
            lambda: any(c.fault == "stall" for c in bot.server.calls), 10, what="the stall"
        )
        stopping = asyncio.create_task(stack.aclose())
        await asyncio.sleep(0.1)
        assert await bot.post(update_json(eve.id, 2, "/help")) == (503, "stopping\n")
        assert await bot.get("webhook", "/healthz") == (503, "process: stopping\n")
        assert (await bot.post(update_json(eve.id, 3, "/help"), secret="guess"))[0] == 403
        assert (await in_flight)[0] == 200
        await stopping
        with pytest.raises(aiohttp.ClientConnectionError):
            await bot.get("webhook", "/livez")
    texts = [m.text_or_caption for m in bot.server.bot_messages(eve)]
    assert texts and len(set(texts)) == len(texts)  # the one update in flight, answered once


async def test_metrics_count_webhook_answers_by_status(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async with web_bot(tmp_path, sqlite_template, metrics=True) as bot:
        eve = bot.user()
        assert (await bot.post(update_json(eve.id, 1, "/help"), secret=None))[0] == 403
        assert (await bot.post(update_json(eve.id, 2, "/help")))[0] == 200
        status, text = await bot.get("metrics", "/metrics")
    assert status == 200
    assert 'lumbar_webhook_requests_total{status="403"} 1.0' in text
    assert 'lumbar_webhook_requests_total{status="200"} 1.0' in text
    assert 'lumbar_updates_total{kind="command_help"} 1.0' in text
