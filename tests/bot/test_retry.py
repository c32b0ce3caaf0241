"""The rate limiter's shape: steady sends, no burst after a pause, retries only when safe.

Telegram answers 429 when a bot sends more than about 30 messages in a second. These
tests look at when the limiter lets calls through, with generous margins: they check
that calls are spread out instead of going together, not how fast anything is.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.retry import RetryingRateLimiter, should_retry

RATE = 20.0  # calls a second: one every 50 ms


class Recorder:
    """A fake Bot API call that notes when it ran and can answer 429 once."""

    def __init__(self, *, retry_after_first: float | None = None) -> None:
        self.times: list[float] = []
        self._retry_after = retry_after_first

    async def __call__(self) -> dict[str, Any]:
        if self._retry_after is not None:
            wait, self._retry_after = self._retry_after, None
            raise RetryAfter(wait)
        self.times.append(time.monotonic())
        return {"ok": True}


async def send(limiter: RetryingRateLimiter, call: Recorder, chat_id: int = 1) -> Any:
    return await limiter.process_request(
        call, (), {}, "sendMessage", {"chat_id": chat_id}, rate_limit_args=None
    )


async def test_calls_after_a_quiet_spell_are_spread_out_not_sent_in_one_burst() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE)
    call = Recorder()
    await asyncio.sleep(1.1)  # a full second of quiet: PTB's default bucket would be full
    await asyncio.gather(*(send(limiter, call, chat) for chat in range(1, 11)))
    span = call.times[-1] - call.times[0]
    # Ten calls one every 50 ms take about 0.45 s; a burst would take a few milliseconds.
    assert span >= 0.3, f"10 calls went out within {span:.3f} s"
    gaps = [b - a for a, b in zip(call.times, call.times[1:], strict=False)]
    assert sum(gap < 0.02 for gap in gaps) <= 2


async def test_a_429_pause_ends_with_calls_spread_out() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE)
    first = Recorder(retry_after_first=1)
    others = Recorder()
    paused = asyncio.create_task(send(limiter, first))
    await asyncio.sleep(0.05)  # the 429 pause has begun
    start = time.monotonic()
    await asyncio.gather(*(send(limiter, others, chat) for chat in range(2, 10)), paused)
    assert len(first.times) == 1  # the refused call went out again, once
    assert min(others.times) - start >= 0.9  # nobody went during the pause
    span = max(others.times) - min(others.times)
    assert span >= 0.25, f"8 calls after the pause went out within {span:.3f} s"


async def test_answers_to_button_presses_take_no_overall_token() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=1.0)  # one chat message a second
    call = Recorder()
    await send(limiter, call)  # takes the only token for a second
    start = time.monotonic()
    await limiter.process_request(
        call, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, rate_limit_args=None
    )
    assert call.times[-1] - start < 0.5


@pytest.mark.parametrize(
    ("endpoint", "error", "retry"),
    [
        ("sendMessage", NetworkError("Bad Gateway"), True),
        ("sendMessage", TimedOut(), False),  # may have been delivered: never twice
        ("editMessageCaption", TimedOut(), True),
        ("answerCallbackQuery", TimedOut(), True),
        ("sendPhoto", BadRequest("wrong file"), False),
        ("sendMessage", ValueError("not a network error"), False),
    ],
)
def test_only_safe_calls_are_retried(endpoint: str, error: Exception, retry: bool) -> None:
    assert should_retry(endpoint, error) is retry
