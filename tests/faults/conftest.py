"""Fixtures for the fault tests: the real bot against the emulator, with a short read timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.harness import FakeClock, Lumbar, lumbar_running, shared_card_cache

# Long enough for any honest answer on loopback, short enough for a stall to time out.
READ_TIMEOUT = 1.5


@pytest.fixture(scope="session")
def card_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_card_cache(tmp_path_factory)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def lumbar(db_url: str, card_cache: Path, clock: FakeClock) -> AsyncIterator[Lumbar]:
    """The real bot on each database backend, with a short Bot API read timeout."""
    async with lumbar_running(db_url, card_cache, clock, read_timeout=READ_TIMEOUT) as bot:
        yield bot


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how many updates the fuzz test pushed through the bot."""
    from tests.faults.test_fuzz import FUZZED

    if FUZZED["sequences"]:
        terminalreporter.write_line(
            f"fuzz: {FUZZED['sequences']} sequences, {FUZZED['steps']} steps, "
            f"{FUZZED['updates']} updates through the bot"
        )
