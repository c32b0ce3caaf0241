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

People first: the overall budget has two lanes. A call made for a person's update (the
default) takes the next token before any background call; background calls (nudges,
made inside ``background_calls()``) take what is left, and while people are pressing
(a person's call waited or went within the last second) no more than
``background_share`` of the budget, so a press never queues behind a morning's nudges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextvars import ContextVar
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
# Share of the overall budget background calls may take while people are pressing.
DEFAULT_BACKGROUND_SHARE = 0.5
# Seconds after a person's call during which people count as pressing.
PEOPLE_ACTIVE_SECONDS = 1.0

_background: ContextVar[bool] = ContextVar("lumbar_background_call", default=False)

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


@contextlib.contextmanager
def background_calls() -> Iterator[None]:
    """Mark the Bot API calls made inside as background (nudges): they yield to people's."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    """Whether calls made here are background calls (inside ``background_calls()``)."""
    return _background.get()


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


class _Lanes:
    """The overall budget: one token every ``1/rate`` seconds, people's calls served first.

    Waiting calls queue in two lines. When a token is due, the first person in line takes
    it; a background call takes it only when no person waits and, while people are
    pressing, only within ``rate * share`` a second (a bucket of two, so a token a person
    took just before does not cost the background its turn). Tokens nobody takes are not
    saved up, so calls never go in a burst after a quiet spell.
    """

    def __init__(self, rate: float, background_share: float) -> None:
        self.interval = 1 / rate
        self.background_interval = self.interval / background_share
        self._people: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._next_at = 0.0  # when the next token is due
        # The background's share as a bucket kept as the time it is empty again: a token
        # may go while that is at most one interval ahead.
        self._background_full_at = 0.0
        self._people_until = 0.0  # people count as pressing until then
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, *, background: bool) -> None:
        """Wait for this call's token."""
        loop = asyncio.get_running_loop()
        if not self._people and not self._background and self._free(loop.time(), background):
            self._take(loop.time(), background=background)
            return
        waiter: asyncio.Future[None] = loop.create_future()
        (self._background if background else self._people).append(waiter)
        self._grant()
        try:
            await waiter
        except asyncio.CancelledError:
            self._grant()  # a cancelled head of the line must not hold the others up
            raise

    def _free(self, now: float, background: bool) -> bool:
        if self._next_at > now:
            return False
        return not background or now >= self._people_until or now >= self._background_due()

    def _background_due(self) -> float:
        return self._background_full_at - self.background_interval

    def _take(self, now: float, *, background: bool) -> None:
        # A timer that fires a little late does not lower the rate (a quarter token of
        # slack), and a long quiet spell saves nothing up.
        self._next_at = max(self._next_at, now - self.interval / 4) + self.interval
        if background:
            # Counted only while people press: a morning's nudges sent alone at the full
            # rate must not leave the share used up for the next minutes.
            start = now if now >= self._people_until else max(self._background_full_at, now)
            self._background_full_at = start + self.background_interval
        else:
            self._people_until = now + PEOPLE_ACTIVE_SECONDS

    def _grant(self) -> None:
        """Hand out every token due now, people first; set a timer for the next one."""
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while True:
            for line in (self._people, self._background):
                while line and line[0].done():
                    line.popleft()
            if not self._people and not self._background:
                return
            background = not self._people
            now = loop.time()
            if not self._free(now, background):
                at = self._next_at
                if background:
                    at = max(at, min(self._background_due(), self._people_until))
                self._timer = loop.call_at(at, self._grant)
                return
            (self._background if background else self._people).popleft().set_result(None)
            self._take(now, background=background)


class RetryingRateLimiter(AIORateLimiter):
    """Rate limits per bot and per chat, people before nudges, 429 pauses per chat, 5xx retries."""

    def __init__(
        self,
        *,
        overall_max_rate: float,
        chat_max_rate: float = DEFAULT_CHAT_RATE,
        chat_burst: int = DEFAULT_CHAT_BURST,
        background_share: float = DEFAULT_BACKGROUND_SHARE,
        max_retries: int = 3,
        delays: Sequence[float] = DEFAULT_DELAYS,
    ) -> None:
        # The overall budget is our own (_Lanes), not aiolimiter's: its bucket holds a
        # whole period's worth, so after any pause a second's worth went out at once on
        # top of the steady rate (a 429), and it has one line for everyone.
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        if not 0 < background_share <= 1:
            raise ValueError("background_share must be above 0 and at most 1")
        self._lanes = _Lanes(overall_max_rate, background_share)
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
        *,
        background: bool,
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
                if chat is None:
                    return await callback(*args, **kwargs)
                await self._lanes.acquire(background=background)
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
        background = _background.get()
        attempt = 0
        while True:
            try:
                return await self._run(
                    chat, endpoint, data, callback, args, kwargs, background=background
                )
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
