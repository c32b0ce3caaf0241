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

from bot.retry import (
    OVERALL_FLOOD_CHATS,
    RetryingRateLimiter,
    background_calls,
    in_background,
    should_retry,
)

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
    # A 429 for a call that names no chat pauses every request.
    paused = asyncio.create_task(
        limiter.process_request(first, (), {}, "setMyCommands", {}, rate_limit_args=None)
    )
    await asyncio.sleep(0.05)  # the 429 pause has begun
    start = time.monotonic()
    await asyncio.gather(*(send(limiter, others, chat) for chat in range(2, 10)), paused)
    assert len(first.times) == 1  # the refused call went out again, once
    assert min(others.times) - start >= 0.9  # nobody went during the pause
    span = max(others.times) - min(others.times)
    assert span >= 0.25, f"8 calls after the pause went out within {span:.3f} s"


async def test_a_429_for_one_chat_pauses_that_chat_only() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE)
    burster = Recorder(retry_after_first=1)
    others = Recorder()
    start = time.monotonic()
    paused = asyncio.create_task(send(limiter, burster, chat_id=1))
    await asyncio.sleep(0.05)  # the 429 came back
    assert limiter.chat_paused(1)
    assert not limiter.chat_paused(2)
    await asyncio.gather(*(send(limiter, others, chat) for chat in range(2, 6)))
    # Four calls one every 50 ms: about 0.2 s, not after chat 1's second-long pause.
    assert max(others.times) - start < 0.6
    await paused
    assert burster.times[0] - start >= 1.0  # chat 1 went again once its pause had passed


async def test_429s_for_several_chats_within_a_second_pause_everyone() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE)
    refused = [Recorder(retry_after_first=1) for _ in range(OVERALL_FLOOD_CHATS)]
    start = time.monotonic()
    paused = [asyncio.create_task(send(limiter, r, chat)) for chat, r in enumerate(refused, 1)]
    await asyncio.sleep(0.3)  # each drew its 429: that is the bot's budget, not one chat's
    later = Recorder()
    await send(limiter, later, chat_id=99)
    await asyncio.gather(*paused)
    assert later.times[0] - start >= 0.9


async def test_new_messages_to_one_chat_go_in_a_short_burst_then_spaced() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=1000.0, chat_max_rate=10.0, chat_burst=2)
    one_chat, other_chat, edits = Recorder(), Recorder(), Recorder()
    start = time.monotonic()
    await asyncio.gather(
        *(send(limiter, one_chat, chat_id=1) for _ in range(5)),
        send(limiter, other_chat, chat_id=2),
        *(
            limiter.process_request(
                edits, (), {}, "editMessageText", {"chat_id": 1}, rate_limit_args=None
            )
            for _ in range(3)
        ),
    )
    offsets = sorted(t - start for t in one_chat.times)
    assert offsets[1] < 0.05  # a burst of two at once
    # then one every 100 ms: the fifth about 0.3 s after the first
    assert offsets[4] >= 0.25, offsets
    assert other_chat.times[0] - start < 0.05  # another chat has its own line
    assert max(edits.times) - start < 0.05  # edits are not new messages: not spaced


async def test_answers_to_button_presses_take_no_overall_token() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=1.0)  # one chat message a second
    call = Recorder()
    await send(limiter, call)  # takes the only token for a second
    start = time.monotonic()
    await limiter.process_request(
        call, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, rate_limit_args=None
    )
    assert call.times[-1] - start < 0.5


async def nudge(limiter: RetryingRateLimiter, call: Recorder, chat_id: int) -> Any:
    """A send made as the nudge dispatcher makes it: in the background lane."""
    with background_calls():
        assert in_background()
        return await send(limiter, call, chat_id)


async def test_a_persons_call_goes_before_nudges_queued_for_the_whole_budget() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE, chat_max_rate=0)
    nudges, person = Recorder(), Recorder()
    queued = [asyncio.create_task(nudge(limiter, nudges, chat)) for chat in range(100, 120)]
    await asyncio.sleep(0.12)  # nudges hold every token: 20 of them take a second
    assert not in_background()  # the mark stays with the nudges' own calls
    asked = time.monotonic()
    await send(limiter, person, chat_id=1)
    # The next token (one every 50 ms) is the person's, not the 17 nudges' still waiting.
    assert person.times[0] - asked < 0.3
    assert sum(t > person.times[0] for t in nudges.times) == 0  # not yet recorded: still queued
    await asyncio.gather(*queued)
    assert len(nudges.times) == 20  # and every nudge still went, after it
    assert sum(t > person.times[0] for t in nudges.times) >= 10


async def test_while_people_press_nudges_take_only_their_share_and_still_progress() -> None:
    share = 0.25
    limiter = RetryingRateLimiter(overall_max_rate=RATE, chat_max_rate=0, background_share=share)
    nudges, people = Recorder(), Recorder()
    queued = [asyncio.create_task(nudge(limiter, nudges, chat)) for chat in range(100, 160)]
    await asyncio.sleep(0.5)  # nudges alone take the whole budget: that uses up no share
    waits: list[float] = []
    started = time.monotonic()
    for press in range(10):  # a person's call every 100 ms: half the budget (20 a second)
        asked = time.monotonic()
        await send(limiter, people, chat_id=press)
        waits.append(time.monotonic() - asked)
        await asyncio.sleep(max(0.0, started + (press + 1) * 0.1 - time.monotonic()))
    pressing = time.monotonic() - started
    during = sum(started < t <= started + pressing for t in nudges.times)
    # At most a quarter of 20 a second go to nudges while people press, and they keep going.
    assert 2 <= during <= share * RATE * pressing + 3, (during, pressing)
    assert max(waits) < 0.3, waits  # a token at most one nudge away
    for task in queued:
        task.cancel()
    await asyncio.gather(*queued, return_exceptions=True)


async def test_nudges_use_the_whole_budget_when_nobody_presses() -> None:
    limiter = RetryingRateLimiter(overall_max_rate=RATE, chat_max_rate=0, background_share=0.25)
    nudges = Recorder()
    started = time.monotonic()
    await asyncio.gather(*(nudge(limiter, nudges, chat) for chat in range(100, 110)))
    # Ten one every 50 ms: about 0.45 s; at a quarter of the budget it would be 1.8 s.
    assert time.monotonic() - started < 1.2


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
