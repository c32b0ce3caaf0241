"""Fixtures: an emulator, a bare PTB Bot and a polling PTB Application with tiny handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.emulator import BotApiServer
from bot.emulator.ptb import application_builder, polling

TOKEN = "123456:TEST-TOKEN"
App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    """Run an emulator that accepts only TOKEN."""
    async with BotApiServer(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    """Give a real PTB Bot talking to the emulator over HTTP."""
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as real:
        yield real


async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep every update the bot receives, to assert what reached it."""
    context.application.bot_data.setdefault("seen", []).append(update)


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with one button."""
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="s1:done")]])
    await update.effective_message.reply_text(
        "Hello <b>there</b> &amp; welcome", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the message in place."""
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo plain text."""
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep handler errors so tests can assert on them."""
    context.application.bot_data.setdefault("errors", []).append(context.error)


def build_app(server: BotApiServer) -> App:
    """Build the tiny bot used by the flow tests."""
    app = application_builder(server, TOKEN).build()
    app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_handler(CommandHandler("start", cmd_start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text)
    )
    app.add_error_handler(on_error)
    return app


@pytest.fixture
async def app(server: BotApiServer) -> AsyncIterator[App]:
    """Run the tiny bot with long polling against the emulator."""
    async with polling(build_app(server)) as running:
        yield running
