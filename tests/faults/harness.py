"""Shared by the fault, privacy and end-to-end tests: the real bot in-process, and the database.

The bot runs as in ``tests/flows`` (polling the Bot API emulator over loopback), with
settings and a read timeout of the test's choosing. Helpers here read the database
directly, so assertions see what is stored, not what the bot says it stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.pool import NullPool

from bot.app import build_application, running
from bot.delivery import ledger_of
from bot.emulator import BotApiServer, FakeUser, StoredMessage
from db.base import Base
from db.engine import create_engine
from tests.flows.conftest import (
    LEDGER_EVERY,
    TOKEN,
    FakeClock,
    Lumbar,
    make_settings,
    with_cards_drawn,
)
from tests.seeding import seed_finished_triage

__all__ = ["TOKEN", "FakeClock", "Lumbar", "all_rows", "lumbar_running", "rows_mentioning"]


def shared_card_cache(factory: pytest.TempPathFactory) -> Path:
    """One card folder for every test of the session (and the processes they start)."""
    path = factory.getbasetemp() / "lumbar-cards"
    path.mkdir(exist_ok=True)
    return with_cards_drawn(path)


@contextlib.asynccontextmanager
async def lumbar_running(
    db_url: str,
    cache: Path,
    clock: FakeClock,
    *,
    read_timeout: float = 15.0,
    **settings: Any,
) -> AsyncIterator[Lumbar]:
    """The real application polling a fresh emulator; yields the user-side handle."""
    async with BotApiServer(token=TOKEN) as server:
        app = build_application(
            make_settings(server, db_url, cache, **settings),
            clock=clock,
            read_timeout=read_timeout,
        )
        ledger_of(app).every = LEDGER_EVERY
        async with running(app, poll_timeout=1.0):
            yield Lumbar(server, app, clock)


async def all_rows(db_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table about people, as plain dicts, read with a fresh engine.

    The ledger of handled update ids is left out: it holds a number per update and a
    time, nothing about a person, and every update adds to it.
    """
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            out: dict[str, list[dict[str, Any]]] = {}
            for table in Base.metadata.sorted_tables:
                if table.name == "handled_update":
                    continue
                result = await conn.execute(select(table))
                out[table.name] = [dict(row._mapping) for row in result]
            return out
    finally:
        await engine.dispose()


def rows_mentioning(
    tables: dict[str, list[dict[str, Any]]], *needles: object
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows in which any column equals, or its text contains, one of the needles."""
    wanted = [str(n) for n in needles]
    for name, rows in tables.items():
        for row in rows:
            for value in row.values():
                if value is None:
                    continue
                if value in needles or any(n in str(value) for n in wanted):
                    yield name, row
                    break


async def count(db_url: str, sql: str, **params: Any) -> int:
    """A single COUNT query, for short assertions."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())
    finally:
        await engine.dispose()


def texts(messages: list[StoredMessage]) -> str:
    """All the text and captions of some messages, joined, for `in` checks."""
    return "\n".join(m.text_or_caption for m in messages)


def labels(lumbar: Lumbar, message: StoredMessage) -> list[str]:
    """The button labels on a message."""
    return [label for row in lumbar.server.buttons(message) for label, _ in row]


Expectation = Callable[[list[StoredMessage]], bool]


async def _until(lumbar: Lumbar, user: FakeUser, expected: Expectation) -> list[StoredMessage]:
    """Wait (through retries) until the new messages meet the expectation, then settle."""
    await lumbar.server.wait_for(
        lambda: expected(lumbar.server.new_bot_messages(user)), 20, what="the expected answer"
    )
    await lumbar.server.settle(quiet=0.3, timeout=20)
    return lumbar.server.new_bot_messages(user)


async def press_until(
    lumbar: Lumbar, user: FakeUser, label: str, expected: Expectation
) -> list[StoredMessage]:
    """Press a button; wait out retries until what comes back meets the expectation."""
    message, data = lumbar.find_button(user, label)
    before = lumbar.card_versions(user)
    lumbar.server.press(user, message.message_id, data)
    # A press redraws the session's card in place: what changed counts, not only new messages.
    await lumbar.server.wait_for(
        lambda: expected(lumbar.changed_since(user, before)), 20, what="the expected answer"
    )
    await lumbar.server.settle(quiet=0.3, timeout=20)
    return lumbar.changed_since(user, before)


async def send_until(
    lumbar: Lumbar, user: FakeUser, text: str, expected: Expectation
) -> list[StoredMessage]:
    """Send a text; wait out retries until what comes back meets the expectation."""
    lumbar.server.send_text(user, text)
    return await _until(lumbar, user, expected)


def saying(words: str) -> Expectation:
    """An expectation: some new message says these words."""
    return lambda messages: any(words in m.text_or_caption for m in messages)


async def seed_profile(
    lumbar: Lumbar, user: FakeUser, *, zone: str = "Europe/Berlin", reminders: bool = True
) -> None:
    """Store what a finished triage stores (the flow tests cover the triage itself).

    Pain 2 for some weeks, exercising now and then, with a mat; default reminders.
    """
    lumbar.server.private_chat(user)  # as if they had written to the bot
    now = lumbar.clock()
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, now, zone=zone, reminders=reminders)


async def start_session(lumbar: Lumbar, user: FakeUser) -> list[StoredMessage]:
    """A user with a profile opens today's session; returns the messages of /today."""
    await seed_profile(lumbar, user)
    return await lumbar.send(user, "/today")
