"""Logging set-up that keeps tokens, message text and health answers out of every line.

Three layers make sure of it: our own log calls name update ids and error types only;
libraries that log request parameters or SQL values at DEBUG (python-telegram-bot,
aiosqlite, asyncpg, SQLAlchemy, httpx) stay at INFO or above whatever LOG_LEVEL says;
one filter on the handler redacts the token and anything shaped like one, and
drops SQL parameters from exception text; and python-telegram-bot's own record of an
update it could not parse (the whole update, at CRITICAL) keeps only the update id.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from pathlib import Path

from telegram.error import TelegramError

# Bot API URLs carry the token in the path; redact any token-shaped text as well.
_TOKEN_PATTERN = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{30,}")
# SQLAlchemy error strings carry the statement's values; those may be health answers.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]$", re.MULTILINE | re.DOTALL)
# Loggers that print request parameters, updates or SQL values at DEBUG, with their floor.
_CHATTY = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "apscheduler": logging.WARNING,
    "tornado.access": logging.WARNING,
}


class RedactingFilter(logging.Filter):
    """Replace the bot token (and anything shaped like one) before a record is written."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def redact(self, text: str) -> str:
        """Return the text with every secret, token-shaped string and SQL value list replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
        return _TOKEN_PATTERN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram"):  # in case the library logs raw data elsewhere
            _PAYLOADS.filter(record)
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


# Where python-telegram-bot logs the raw data of an update it could not parse: Bot.get_updates
# (polling; logger telegram.ext.ExtBot, or telegram.Bot) and the webhook handler (logger
# telegram.ext.Updater) at CRITICAL, the webhook body at DEBUG too.
_UPDATE_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Updater")
_RAW_UPDATE_MARKERS = ("Received data was", "Webhook received data")
_UPDATE_ID = re.compile(r'"update_id"\s*:\s*(\d{1,20})')


class UpdatePayloadFilter(logging.Filter):
    """Cut the raw update out of python-telegram-bot's records: a line with its id is left.

    An update carries what the user typed and their health answers. The library logs
    one it cannot parse whole, with its exception (whose message may quote a field);
    this keeps the update id and the error's type and place, and nothing of the data.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        template = str(record.msg)
        if not any(marker in template for marker in _RAW_UPDATE_MARKERS):
            return True
        ids = _update_ids(record.args)
        where = f"update {', '.join(ids)}" if ids else "an update"
        if record.levelno < logging.WARNING:
            record.msg, record.args = f"{where} received (data not logged)", None
            return True
        error = record.exc_info[1] if record.exc_info else None
        cause = f": {describe_error(error)}" if error is not None else ""
        record.msg = f"{where} could not be parsed and was not processed{cause}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


_PAYLOADS = UpdatePayloadFilter()


def _update_ids(args: object) -> list[str]:
    """The update ids in a record's arguments: one update, a list of them, or JSON text."""
    values = [args] if isinstance(args, Mapping) else list(args) if isinstance(args, tuple) else []
    found: list[str] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and type(item.get("update_id")) is int:
                found.append(str(item["update_id"]))
            elif isinstance(item, str):
                found += _UPDATE_ID.findall(item)
    return found[:5]


def guard_update_payloads() -> None:
    """Install ``UpdatePayloadFilter`` on the loggers that print raw updates (once)."""
    for name in _UPDATE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, UpdatePayloadFilter) for f in logger.filters):
            logger.addFilter(UpdatePayloadFilter())


def describe_error(error: BaseException) -> str:
    """Where an error came from, for the log: types and code locations, never its message.

    An exception's message can quote what the user typed (``int("my text")``), so the
    error handler logs this instead of the usual traceback: our own frames, innermost
    first, then where the error was raised. Telegram's error descriptions are kept:
    they are Telegram's words, never the user's.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(parts) < 4:
        seen.add(id(current))
        name = type(current).__name__
        if isinstance(current, TelegramError):
            name += f" ({current.message})"
        frames = traceback.extract_tb(current.__traceback__)
        # The Bot API plumbing (retries, rate limits, transport) says little about where
        # the failing call came from: the handler frames are what is worth the space.
        ours = [f for f in frames if _is_ours(f.filename) and not _is_plumbing(f.filename)][-4:]
        shown = [*ours, frames[-1]] if frames and (not ours or ours[-1] is not frames[-1]) else ours
        where = " < ".join(
            f"{_short(frame.filename)}:{frame.lineno} {frame.name}" for frame in reversed(shown)
        )
        parts.append(f"{name} at {where}" if where else name)
        current = current.__cause__ or current.__context__
    return "; caused by ".join(parts)


_ROOT = str(Path(__file__).resolve().parents[1])


def _is_plumbing(path: str) -> bool:
    return path.endswith(("bot/retry.py", "bot/transport.py", "bot/metrics.py"))


def _is_ours(path: str) -> bool:
    return path.startswith(_ROOT) and "site-packages" not in path


def _short(path: str) -> str:
    if _is_ours(path):
        return path[len(_ROOT) :].lstrip("/")
    for marker in ("/telegram/", "/sqlalchemy/", "/asyncpg/", "/aiosqlite/", "/httpx/"):
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


def configure_logging(level: str, secrets: list[str]) -> None:
    """Route all logs through one redacting handler; keep chatty libraries above DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    guard_update_payloads()
    floor = logging.getLevelName(level)
    for name, minimum in _CHATTY.items():
        logging.getLogger(name).setLevel(max(minimum, floor if isinstance(floor, int) else 0))
