"""Retries for Bot API calls that failed for a passing reason (5xx, a dropped connection).

python-telegram-bot's `AIORateLimiter` already waits out 429 answers (`retry_after`).
It does not retry server errors or network failures, so one hiccup at Telegram
would otherwise cost the user their next card. This limiter adds a short retry
on top, only where repeating the call cannot show the user something twice:

- reads, edits, deletions, settings and `answerCallbackQuery` are retried after
  any network failure, timeouts included (an edit applied twice is "not modified");
- sends are retried after a server error or a connection that failed or closed
  before an answer, but not after a timeout, when Telegram may already have
  delivered the message.

Bad requests (400), refusals (403) and the rest are never retried here.

Flood control, like Telegram's limits (about 30 messages a second for the bot, about
one a second in one chat with short bursts allowed):

- one overall budget (``overall_max_rate``) for every call that names a chat;
- new messages to one chat are spaced: ``chat_burst`` at once after a quiet spell, then
  ``chat_max_rate`` a second, so a chat that asks for a lot waits in its own line and
  normal use draws no 429 at all;
- a 429 for a call to one chat pauses that chat only, until its ``retry_after`` has
  passed: one user's burst no longer holds up everyone else. A 429 for a call without a
  chat, or 429s for several chats within a second (the bot's overall budget, which
  Telegram words the same way), pause every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Seconds to wait before each retry; three retries in about 3.5 s in all.
DEFAULT_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
_REPEATABLE_PREFIXES = ("get", "edit", "delete", "set", "answer", "pin", "unpin", "close")
_REPEATABLE = frozenset({"sendChatAction", "logOut"})
# Telegram: "avoid sending more than one message per second" in one chat, short bursts allowed.
DEFAULT_CHAT_RATE = 1.0
DEFAULT_CHAT_BURST = 3
# 429 answers for this many different chats within a second: the bot's budget, not a chat's.
OVERALL_FLOOD_CHATS = 3
_PRUNE_AT = 1024  # chats remembered before those back at a full bucket are forgotten

Result = bool | dict[str, Any] | list[dict[str, Any]]
Chat = int | str


def is_repeatable(endpoint: str) -> bool:
    """Tell whether a second identical call is harmless even if the first one took effect."""
    return endpoint in _REPEATABLE or endpoint.startswith(_REPEATABLE_PREFIXES)


def makes_message(endpoint: str) -> bool:
    """Tell whether a call puts a new message in a chat (what the per-chat spacing counts)."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or endpoint in (
        "copyMessage",
        "forwardMessage",
    )


def should_retry(endpoint: str, error: Exception) -> bool:
    """Decide whether a failed call is worth another try."""
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return False
    if isinstance(error, TimedOut):
        return is_repeatable(endpoint)
    return True


@dataclass
class _ChatLine:
    """One chat's spacing (a token bucket kept as the time it is full again) and 429 pause."""

    full_at: float = 0.0
    paused_until: float = 0.0


