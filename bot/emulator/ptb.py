"""Helpers to point a python-telegram-bot Application at the emulator and run it fast."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from bot.emulator.server import BotApiServer

DEFAULT_TOKEN = "123456:TEST-TOKEN"  # noqa: S105 - fake token for the local emulator


def application_builder(
    server: BotApiServer, token: str | None = None
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """Return an ApplicationBuilder aimed at the emulator (add handlers, then build())."""
    return (
        ApplicationBuilder()
        .token(token or server.token or DEFAULT_TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )


@contextlib.asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: float = 10.0
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run an application with long polling for the duration of a block; stop it quickly."""
    await app.initialize()
    try:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dt.timedelta(seconds=poll_timeout))
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
