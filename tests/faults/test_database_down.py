"""PostgreSQL goes away for a moment (a restart): a short apology, then the bot recovers alone.

The machine's PostgreSQL is never touched: the bot reaches it through a small TCP proxy
of the test's own on loopback, which the test cuts (closing every connection and
refusing new ones, as a restarting server does) and then restores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.scheduler import dispatch_nudges
from tests.faults.harness import FakeClock, Lumbar, lumbar_running, seed_profile, texts
from tests.faults.proxy import BlackholeProxy

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"])

NOTEBOOK_DOWN = "can't reach my notebook"


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
    """The bot talking to PostgreSQL through the proxy."""
    through_proxy = (
        make_url(db_url)
        .set(host="127.0.0.1", port=proxy.listen_port)
        .render_as_string(hide_password=False)
    )
    async with lumbar_running(through_proxy, card_cache, clock) as bot:
        yield bot


async def test_a_restart_of_postgresql_gets_an_apology_then_recovers(
    lumbar: Lumbar, proxy: BlackholeProxy
) -> None:
    ann = lumbar.user(name="Ann")
    await seed_profile(lumbar, ann)
    out = await lumbar.send(ann, "/today")
    assert "Card 1 of" in (out[-1].caption or "")

    proxy.cut()
    out = await lumbar.press(ann, "Done")
    assert len(out) == 1 and NOTEBOOK_DOWN in texts(out)  # one short apology, nothing else
    out = await lumbar.send(ann, "/help")  # what needs no database still works, whole
    assert "/today" in texts(out) and NOTEBOOK_DOWN not in texts(out)

    proxy.restore()
    out = await lumbar.press(ann, "Done")  # the same card, pressed again: nothing was lost
    assert NOTEBOOK_DOWN not in texts(out)
    assert "Card 2 of" in (out[-1].caption or "")
    async with lumbar.services.transaction() as uow:
        workout = await uow.workouts.open_for_day(ann.id, "today", lumbar.clock.now.date())
        assert workout is not None
        results = await uow.workouts.results(workout.id)
    assert [r.outcome for r in results] == ["done"]


async def test_the_nudge_job_survives_the_outage(lumbar: Lumbar, proxy: BlackholeProxy) -> None:
    ann = lumbar.user(name="Ann")
    await seed_profile(lumbar, ann)
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # the stretch nudge is due
    assert lumbar.app.job_queue is not None
    (job,) = [j for j in lumbar.app.job_queue.jobs() if j.name != "ledger"]
    context = lumbar.app.context_types.context.from_job(job, lumbar.app)

    def stretch_nudges() -> int:
        return sum("Stretch now" in str(m.buttons) for m in lumbar.server.bot_messages(ann))

    proxy.cut()
    await dispatch_nudges(context)  # the tick fails quietly; the next one tries again
    await lumbar.server.settle(quiet=0.3)
    assert stretch_nudges() == 0
    proxy.restore()
    await dispatch_nudges(context)
    await lumbar.server.settle(quiet=0.3)
    assert stretch_nudges() == 1
