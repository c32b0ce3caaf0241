"""SIGTERM ends `python -m bot` in bounded time while PostgreSQL is silent and a query hangs.

The database's own timeouts are set long here (60 s) so that only the shutdown's bounds
can end the wait: the nudge job stuck in a query is cancelled after a few seconds, and
closing the pool's silent connections is given up after a few more.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from bot.app import STOP_JOBS_TIMEOUT_S
from db.engine import DISPOSE_TIMEOUT_S
from tests.e2e.process import Deployment
from tests.faults.proxy import BlackholeProxy

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
async def proxy(pg_db_url: str) -> AsyncIterator[BlackholeProxy]:
    url = make_url(pg_db_url)
    tcp = BlackholeProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    try:
        yield tcp
    finally:
        await tcp.stop()


async def test_sigterm_stops_the_bot_while_a_query_hangs(
    deployment: Deployment, pg_db_url: str, proxy: BlackholeProxy
) -> None:
    through_proxy = (
        make_url(pg_db_url)
        .set(host="127.0.0.1", port=proxy.listen_port)
        .update_query_dict({"command_timeout": "60", "timeout": "60"})
        .render_as_string(hide_password=False)
    )
    run = await deployment.start(DATABASE_URL=through_proxy, NUDGE_INTERVAL_SECONDS="0.3")
    users = [deployment.server.user(1001 + n, first_name=f"U{n}") for n in range(3)]
    for user in users:  # at once, so the pool holds some connections besides the job's
        deployment.server.send_text(user, "/help")
    await deployment.server.settle(quiet=0.5, timeout=20)
    for user in users:
        assert "/today" in "".join(m.text or "" for m in deployment.server.bot_messages(user))

    proxy.blackhole()
    # The nudge job's next run sends its query into the silence, and waits there.
    await deployment.server.wait_for(lambda: proxy.dropped > 0, 10, what="a query sent")
    await asyncio.sleep(0.2)
    started = time.monotonic()
    code = await run.stop(signal.SIGTERM, timeout=30)
    took = time.monotonic() - started

    assert code == 0, run.output
    assert took < STOP_JOBS_TIMEOUT_S + DISPOSE_TIMEOUT_S + 2, (took, run.output)
    # The stuck run ended, not waited for (nor cancelled: that would log an error).
    assert "run under way was cut off" in run.output, run.output
    assert "jobs still running" not in run.output  # nothing else had to be cancelled
    assert "Traceback" not in run.output