class RetryingRateLimiter(AIORateLimiter):
    """Rate limits per bot and per chat, 429 pauses per chat, short retries after 5xx."""

    def __init__(
        self,
        *,
        overall_max_rate: float,
        chat_max_rate: float = DEFAULT_CHAT_RATE,
        chat_burst: int = DEFAULT_CHAT_BURST,
        max_retries: int = 3,
        delays: Sequence[float] = DEFAULT_DELAYS,
    ) -> None:
        # One token every 1/rate seconds, not `rate` tokens a second: aiolimiter's bucket
        # holds a whole period's worth, so after any pause a second's worth went out at
        # once on top of the steady rate, more than Telegram's 30 a second, and a 429.
        super().__init__(
            overall_max_rate=1, overall_time_period=1 / overall_max_rate, max_retries=max_retries
        )
        self.delays = tuple(delays)
        # chat_max_rate 0: no per-chat spacing (429 pauses stay per chat).
        self._chat_interval = 1 / chat_max_rate if chat_max_rate > 0 else 0.0
        self._chat_slack = (max(chat_burst, 1) - 1) * self._chat_interval
        self._chats: dict[Chat, _ChatLine] = {}
        self._prune_at = _PRUNE_AT
        self._all_paused_until = 0.0
        self._recent_429s: deque[tuple[float, Chat]] = deque()

    def chat_paused(self, chat_id: Chat) -> bool:
        """Whether a 429 for this chat is still being waited out."""
        line = self._chats.get(chat_id)
        return line is not None and line.paused_until > time.monotonic()

    async def _run(
        self,
        chat: Chat | None,
        endpoint: str,
        data: dict[str, Any],
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """Wait for the chat's turn and an overall token, then make the call once.

        A token is taken only while no pause is on, so a pause never ends in a burst:
        PTB's own version waits for the pause after taking the tokens, and every request
        that took one during the pause went out together when it ended.
        """
        if data.get("allow_paid_broadcast", False):
            async with self._apb_limiter:
                await self._turn(chat, spaced=False)
                return await callback(*args, **kwargs)
        is_group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
        group_context = (
            self._get_group_limiter(chat)
            if chat is not None and is_group and self._group_max_rate
            else contextlib.nullcontext()
        )
        spaced = chat is not None and makes_message(endpoint)
        async with group_context:
            while True:
                await self._turn(chat, spaced=spaced)
                if chat is None or self._base_limiter is None:
                    return await callback(*args, **kwargs)
                async with self._base_limiter:
                    if self._free(chat):
                        return await callback(*args, **kwargs)
                # A pause began while this request waited for its token: wait it out.
                spaced = False  # its place in the chat's line is kept

    async def _turn(self, chat: Chat | None, *, spaced: bool) -> None:
        """Wait out the pauses that cover this chat and, for a new message, its spacing."""
        while True:
            now = time.monotonic()
            ready = self._all_paused_until
            line = self._chats.get(chat) if chat is not None else None
            if line is not None:
                ready = max(ready, line.paused_until)
                if spaced:
                    ready = max(ready, line.full_at - self._chat_slack)
            if ready <= now:
                break
            await asyncio.sleep(ready - now)
        if spaced and chat is not None and self._chat_interval:
            line = self._line(chat, now)
            line.full_at = max(line.full_at, now) + self._chat_interval

    def _free(self, chat: Chat) -> bool:
        now = time.monotonic()
        line = self._chats.get(chat)
        return self._all_paused_until <= now and (line is None or line.paused_until <= now)

    def _line(self, chat: Chat, now: float) -> _ChatLine:
        line = self._chats.get(chat)
        if line is None:
            if len(self._chats) >= self._prune_at:
                # Forget chats whose bucket is full and that are not paused: they start
                # afresh just the same. Memory then follows the busy chats, not all users.
                self._chats = {
                    key: kept
                    for key, kept in self._chats.items()
                    if kept.full_at > now or kept.paused_until > now
                }
                self._prune_at = max(_PRUNE_AT, 2 * len(self._chats))
            line = self._chats[chat] = _ChatLine()
        return line

    def _pause(self, chat: Chat | None, seconds: float) -> None:
        """After a 429: pause the chat it came from, or everyone when it was the bot's budget."""
        now = time.monotonic()
        until = now + seconds
        recent = self._recent_429s
        while recent and recent[0][0] <= now - 1.0:
            recent.popleft()
        if chat is not None:
            recent.append((now, chat))
        if chat is None or len({key for _, key in recent}) >= OVERALL_FLOOD_CHATS:
            log.info("flood control: every request waits %.1f s", seconds)
            self._all_paused_until = max(self._all_paused_until, until)
            return
        log.info("flood control: one chat waits %.1f s", seconds)
        line = self._line(chat, now)
        line.paused_until = max(line.paused_until, until)
        # After the pause, one message goes and the chat's spacing starts from there.
        line.full_at = max(line.full_at, until + self._chat_slack)

    async def _limited(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """PTB's `AIORateLimiter.process_request`, with a 429 pausing only the chat it named."""
        max_retries = rate_limit_args or self._max_retries
        chat = _chat_key(data.get("chat_id"))
        attempt = 0
        while True:
            try:
                return await self._run(chat, endpoint, data, callback, args, kwargs)
            except RetryAfter as error:
                if attempt >= max_retries:
                    log.warning("%s: still 429 after %d retries", endpoint, max_retries)
                    raise
                attempt += 1
                # _retry_after: the seconds as a timedelta, as PTB's own limiter reads them.
                self._pause(chat, error._retry_after.total_seconds() + 0.1)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Run the call through the rate limiter, retrying passing failures a few times."""
        for attempt, delay in enumerate((*self.delays, None)):
            try:
                return await self._limited(callback, args, kwargs, endpoint, data, rate_limit_args)
            except Exception as error:
                if delay is None or not should_retry(endpoint, error):
                    raise
                log.warning(
                    "%s failed (%s); retry %d in %.1f s",
                    endpoint,
                    type(error).__name__,
                    attempt + 1,
                    delay,
                )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _chat_key(chat_id: object) -> Chat | None:
    """The chat a call names: an id, or a channel's @username."""
    if isinstance(chat_id, bool) or chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    with contextlib.suppress(ValueError):
        return int(text)
    return text
