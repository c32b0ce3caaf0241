"""PostgreSQL goes away for a moment (a restart): a short apology, then the bot recovers alone.

The machine's PostgreSQL is never touched: the bot reaches it through a small TCP proxy
of the test's own on loopback, which the test cuts (closing every connection and
refusing new ones, as a restarting server does) and then restores.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.scheduler import dispatch_nudges
from tests.faults.harness import FakeClock, Lumbar, lumbar_running, seed_profile, texts

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"])

NOTEBOOK_DOWN = "can't reach my notebook"


class TcpProxy:
    """Forwards loopback connections to a server; `cut()` drops them all until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.open = True
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        """Close every connection and refuse new ones, like a server going down."""
        self.open = False
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.open = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()
        self._writers.discard(sink)


@pytest.fixture
async def proxy(db_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(db_url)
    tcp = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    try:
        yield tcp
    finally:
        await tcp.stop()


@pytest.fixture
async def lumbar(
    db_url: str, proxy: TcpProxy, card_cache: Path, clock: FakeClock
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
    lumbar: Lumbar, proxy: TcpProxy
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


async def test_the_nudge_job_survives_the_outage(lumbar: Lumbar, proxy: TcpProxy) -> None:
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
