"""An update python-telegram-bot cannot parse is logged as one line with its id, none of its data.

The library logs such an update whole at CRITICAL ("Received data was ..."), from
``Bot.get_updates`` when polling and from its webhook handler: with what the user
typed and the callback data of their safety answers. The bot's logging set-up
(``configure_logging``) cuts that out; these tests read what it writes.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Webhook, build_application, running
from bot.emulator import BotApiServer
from bot.emulator.params import Params
from bot.logs import configure_logging
from tests.faults.harness import TOKEN, FakeClock
from tests.flows.conftest import make_settings

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

PRIVATE = "my lower back story 7f3a9 since the car crash"
RED_FLAG = "t1:42:f.saddle_numbness"
SECRET = "hook-secret_0123456789"
HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


def unparsable(update_id: int) -> list[dict[str, Any]]:
    """Two updates the library cannot parse: an entity without its length, a press by nobody."""
    user = {"id": 4242, "is_bot": False, "first_name": "Eve"}
    message = {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": 4242, "type": "private", "first_name": "Eve"},
        "from": user,
        "text": PRIVATE,
        "entities": [{"type": "bold", "offset": 0}],
    }
    press = {"id": "99", "from": {"id": 4242}, "chat_instance": "1", "data": RED_FLAG}
    return [
        {"update_id": update_id, "message": message},
        {"update_id": update_id + 1, "callback_query": press},
    ]


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The bot's own logging set-up, writing into a buffer; the previous set-up comes back."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    loggers = {
        name: (logging.getLogger(name).level, logging.getLogger(name).filters[:])
        for name in ("telegram", "telegram.Bot", "telegram.ext.Updater", "httpx", "tornado.access")
    }
    configure_logging("INFO", [TOKEN])
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, (logger_level, filters) in loggers.items():
            logging.getLogger(name).setLevel(logger_level)
            logging.getLogger(name).filters[:] = filters


def assert_nothing_private(text: str) -> None:
    for secret in (PRIVATE, "7f3a9", RED_FLAG, "saddle_numbness", '"from"', "Eve"):
        assert secret not in text


async def test_polling_logs_only_the_ids_of_updates_it_cannot_parse(
    bot_log: io.StringIO, db_url: str, tmp_path: Path
) -> None:
    async with BotApiServer(token=TOKEN) as server:
        app = build_application(make_settings(server, db_url, tmp_path), clock=FakeClock())
        for update in unparsable(500):
            kind = next(key for key in update if key != "update_id")
            server.enqueue(kind, update[kind])
        first = server.all_updates[0]["update_id"]
        await app.bot.initialize()
        try:
            with pytest.raises(TypeError):
                await app.bot.get_updates(timeout=0)
        finally:
            await app.bot.shutdown()
    written = bot_log.getvalue()
    assert f"update {first}, {first + 1} could not be parsed" in written
    assert "TypeError" in written  # what failed, for whoever looks into it
    assert_nothing_private(written)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_webhook_logs_only_the_id_of_an_update_it_cannot_parse(
    bot_log: io.StringIO, db_url: str, tmp_path: Path
) -> None:
    async def set_webhook(params: Params) -> bool:  # the emulator only polls; add the call
        return True

    port = free_port()
    hook = Webhook("127.0.0.1", port, f"http://127.0.0.1:{port}/lumbar/hook", SECRET)
    async with BotApiServer(token=TOKEN) as server:
        server.api.methods["setwebhook"] = ("setWebhook", set_webhook)
        app = build_application(make_settings(server, db_url, tmp_path), clock=FakeClock())
        async with running(app, webhook=hook), aiohttp.ClientSession() as http:
            statuses = []
            for update in unparsable(700):
                async with http.post(hook.url, data=json.dumps(update), headers=HEADERS) as reply:
                    statuses.append(reply.status)
    assert statuses == [200, 200]  # confirmed so Telegram stops sending it; not handled
    written = bot_log.getvalue()
    # One line each, by whichever webhook server is in use (PTB's names the update id).
    lines = [line for line in written.splitlines() if "could not be parsed" in line]
    lines += [line for line in written.splitlines() if "not an update" in line]
    assert len(lines) == 2, written
    assert_nothing_private(written)


async def test_polling_skips_an_update_it_cannot_parse_and_serves_the_next(
    bot_log: io.StringIO, db_url: str, tmp_path: Path
) -> None:
    async with BotApiServer(token=TOKEN) as server:
        app = build_application(make_settings(server, db_url, tmp_path), clock=FakeClock())
        async with running(app, poll_timeout=1):
            for update in unparsable(900):
                kind = next(key for key in update if key != "update_id")
                server.enqueue(kind, update[kind])
            ann = server.user(1001, first_name="Ann")
            server.send_text(ann, "/help")
            await server.wait_for(lambda: server.bot_messages(ann), timeout=10)
            await server.settle(quiet=0.3)
            assert not server.pending  # the unreadable ones were confirmed, not refetched
    assert "Lumbar coaches" in (server.bot_messages(ann)[0].text or "")
    written = bot_log.getvalue()
    assert "could not be read (TypeError): skipped" in written
    assert_nothing_private(written)
