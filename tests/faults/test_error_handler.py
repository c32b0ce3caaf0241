"""The error handler: each unexpected error is logged once, by update id, never with the text."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import MessageHandler

from bot.handlers import router
from bot.services import LumbarContext
from tests.faults.harness import Lumbar, texts

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

APOLOGY = "Sorry, something went wrong on my side"
PRIVATE_WORDS = "my lower back story 7f3a9 since the car crash"


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the bot's own loggers wrote, exceptions included (libraries are checked in e2e)."""
    handler = logging.Formatter()
    lines = []
    for record in caplog.records:
        if record.name.startswith(("bot.", "db.", "content.")):
            lines.append(handler.format(record))
    return "\n".join(lines)


async def test_a_telegram_refusal_is_logged_once_with_the_update_id(
    lumbar: Lumbar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ann = lumbar.user()
    lumbar.server.fail(
        "sendMessage", 400, description="Bad Request: can't parse entities: bad tag at offset 3"
    )
    out = await lumbar.send(ann, PRIVATE_WORDS)
    update_id = lumbar.server.all_updates[-1]["update_id"]
    logged = error_records(caplog)
    assert len(logged) == 1
    assert f"update {update_id} failed" in logged[0].getMessage()
    assert "BadRequest" in logged[0].getMessage()
    assert "router.py" in logged[0].getMessage()  # where it happened, for whoever fixes it
    assert PRIVATE_WORDS not in our_log(caplog)
    assert APOLOGY in texts(out)


async def test_an_error_quoting_the_users_words_never_logs_them(
    lumbar: Lumbar, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug whose message repeats the input (int("...")) still logs no text."""

    async def buggy_on_text(update: Update, context: LumbarContext) -> None:
        assert update.message is not None
        int(update.message.text or "")  # raises ValueError quoting the text

    handler = next(
        h
        for group in lumbar.app.handlers.values()
        for h in group
        if isinstance(h, MessageHandler) and h.callback is router.on_text
    )
    handler.callback = buggy_on_text
    caplog.set_level(logging.DEBUG)
    ann = lumbar.user()
    out = await lumbar.send(ann, PRIVATE_WORDS)
    update_id = lumbar.server.all_updates[-1]["update_id"]
    logged = error_records(caplog)
    assert [r.getMessage().split(":")[0] for r in logged] == [f"update {update_id} failed"]
    assert "ValueError" in logged[0].getMessage()
    assert "7f3a9" not in our_log(caplog)
    assert APOLOGY in texts(out)
    # The bot goes on answering.
    out = await lumbar.send(ann, "/help")
    assert "/today" in texts(out)
