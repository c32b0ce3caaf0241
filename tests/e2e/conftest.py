"""Fixtures for end-to-end tests: the emulator in this process, the bot as a real process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiServer
from tests.e2e.process import TOKEN, Deployment
from tests.faults.harness import shared_card_cache


@pytest.fixture(scope="session")
def card_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_card_cache(tmp_path_factory)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiServer]:
    """A Bot API emulator that accepts only the e2e token (others get 401)."""
    async with BotApiServer(token=TOKEN) as server:
        yield server


@pytest.fixture
async def deployment(
    emulator: BotApiServer, tmp_path: Path, card_cache: Path
) -> AsyncIterator[Deployment]:
    """Where the bot process runs: a fresh SQLite file in tmp, the shared card folder."""
    deploy = Deployment(emulator, tmp_path, card_cache)
    try:
        yield deploy
    finally:
        for run in deploy.runs:
            await run.ensure_gone()
