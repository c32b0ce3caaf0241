"""/healthz and /livez: ready only while the database and the Bot API answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.engine import create_engine
from tests.bot.web_harness import PATH, WebBot, web_bot


@pytest.fixture
async def bot(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[WebBot]:
    monkeypatch.setattr("bot.health.RESULT_TTL", 0.0)  # every check checks
    async with web_bot(tmp_path, sqlite_template) as running:
        yield running


async def test_ready_and_alive_on_the_webhook_port(bot: WebBot) -> None:
    assert await bot.get("webhook", "/healthz") == (200, "ready\n")
    assert await bot.get("webhook", "/livez") == (200, "alive\n")
    async with bot.http.head(bot.url("webhook", "/healthz")) as answer:
        assert answer.status == 200


async def test_a_database_that_does_not_answer_makes_it_unready(
    bot: WebBot, tmp_path: Path
) -> None:
    services = bot.app.bot_data.services
    good = services.engine
    services.engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.sqlite3")
    try:
        status, text = await bot.get("webhook", "/healthz")
        assert status == 503
        assert text == "database: failed (OperationalError)\nbot_api: ok\n"
        assert str(tmp_path) not in text
        assert await bot.get("webhook", "/livez") == (200, "alive\n")
    finally:
        await services.engine.dispose()
        services.engine = good
    assert await bot.get("webhook", "/healthz") == (200, "ready\n")


async def test_the_bot_api_is_asked_only_without_a_recent_answer(bot: WebBot) -> None:
    metrics = bot.app.bot_data.metrics
    assert metrics.bot_api_answered_at is not None  # setWebhook at start was an answer
    for _ in range(3):
        assert await bot.get("webhook", "/healthz") == (200, "ready\n")
    assert not bot.server.calls_to("getMe")[1:]  # PTB's own getMe at start, nothing more
    before = len(bot.server.calls_to("getMe"))
    metrics.bot_api_answered_at = None  # as after a quiet minute
    for _ in range(3):
        assert await bot.get("webhook", "/healthz") == (200, "ready\n")
    assert len(bot.server.calls_to("getMe")) == before + 1  # one probe; its answer counts


async def test_a_bot_api_that_does_not_answer_makes_it_unready_without_hammering(
    bot: WebBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.health.BOT_API_TIMEOUT", 0.3)
    bot.app.bot_data.metrics.bot_api_answered_at = None
    before = len(bot.server.calls_to("getMe"))
    bot.server.stall("getMe", 5.0, times=5)
    expected = (503, "database: ok\nbot_api: failed (getMe: no answer within 0.3 s)\n")
    for _ in range(3):
        assert await bot.get("webhook", "/healthz") == expected
    assert len(bot.server.calls_to("getMe")) == before + 1  # the next probe waits PROBE_GAP


async def test_polling_serves_health_and_metrics_on_ports_of_their_own(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async with web_bot(tmp_path, sqlite_template, webhook=False, health=True, metrics=True) as bot:
        assert await bot.get("health", "/healthz") == (200, "ready\n")
        assert await bot.get("health", "/livez") == (200, "alive\n")
        assert (await bot.get("health", "/metrics"))[0] == 404
        async with bot.http.post(bot.url("health", PATH), data=b"{}") as answer:
            assert answer.status == 404  # no webhook while polling
        status, text = await bot.get("metrics", "/metrics")
        assert status == 200 and "lumbar_bot_api_calls_total" in text
        assert (await bot.get("metrics", "/healthz"))[0] == 404
