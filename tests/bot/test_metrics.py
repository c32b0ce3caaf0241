"""Prometheus metrics: counters move with real traffic, and no label carries user data."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.ext import CommandHandler

from bot.app import build_application
from bot.config import Settings
from bot.metrics import (
    API_RESULTS,
    COMMANDS,
    DATABASE_PLACES,
    ERROR_KINDS,
    NUDGE_OUTCOMES,
    UPDATE_KINDS,
    Metrics,
    api_method,
    metrics_of,
    update_kind,
)
from bot.scheduler import DispatchReport
from db.engine import create_engine, create_session_factory
from tests.bot.web_harness import WebBot, update_json, web_bot
from tests.flows.conftest import TOKEN
from tests.seeding import EVERY_DAY, seed_finished_triage

USER_ID, NAME = 5551234, "Annabel"
ALLOWED = {
    "kind": set(UPDATE_KINDS),
    "result": set(API_RESULTS),
    "outcome": set(NUDGE_OUTCOMES),
    "error": set(ERROR_KINDS),
    "where": set(DATABASE_PLACES),
    "status": {"200", "400", "403", "404", "405", "413", "500", "503"},
}


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def assert_no_user_data(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> None:
    for name, labels in samples:
        for key, label in labels:
            if name.startswith("lumbar_") and key in ALLOWED:
                assert label in ALLOWED[key], (name, key, label)
            elif key == "method":
                assert re.fullmatch(r"[A-Za-z]{1,40}", label), (name, label)
            elif key not in ("le", "quantile"):
                raise AssertionError(f"unexpected label {key}={label!r} on {name}")
            assert str(USER_ID) not in label and NAME not in label and "pain" not in label


@pytest.fixture
async def bot(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[WebBot]:
    async with web_bot(tmp_path, sqlite_template, webhook=False, metrics=True) as running:
        yield running


async def test_updates_calls_and_their_labels_through_the_emulator(bot: WebBot) -> None:
    ann = bot.server.user(USER_ID, first_name=NAME, username="annabel_b")
    for text in ("/start", "/help", "/no_such_thing", f"I am {NAME}, my pain is 7"):
        bot.server.send_text(ann, text)
        await bot.server.settle(quiet=0.2)
    message = next(m for m in reversed(bot.server.bot_messages(ann)) if m.buttons)
    _, data = message.buttons[0][0]
    assert data is not None
    bot.server.press(ann, message.message_id, data)
    await bot.server.settle(quiet=0.3)

    status, text = await bot.get("metrics", "/metrics")
    assert status == 200
    samples = scrape(text)
    for kind in ("command_start", "command_help", "command_other", "message", "callback"):
        assert value(samples, "lumbar_updates_total", kind=kind) == 1, kind
        assert value(samples, "lumbar_update_seconds_count", kind=kind) == 1, kind
    assert value(samples, "lumbar_updates_total", kind="command_today") == 0
    sent = value(samples, "lumbar_bot_api_calls_total", method="sendMessage", result="ok")
    assert sent == len(bot.server.calls_to("sendMessage")) >= 4
    assert value(samples, "lumbar_bot_api_calls_total", method="getUpdates", result="ok") >= 1
    assert value(samples, "lumbar_bot_api_last_answer_timestamp_seconds") > 0
    assert value(samples, "process_resident_memory_bytes") > 0
    assert_no_user_data(samples)
    assert NAME not in text and str(USER_ID) not in text and "annabel" not in text.lower()


async def test_a_429_is_counted_with_the_wait_telegram_asked_for(bot: WebBot) -> None:
    ann = bot.server.user(USER_ID, first_name=NAME)
    bot.server.fail("sendMessage", 429, retry_after=1)
    bot.server.send_text(ann, "/help")
    await bot.server.settle(quiet=0.3, timeout=15)
    samples = scrape((await bot.get("metrics", "/metrics"))[1])
    assert value(samples, "lumbar_bot_api_calls_total", method="sendMessage", result="429") == 1
    assert value(samples, "lumbar_bot_api_retry_after_seconds_total") == 1.0
    assert value(samples, "lumbar_bot_api_calls_total", method="sendMessage", result="ok") >= 1


async def test_nudges_and_the_dispatcher_lag(bot: WebBot) -> None:
    ann = bot.server.user(USER_ID, first_name=NAME)
    bot.server.private_chat(ann)
    now = datetime.now(UTC)
    async with bot.app.bot_data.services.transaction() as uow:
        await seed_finished_triage(uow, ann, now, stretch_days=EVERY_DAY)
        await uow.nudges.schedule(ann.id, "stretch", now - timedelta(seconds=90))
        await uow.nudges.schedule(ann.id, "water", None)
    assert bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name("nudge-dispatcher")
    await job.run(bot.app)
    await bot.server.settle(quiet=0.2)
    samples = scrape((await bot.get("metrics", "/metrics"))[1])
    assert value(samples, "lumbar_nudges_due_total") == 1
    assert value(samples, "lumbar_nudges_total", outcome="sent") == 1
    assert value(samples, "lumbar_nudges_total", outcome="skipped_stale") == 0
    assert 90 <= value(samples, "lumbar_nudge_dispatch_lag_seconds") < 120
    assert_no_user_data(samples)


async def test_database_errors_of_updates_are_counted(bot: WebBot, tmp_path: Path) -> None:
    services = bot.app.bot_data.services
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.sqlite3")
    good, services.sessions = services.sessions, create_session_factory(broken)
    try:
        ann = bot.server.user(USER_ID, first_name=NAME)
        bot.server.send_text(ann, "/start")
        await bot.server.settle(quiet=0.3)
    finally:
        services.sessions = good
        await broken.dispose()
    samples = scrape((await bot.get("metrics", "/metrics"))[1])
    assert value(samples, "lumbar_database_errors_total", where="update") >= 1
    assert value(samples, "lumbar_update_errors_total", error="database") >= 1


def test_update_kinds_come_from_fixed_lists() -> None:
    def kind(text: str) -> str:
        return update_kind(Update.de_json(update_json(USER_ID, 1, text), None))

    assert kind("/today") == "command_today"
    assert kind("/Today@lumbar_test_bot extra words") == "command_today"
    assert kind(f"/{NAME}") == "command_other"
    assert kind("/") == "command_other"
    assert kind(f"hello, I am {NAME}") == "message"
    assert update_kind(object()) == "other"
    assert {kind("/x"), kind("/today")} <= set(UPDATE_KINDS)


def test_every_registered_command_has_a_label_of_its_own(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, cache_dir=tmp_path)  # type: ignore[call-arg]
    app = build_application(settings)
    registered = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert registered == COMMANDS


def test_api_methods_are_names_only() -> None:
    assert api_method("https://api.telegram.org/bot123:ABC-def/sendMessage") == "sendMessage"
    assert api_method("http://127.0.0.1:1/bot123:ABC/getMe?x=1") == "getMe"
    assert api_method("http://127.0.0.1:1/bot123:ABC/send Message") == "other"
    assert api_method("http://127.0.0.1:1/bot123:ABC/") == "other"


def test_reports_and_failures_without_an_application() -> None:
    metrics = Metrics(process=False)
    report = DispatchReport(claimed=5, sent=3, skipped_stale=1, blocked=1, lag_seconds=12.5)
    metrics.dispatched(report)
    metrics.dispatch_failed(OperationalError("SELECT", {}, Exception("gone")))
    metrics.dispatch_failed(ValueError("a bug, not the database"))
    metrics.update_failed("surprise")
    samples = scrape(metrics.scrape().decode())
    assert value(samples, "lumbar_nudges_due_total") == 5
    assert value(samples, "lumbar_nudges_total", outcome="sent") == 3
    assert value(samples, "lumbar_nudges_total", outcome="blocked") == 1
    assert value(samples, "lumbar_nudge_dispatch_lag_seconds") == 12.5
    assert value(samples, "lumbar_database_errors_total", where="dispatcher") == 1
    assert value(samples, "lumbar_update_errors_total", error="bug") == 1
    assert "process_" not in metrics.scrape().decode()
    assert metrics_of(object()) is metrics_of(None)  # a throwaway set, not an error
    assert Metrics(process=False).registry is not metrics.registry
