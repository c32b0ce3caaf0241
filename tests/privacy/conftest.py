"""Fixtures for the privacy tests: the real bot against the emulator, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.harness import FakeClock, Lumbar, lumbar_running, shared_card_cache

ADMIN_ID = 900900


@pytest.fixture(scope="session")
def card_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_card_cache(tmp_path_factory)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def lumbar(db_url: str, card_cache: Path, clock: FakeClock) -> AsyncIterator[Lumbar]:
    """The real bot on each database backend; one admin (ADMIN_ID) may use /stats."""
    async with lumbar_running(
        db_url, card_cache, clock, admin_user_ids=frozenset({ADMIN_ID})
    ) as bot:
        yield bot
