"""Start-up checks that run before the bot serves, and the exit code of each failure.

`python -m bot` turns a `StartupError` into one line on stderr and its `exit_code`
(README, Configuration): 2 configuration, 3 token refused, 4 database, 5 no Bot API,
6 the webhook cannot listen. A `ConfigurationError` line starts "configuration error:".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from telegram.error import InvalidToken

from bot.config import Settings
from bot.services import LumbarApp
from bot.transport import AiohttpRequest

CONFIGURATION = 2
TOKEN_REFUSED = 3
DATABASE = 4
NO_BOT_API = 5
CANNOT_LISTEN = 6

# How long one Bot API call at start-up may take, retries included. A server that accepts
# connections and never answers would otherwise hold the start for every retry (64 s).
BOT_API_START_SECONDS = 10.0


class StartupError(RuntimeError):
    """A problem that stops the bot from starting; its message is shown as one line."""

    exit_code = DATABASE


class ConfigurationError(StartupError):
    """A setting the bot cannot work with; the message names its variable, never its value."""

    exit_code = CONFIGURATION


class BotApiSilentError(StartupError):
    """The Bot API server took the connection but gave no answer in time."""

    exit_code = NO_BOT_API


class CannotListenError(StartupError):
    """The webhook server cannot listen where WEBHOOK_LISTEN and WEBHOOK_PORT say."""

    exit_code = CANNOT_LISTEN


def server_of(base_url: str) -> str:
    """The host and port of a Bot API URL, for messages (never the path: it holds the token)."""
    return urlsplit(base_url).netloc.rpartition("@")[2] or "(no host)"


def check_cache_dir(cache_dir: Path) -> None:
    """Make sure card pictures can be written, rather than failing every card later."""
    cards = cache_dir / "cards"
    try:
        cards.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cards, prefix=".write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigurationError(f"CACHE_DIR {cache_dir} cannot be written: {reason}") from None


def check_can_listen(name: str, host: str, port: int) -> None:
    """Bind where a server will listen (as asyncio does), so a taken port fails at once.

    ``name`` is the server (webhook, health, metrics) and the prefix of its two variables.
    """
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        variables = f"{name.upper()}_LISTEN, {name.upper()}_PORT"
        raise CannotListenError(
            f"cannot listen on {host}:{port} for {name} ({variables}): {reason}"
        ) from None


def check_before_serving(settings: Settings) -> None:
    """What can be checked before the database and the Bot API: the card folder, the ports."""
    check_cache_dir(settings.cache_dir)
    if settings.webhook_url:
        check_can_listen("webhook", settings.webhook_listen, settings.webhook_port)
    if settings.health_port is not None:
        check_can_listen("health", settings.health_listen, settings.health_port)
    if settings.metrics_port is not None:
        check_can_listen("metrics", settings.metrics_listen, settings.metrics_port)


@contextlib.asynccontextmanager
async def bot_api_bound(method: str, base_url: str) -> AsyncIterator[None]:
    """Bound a start-up Bot API call, retries included, by `BOT_API_START_SECONDS`."""
    bound = asyncio.timeout(BOT_API_START_SECONDS)
    try:
        async with bound:
            yield
    except TimeoutError:
        if not bound.expired():
            raise
        raise BotApiSilentError(
            f"the Bot API server at {server_of(base_url)} did not answer {method}"
            f" within {BOT_API_START_SECONDS:g} s"
        ) from None


async def initialize(app: LumbarApp) -> None:
    """Initialise the app (its getMe), bounded, telling a wrong URL from a refused token.

    PTB reports both 401 and 404 as `InvalidToken`; Telegram answers 401 to a token it
    does not know and 404 to a path it does not serve, so a 404 means the URL is wrong.
    """
    try:
        async with bot_api_bound("getMe", app.bot.base_url):
            await app.initialize()
    except InvalidToken:
        status = await _get_me_status(app.bot.base_url)
        await app.bot.shutdown()
        if status == HTTPStatus.NOT_FOUND:
            where = server_of(app.bot.base_url)
            raise ConfigurationError(
                f"TELEGRAM_BASE_URL looks wrong: the server at {where} answered 404 Not Found"
                " to getMe (the URL normally ends in /bot)"
            ) from None
        raise
    except BaseException:
        # PTB's shutdown() skips an app that never finished initialising, which would
        # leave the Bot API connections open (aiohttp warns about them at exit).
        await app.bot.shutdown()
        raise


async def _get_me_status(bot_url: str) -> int | None:
    """The HTTP status of one plain getMe, or None if it got no answer."""
    request = AiohttpRequest(connection_pool_size=1, read_timeout=5, connect_timeout=5)
    try:
        await request.initialize()
        status, _ = await request.do_request(f"{bot_url}/getMe", "POST")
    except Exception:  # any failure: keep the refusal PTB reported
        return None
    finally:
        await request.shutdown()
    return status
