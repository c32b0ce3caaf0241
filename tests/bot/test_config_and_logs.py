"""Settings validation and log redaction: bad settings are named, tokens never written."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_errors
from bot.logs import RedactingFilter

TOKEN = "123456789:AAE-abcdefghijklmnopqrstuvwxyz0123456"


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def test_defaults_and_derived_file_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = settings(telegram_bot_token=TOKEN, telegram_base_url="http://127.0.0.1:8081/bot")
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.file_base_url == "http://127.0.0.1:8081/file/bot"
    assert s.log_level == "INFO"


def test_admin_ids_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "12, 34 56")
    s = settings(telegram_bot_token=TOKEN)
    assert s.admin_user_ids == frozenset({12, 34, 56})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is required"),
        ({"telegram_bot_token": "not-a-token"}, "TELEGRAM_BOT_TOKEN does not look like"),
        ({"telegram_bot_token": TOKEN, "telegram_base_url": "ftp://x"}, "TELEGRAM_BASE_URL"),
        ({"telegram_bot_token": TOKEN, "log_level": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_bad_settings_are_named_without_echoing_values(
    env: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(ValidationError) as caught:
        settings(**env)
    line = describe_errors(caught.value)
    assert named in line
    assert "not-a-token" not in line and "\n" not in line


def test_redaction_removes_the_token_from_messages_args_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /bot%s/getMe", (TOKEN,), None)
    RedactingFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage() and "[redacted]" in record.getMessage()
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError as error:
        failing = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "boom",
            None,
            (RuntimeError, error, error.__traceback__),
        )
    RedactingFilter([TOKEN]).filter(failing)
    assert TOKEN not in (failing.exc_text or "")
    # An unknown token of the right shape is caught by its shape.
    other = "987654321:" + "Z" * 35
    shaped = logging.LogRecord("x", logging.INFO, __file__, 1, f"saw {other}", None, None)
    RedactingFilter([]).filter(shaped)
    assert other not in shaped.getMessage()


def test_health_and_metrics_servers_are_off_unless_given_a_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HEALTH_PORT", "METRICS_PORT", "METRICS_LISTEN", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    s = settings(telegram_bot_token=TOKEN)
    assert (s.health_port, s.metrics_port, s.metrics_listen) == (None, None, "127.0.0.1")
    monkeypatch.setenv("METRICS_PORT", "")  # blank means unset, as in a compose file
    assert settings(telegram_bot_token=TOKEN).metrics_port is None
    monkeypatch.setenv("METRICS_PORT", "9100")
    monkeypatch.setenv("HEALTH_PORT", "8080")
    s = settings(telegram_bot_token=TOKEN)
    assert (s.health_port, s.metrics_port) == (8080, 9100)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"metrics_port": "0"}, "METRICS_PORT"),
        ({"health_port": "70000"}, "HEALTH_PORT"),
        ({"health_port": "9100", "metrics_port": "9100"}, "METRICS_PORT must differ from HEALTH"),
        (
            {"webhook_url": "https://x.example/h", "webhook_secret": "s", "metrics_port": "8443"},
            "WEBHOOK_PORT must differ from METRICS_PORT",
        ),
    ],
)
def test_bad_ports_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(telegram_bot_token=TOKEN, **env)
    assert named in describe_errors(caught.value)


@pytest.mark.parametrize("share", ["0", "1.5", "nan"])
def test_a_nudge_share_outside_0_to_1_is_named(share: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(telegram_bot_token=TOKEN, nudge_rate_share=share)
    assert "NUDGE_RATE_SHARE" in describe_errors(caught.value)
    assert settings(telegram_bot_token=TOKEN).nudge_rate_share == 0.5
