"""The nudge job's runs never hang, never pile up, and log an outage once (issue 16)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.retry import in_background
from bot.scheduler import DispatchReport, NudgeDispatcher, dispatch_nudges
from db.repositories.nudges import ClaimedNudge


class Stuck(NudgeDispatcher):
    """A dispatcher whose database never answers (or fails at once, when told)."""

    def __init__(self, tick_timeout: float) -> None:
        super().__init__(None, None, tick_timeout=tick_timeout)  # type: ignore[arg-type]
        self.runs = 0
        self.fail_with: Exception | None = None

    async def run_once(self) -> DispatchReport:
        self.runs += 1
        if self.fail_with is not None:
            raise self.fail_with
        await asyncio.Event().wait()  # a query nobody answers
        raise AssertionError("unreachable")


def context_for(dispatcher: NudgeDispatcher) -> Any:
    return SimpleNamespace(
        job=SimpleNamespace(data=dispatcher),
        bot_data=SimpleNamespace(),
        application=SimpleNamespace(running=True),
    )


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_stuck_run_is_cut_off_and_runs_due_meanwhile_return_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Stuck(tick_timeout=0.3)
    context = context_for(dispatcher)
    started = time.monotonic()
    first = asyncio.create_task(dispatch_nudges(context))
    await asyncio.sleep(0.05)
    for _ in range(5):  # due while the first is stuck: return at once, no second run
        await asyncio.wait_for(dispatch_nudges(context), 0.05)
    await first
    assert 0.3 <= time.monotonic() - started < 1.0
    assert dispatcher.runs == 1
    await dispatch_nudges(context)  # the next run is not held off
    assert dispatcher.runs == 2
    assert warnings(caplog) == [
        "nudge dispatch failed: cut off after 0.3 s; trying again every run"
    ]


async def test_an_outage_is_logged_once_and_the_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    dispatcher = Stuck(tick_timeout=5)
    dispatcher.fail_with = TimeoutError()
    context = context_for(dispatcher)
    for _ in range(20):
        await dispatch_nudges(context)
    assert dispatcher.runs == 20
    dispatcher.fail_with = None

    async def works() -> DispatchReport:
        return DispatchReport()

    dispatcher.run_once = works  # type: ignore[method-assign]
    await dispatch_nudges(context)
    await dispatch_nudges(context)
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.scheduler"]
    assert messages == [
        "nudge dispatch failed: TimeoutError; trying again every run",
        "nudge dispatch works again, after 20 failed runs",
    ]


async def test_stopping_ends_the_run_under_way_and_starts_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Stuck(tick_timeout=60)
    context = context_for(dispatcher)
    run = asyncio.create_task(dispatch_nudges(context))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    dispatcher.stop_within(0.2)
    await asyncio.wait_for(run, 2)  # returns, not cancelled: the job queue logs no error
    assert 0.15 <= time.monotonic() - started < 1.0
    await dispatch_nudges(context)
    assert dispatcher.runs == 1
    assert not warnings(caplog)


async def test_nudges_are_sent_in_the_background_lane_behind_peoples_answers() -> None:
    lanes: list[bool] = []

    async def send_message(chat_id: int, text: str, **kwargs: Any) -> None:
        lanes.append(in_background())  # what the rate limiter sees (bot/retry.py)

    library = SimpleNamespace(nudges=SimpleNamespace(water=("Drink",)), text=lambda key: key)
    services = SimpleNamespace(
        library=library, libraries={"en": library}, library_for=lambda language: library
    )
    dispatcher = NudgeDispatcher(services, SimpleNamespace(send_message=send_message))  # type: ignore[arg-type]
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    nudge = ClaimedNudge(1, 42, "water", due, None, 0, "UTC", None, None)
    result = await dispatcher._send_one(nudge, asyncio.Semaphore(1))
    assert result.action == "sent"
    assert lanes == [True]
    assert not in_background()  # the mark ends with the send
