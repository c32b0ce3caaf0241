"""Settings from the environment (and an optional `.env`), validated once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from db.engine import DEFAULT_DATABASE_URL, check_url, normalize_url

PUBLIC_BOT_API = "https://api.telegram.org/bot"
_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{10,}$")
# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - in a webhook secret token.
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BACKENDS = ("sqlite", "postgresql")


class Settings(BaseSettings):
    """Everything the bot reads from its environment; built in `main` and passed down."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr
    database_url: str = DEFAULT_DATABASE_URL
    telegram_base_url: str = PUBLIC_BOT_API
    telegram_base_file_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must listen beyond loopback
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # GET /healthz and /livez on a port of their own (also on the webhook port when serving one).
    health_listen: str = "0.0.0.0"  # noqa: S104 - a load balancer checks from another host
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # GET /metrics for Prometheus; off unless a port is given, loopback unless told otherwise.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    cache_dir: Path = Path(".cache/lumbar")
    nudge_interval_seconds: float = Field(default=5.0, gt=0, le=86400, allow_inf_nan=False)
    nudge_batch_size: int = Field(default=200, ge=1, le=5000)
    rate_limit_per_second: float = Field(default=25.0, gt=0, allow_inf_nan=False)
    # New messages to one chat: a burst of this many, then this many a second (0: unspaced).
    chat_rate_limit_per_second: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    chat_rate_limit_burst: int = Field(default=3, ge=1)
    # Nudges take what people's answers leave, and at most this share of the budget while
    # people are pressing (bot/retry.py).
    nudge_rate_share: float = Field(default=0.5, gt=0, le=1, allow_inf_nan=False)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_SHAPE.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(normalize_url(value)).get_backend_name()
        except ValueError:
            raise ValueError("is not a database URL (sqlite:///file or postgresql://...)") from None
        if backend not in _BACKENDS:
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        check_url(value)  # an async driver, and options the driver takes
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @field_validator("health_port", "metrics_port", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _ports_differ(self) -> Settings:
        ports = {"HEALTH_PORT": self.health_port, "METRICS_PORT": self.metrics_port}
        if self.webhook_url:
            ports["WEBHOOK_PORT"] = self.webhook_port
        taken: dict[int, str] = {}
        for name, port in ports.items():
            if port is not None and port in taken:
                raise ValueError(f"{name} must differ from {taken[port]} (both are {port})")
            if port is not None:
                taken[port] = name
        return self

    @field_validator("telegram_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in re.split(r"[,\s]+", value.strip()) if part]
            if not all(part.isdigit() for part in parts):
                raise ValueError("must be Telegram user ids (digits) separated by commas")
            return frozenset(int(part) for part in parts)
        return value

    @property
    def file_base_url(self) -> str:
        """The file download base, derived from the API base like Telegram lays them out."""
        if self.telegram_base_file_url:
            return self.telegram_base_file_url
        base = self.telegram_base_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base.rstrip("/") + "/file/bot"


def describe_errors(error: Exception) -> str:
    """One line naming each bad setting by its environment variable, never echoing values."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return str(error)
    parts = []
    for item in error.errors():
        message = "is required" if item["type"] == "missing" else item["msg"]
        message = message.removeprefix("Value error, ")
        # A check across settings (no single field) already names its variables.
        parts.append(f"{str(item['loc'][0]).upper()} {message}" if item["loc"] else message)
    return "; ".join(parts)
