"""Fixtures: a running playground (emulator, real bot, SQLite, page) on a known Monday."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.playground import PageServer, Playground, PlaygroundClock
from tests.flows.conftest import with_cards_drawn

# Monday 2 March 2026, 08:00 UTC (09:00 in Berlin): a workday, before the stretch times.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
QUIET = 0.3


@dataclass
class Running:
    """A started playground and its page, with a tiny JSON client for the page's endpoints."""

    playground: Playground
    page: PageServer
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.page.url

    async def get(self, path: str) -> Any:
        async with self.http.get(self.url + path.lstrip("/")) as response:
            return await response.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self.url + path.lstrip("/"), json=body) as response:
            return await response.json()

    async def settle(self) -> None:
        await self.playground.server.settle(quiet=QUIET)


@pytest.fixture(scope="session")
def card_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cards render once per test session."""
    return with_cards_drawn(tmp_path_factory.mktemp("playground-cards"))


@pytest.fixture
async def running(tmp_path: Path, card_cache: Path) -> AsyncIterator[Running]:
    """The whole playground as `python -m bot playground` runs it, on free ports."""
    playground = Playground(
        tmp_path / "data",
        cache_dir=card_cache,
        clock=PlaygroundClock.starting_at(START),
        nudge_interval_seconds=300,
    )
    page = PageServer(playground)
    await playground.start()
    try:
        await page.start()
        async with aiohttp.ClientSession() as http:
            yield Running(playground, page, http)
    finally:
        await playground.stop()
        await page.stop()
