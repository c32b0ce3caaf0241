"""Logging set-up that keeps tokens, message text and health answers out of every line.

Three layers make sure of it: our own log calls name update ids and error types only;
libraries that log request parameters or SQL values at DEBUG (python-telegram-bot,
aiosqlite, asyncpg, SQLAlchemy, httpx) stay at INFO or above whatever LOG_LEVEL says;
and one filter on the handler redacts the token and anything shaped like one, and
drops SQL parameters from exception text.
"""

from __future__ import annotations

import logging
import re
import traceback
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
        ours = [frame for frame in frames if _is_ours(frame.filename)][-4:]
        shown = [*ours, frames[-1]] if frames and (not ours or ours[-1] is not frames[-1]) else ours
        where = " < ".join(
            f"{_short(frame.filename)}:{frame.lineno} {frame.name}" for frame in reversed(shown)
        )
        parts.append(f"{name} at {where}" if where else name)
        current = current.__cause__ or current.__context__
    return "; caused by ".join(parts)


_ROOT = str(Path(__file__).resolve().parents[1])


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
    floor = logging.getLevelName(level)
    for name, minimum in _CHATTY.items():
        logging.getLogger(name).setLevel(max(minimum, floor if isinstance(floor, int) else 0))
