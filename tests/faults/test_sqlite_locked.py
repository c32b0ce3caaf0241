"""Another process holds SQLite's write lock: waiting users get the apology promptly.

The bot's one connection queues transactions; before, each waited a whole busy timeout
behind the one before it, so the Nth user heard back after N timeouts. Now the first
waits one timeout and the ones queued behind it are answered right after.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from sqlalchemy.engine import make_url

from bot.emulator import FakeUser
from db.sqlite_inline import SQLITE_BUSY_TIMEOUT_MS
from tests.faults.harness import Lumbar, seed_profile, texts

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

NOTEBOOK_DOWN = "can't reach my notebook"
BUSY = SQLITE_BUSY_TIMEOUT_MS / 1000


async def test_users_waiting_on_a_lock_held_elsewhere_are_answered_together(
    lumbar: Lumbar, db_url: str
) -> None:
    users = [lumbar.user(2000 + n, name=f"U{n}") for n in range(4)]
    for user in users:
        await seed_profile(lumbar, user)

    holder = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as a backup or a shell holds it
        holder.execute("UPDATE user SET updated_at = updated_at")
        sent = time.monotonic()
        for user in users:
            lumbar.server.send_text(user, "/today")  # opens today's session: a write
        answered = await _answer_times(lumbar, users, sent, limit=len(users) * BUSY + 10)
    finally:
        holder.rollback()
        holder.close()

    for user in users:
        out = lumbar.server.new_bot_messages(user)
        assert len(out) == 1 and NOTEBOOK_DOWN in texts(out), texts(out)  # one apology
    # Everyone hears back about one busy timeout after sending, not N of them in turn.
    assert max(answered.values()) < BUSY + 2.5, answered
    assert max(answered.values()) - min(answered.values()) < 1.5, answered

    await lumbar.server.settle(quiet=0.3)
    for user in users:  # the lock is gone: served as usual
        out = await lumbar.send(user, "/today")
        assert NOTEBOOK_DOWN not in texts(out)
        assert "Card 1 of" in (out[-1].caption or ""), texts(out)


async def _answer_times(
    lumbar: Lumbar, users: list[FakeUser], sent: float, *, limit: float
) -> dict[int, float]:
    """Seconds from sending until each user's first answer."""
    answered: dict[int, float] = {}
    while len(answered) < len(users):
        assert time.monotonic() - sent < limit, f"no answer for some users: {answered}"
        for user in users:
            if user.id not in answered and lumbar.server.new_bot_messages(user):
                answered[user.id] = round(time.monotonic() - sent, 2)
        await asyncio.sleep(0.02)
    return answered
