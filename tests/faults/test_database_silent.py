"""PostgreSQL goes silent (packets dropped, no reset): one apology each, then all recovers.

The bot reaches PostgreSQL through a proxy of the test's own (tests/faults/proxy.py) that
stops forwarding without closing anything, then forwards new connections again while
the old ones stay dead. Timeouts are shortened through the URL, as a user may set them,
so the outage costs seconds here instead of the production bounds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.emulator import FakeUser
from tests.faults.conftest import READ_TIMEOUT
from tests.faults.harness import FakeClock, Lumbar, lumbar_running, seed_profile, texts
from tests.faults.proxy import BlackholeProxy

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_backend", ["postgresql"])]

NOTEBOOK_DOWN = "can't reach my notebook"
# One second for any command or connection; the server ends a transaction idle for 2 s.
SHORT_TIMEOUTS = {
    "command_timeout": "1",
    "timeout": "1",
    "idle_in_transaction_session_timeout": "2000",
}
TICK = 0.5  # the nudge job's interval here (5 s in production)
STOP_BOUND = 15.0


@pytest.fixture
async def proxy(db_url: str) -> AsyncIterator[BlackholeProxy]:
    url = make_url(db_url)
    tcp = BlackholeProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    try:
        yield tcp
    finally:
        await tcp.stop()


@pytest.fixture
async def lumbar(
    db_url: str, proxy: BlackholeProxy, card_cache: Path, clock: FakeClock
) -> AsyncIterator[Lumbar]:
    """The bot talking to PostgreSQL through the proxy, its nudge job every half second."""
    through_proxy = (
        make_url(db_url)
        .set(host="127.0.0.1", port=proxy.listen_port)
        .update_query_dict(SHORT_TIMEOUTS)
        .render_as_string(hide_password=False)
    )
    running = lumbar_running(through_proxy, card_cache, clock, read_timeout=READ_TIMEOUT)
    bot = await running.__aenter__()
    try:
        assert bot.app.job_queue is not None
        (job,) = bot.app.job_queue.get_jobs_by_name("nudge-dispatcher")
        job.job.reschedule(trigger="interval", seconds=TICK)
        yield bot
    finally:
        # Bounded, so a bot that cannot stop fails the test instead of hanging the run.
        try:
            async with asyncio.timeout(STOP_BOUND):
                await running.__aexit__(None, None, None)
        except TimeoutError:
            pytest.fail(f"the bot did not stop within {STOP_BOUND} s")


async def test_a_silent_database_costs_one_apology_then_everyone_is_served(
    lumbar: Lumbar, proxy: BlackholeProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ann, bob, cid = (lumbar.user(3000 + n, name=name) for n, name in enumerate("ABC"))
    for user in (ann, bob, cid):
        await seed_profile(lumbar, user)
    for user in (ann, bob):
        out = await lumbar.send(user, "/today")
        assert "Card 1 of" in (out[-1].caption or "")
    await lumbar.server.settle(quiet=TICK * 2)

    proxy.blackhole()
    started = time.monotonic()
    _press(lumbar, ann, "Done")
    lumbar.server.send_text(bob, "/today")
    lumbar.server.send_text(cid, "/progress")  # (/help needs no database: it would answer)
    waited = await _first_answers(lumbar, (ann, bob, cid), started, limit=15)
    await asyncio.sleep(2 * TICK)  # the nudge job keeps failing meanwhile, quietly
    await lumbar.server.settle(quiet=0.5, timeout=15)
    for user in (ann, bob, cid):
        out = lumbar.server.new_bot_messages(user)
        assert len(out) == 1 and NOTEBOOK_DOWN in texts(out), texts(out)  # one apology
    assert max(waited.values()) < 6, waited
    assert proxy.swallowed > 0  # the bot did try new connections into the silence

    proxy.forward()
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # Ann's stretch nudge is due
    recovered = time.monotonic()
    out = await lumbar.press(ann, "Done")  # the same card again: nothing was lost
    assert NOTEBOOK_DOWN not in texts(out) and "Card 2 of" in texts(out), texts(out)
    out = await lumbar.send(bob, "/today")
    assert NOTEBOOK_DOWN not in texts(out) and "Card 1 of" in texts(out), texts(out)
    out = await lumbar.send(cid, "/help")
    assert NOTEBOOK_DOWN not in texts(out) and "/today" in texts(out), texts(out)
    # The real nudge job, which ticked on through the outage, sends the due nudge.
    await lumbar.server.wait_for(lambda: _stretch_nudges(lumbar, ann) == 1, 10, what="a nudge")
    assert time.monotonic() - recovered < 10

    def logged(words: str) -> int:
        return sum(words in record.getMessage() for record in caplog.records)

    await lumbar.server.wait_for(lambda: logged("nudge dispatch works again"), 5, what="the log")
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "maximum number of running instances" in m]
    assert sum("nudge dispatch failed" in m for m in messages) == 1, messages
    assert sum("nudge dispatch works again" in m for m in messages) == 1


def _press(lumbar: Lumbar, user: FakeUser, label: str) -> None:
    message, data = lumbar.find_button(user, label)
    lumbar.server.press(user, message.message_id, data)


def _stretch_nudges(lumbar: Lumbar, user: FakeUser) -> int:
    return sum("Stretch now" in str(m.buttons) for m in lumbar.server.bot_messages(user))


async def _first_answers(
    lumbar: Lumbar, users: tuple[FakeUser, ...], since: float, *, limit: float
) -> dict[str, float]:
    """Seconds from ``since`` until each user's first new message."""
    waited: dict[str, float] = {}
    while len(waited) < len(users):
        assert time.monotonic() - since < limit, f"some users got no answer: {waited}"
        for user in users:
            if user.first_name not in waited and lumbar.server.new_bot_messages(user):
                waited[user.first_name] = round(time.monotonic() - since, 2)
        await asyncio.sleep(0.02)
    return waited
