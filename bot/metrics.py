"""Prometheus metrics: one registry per application, labels from fixed sets only.

No label ever carries a user id, a name or any text a user typed: update kinds come
from ``update_kind`` (an allow-list of command names, else "command_other"), Bot API
methods from the bot's own calls (names that are not plain method names count as
"other"), results and outcomes from the short lists below.

The metric objects live on ``Metrics``; ``bot/app.py`` builds one per application and
attaches it as ``bot_data.metrics``. ``metrics_app`` answers Prometheus' scrapes.
"""

from __future__ import annotations

import functools
import json
import re
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from telegram import Update
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.transport import AiohttpRequest

if TYPE_CHECKING:
    from aiohttp import web

    from bot.scheduler import DispatchReport

# Commands the bot has (bot/handlers/__init__.py); any other command counts as "other".
COMMANDS = frozenset(
    {
        "start",
        "triage",
        "today",
        "stretch",
        "progress",
        "reminders",
        "settings",
        "help",
        "cancel",
        "forget",
        "export",
        "stats",
    }
)
UPDATE_KINDS = (
    *(f"command_{name}" for name in sorted(COMMANDS)),
    "command_other",
    "message",
    "callback",
    "member",
    "other",
)
ERROR_KINDS = ("blocked", "database", "telegram", "bug")
API_RESULTS = ("ok", "429", "4xx", "5xx", "network")
# DispatchReport fields counted per nudge, by their outcome label.
NUDGE_OUTCOMES = (
    "sent",
    "skipped_stale",
    "skipped_done",
    "held",
    "off",
    "blocked",
    "retried",
    "deferred",
    "failed",
    "unsure",
)
DATABASE_PLACES = ("update", "dispatcher", "health")
# Answers that mean this bot cannot work (token revoked or wrong), not that Telegram is up.
_TOKEN_REFUSED = frozenset({401, 404})
_METHOD_SHAPE = re.compile(r"^[A-Za-z]{1,40}$")
# Seconds: updates take milliseconds to a few seconds (a stalled Bot API call).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric of one application, registered in its own ``CollectorRegistry``."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        if process:  # process_resident_memory_bytes, process_cpu_seconds_total, open fds
            ProcessCollector(registry=reg)
        self.updates = Counter("lumbar_updates", "Updates handled, by kind", ["kind"], registry=reg)
        self.update_seconds = Histogram(
            "lumbar_update_seconds",
            "Seconds from the update processor taking an update (its chat's turn included)"
            " to its handler finishing, by kind",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.update_errors = Counter(
            "lumbar_update_errors",
            "Handler (or job) failures seen by the error handler, by its classification",
            ["error"],
            registry=reg,
        )
        self.api_calls = Counter(
            "lumbar_bot_api_calls",
            "Bot API HTTP calls (retries included), by method and result",
            ["method", "result"],
            registry=reg,
        )
        self.api_seconds = Histogram(
            "lumbar_bot_api_call_seconds",
            "Bot API call duration, by method (getUpdates includes its long poll)",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.api_retry_after = Counter(
            "lumbar_bot_api_retry_after_seconds",
            "Seconds Telegram asked the bot to wait in its 429 answers",
            registry=reg,
        )
        self.api_last_ok = Gauge(
            "lumbar_bot_api_last_answer_timestamp_seconds",
            "Unix time of the last Bot API call Telegram answered (below 500, not 401 or 404)",
            registry=reg,
        )
        self.nudges_due = Counter(
            "lumbar_nudges_due",
            "Due nudges claimed by the dispatcher",
            registry=reg,
        )
        self.nudges = Counter(
            "lumbar_nudges",
            "Claimed nudges by what became of them",
            ["outcome"],
            registry=reg,
        )
        self.dispatch_lag = Gauge(
            "lumbar_nudge_dispatch_lag_seconds",
            "At the last dispatcher run: now minus the due time of the oldest claimed nudge"
            " (0 when none was due)",
            registry=reg,
        )
        self.database_errors = Counter(
            "lumbar_database_errors",
            "Database failures, by where they surfaced",
            ["where"],
            registry=reg,
        )
        self.webhook_requests = Counter(
            "lumbar_webhook_requests",
            "Webhook HTTP requests, by answer status",
            ["status"],
            registry=reg,
        )
        # Children exist from the start, so a scrape shows zeros instead of nothing.
        for kind in UPDATE_KINDS:
            self.updates.labels(kind)
        for error in ERROR_KINDS:
            self.update_errors.labels(error)
        for outcome in NUDGE_OUTCOMES:
            self.nudges.labels(outcome)
        for where in DATABASE_PLACES:
            self.database_errors.labels(where)
        # Monotonic time of the last answered Bot API call, for the health check.
        self.bot_api_answered_at: float | None = None

    # --- updates

    def update_handled(self, update: object, seconds: float) -> None:
        """Count one handled update and its latency (PerChatUpdateProcessor calls this)."""
        kind = update_kind(update)
        self.updates.labels(kind).inc()
        self.update_seconds.labels(kind).observe(seconds)

    def update_failed(self, error_kind: str) -> None:
        """Count a handler failure by the error handler's classification."""
        kind = error_kind if error_kind in ERROR_KINDS else "bug"
        self.update_errors.labels(kind).inc()
        if kind == "database":
            self.database_errors.labels("update").inc()

    # --- Bot API

    def api_answered(self, method: str, status: int, body: bytes, seconds: float) -> None:
        """Count one Bot API call that got an HTTP answer."""
        result = _result(status)
        self.api_calls.labels(method, result).inc()
        self.api_seconds.labels(method).observe(seconds)
        if status < 500 and status not in _TOKEN_REFUSED:
            self.bot_api_answered_at = time.monotonic()
            self.api_last_ok.set_to_current_time()
        if status == 429:
            self.api_retry_after.inc(_retry_after(body))

    def api_failed(self, method: str, seconds: float) -> None:
        """Count one Bot API call that got no answer (refused, dropped, timed out)."""
        self.api_calls.labels(method, "network").inc()
        self.api_seconds.labels(method).observe(seconds)

    # --- nudges

    def dispatched(self, report: DispatchReport) -> None:
        """Count one dispatcher run's outcomes and set the lag."""
        self.nudges_due.inc(report.claimed)
        for outcome in NUDGE_OUTCOMES:
            count = getattr(report, outcome)
            if count:
                self.nudges.labels(outcome).inc(count)
        self.dispatch_lag.set(report.lag_seconds)

    def dispatch_failed(self, error: BaseException) -> None:
        """A dispatcher run failed; count it when the database was the cause."""
        if _is_database_error(error):
            self.database_errors.labels("dispatcher").inc()

    def scrape(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def _is_database_error(error: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(error, (SQLAlchemyError, OSError, TimeoutError))


def _result(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    return "4xx"


def _retry_after(body: bytes) -> float:
    """The retry_after of a 429 answer, 0 when the body does not say."""
    try:
        value = json.loads(body)["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return 0.0
    return float(value) if isinstance(value, (int, float)) and value >= 0 else 0.0


def api_method(url: str) -> str:
    """The Bot API method an URL calls (its last path segment), or "other"."""
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    return name if _METHOD_SHAPE.match(name) else "other"


def update_kind(update: object) -> str:
    """A label for an update: a known command's name, or a coarse kind; never its text."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback"
    if update.my_chat_member is not None or update.chat_member is not None:
        return "member"
    message = update.message
    if message is None:
        return "other"
    text = message.text or ""
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].partition("@")[0].lower() if len(text) > 1 else ""
        return f"command_{name}" if name in COMMANDS else "command_other"
    return "message"


@functools.cache
def _throwaway() -> Metrics:
    return Metrics(process=False)


def metrics_of(bot_data: object) -> Metrics:
    """The application's metrics (``bot_data.metrics``), or a throwaway set if none is attached.

    Code that records a metric then works in tests that build contexts by hand.
    """
    found = getattr(bot_data, "metrics", None)
    return found if isinstance(found, Metrics) else _throwaway()


class MeteredRequest(AiohttpRequest):
    """``AiohttpRequest`` that counts every Bot API call by method and result."""

    __slots__ = ("_metrics",)

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request (``AiohttpRequest.do_request``) and count its result."""
        name = api_method(url)
        started = time.perf_counter()
        try:
            status, body = await super().do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except NetworkError:  # TimedOut included
            self._metrics.api_failed(name, time.perf_counter() - started)
            raise
        self._metrics.api_answered(name, status, body, time.perf_counter() - started)
        return status, body


def metrics_app(metrics: Metrics) -> web.Application:
    """A small aiohttp application answering ``GET /metrics`` (served on METRICS_PORT)."""
    from aiohttp import web

    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=metrics.scrape(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    return app
