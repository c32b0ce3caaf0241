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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Seconds to wait before each retry; three retries in about 3.5 s in all.
DEFAULT_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
_REPEATABLE_PREFIXES = ("get", "edit", "delete", "set", "answer", "pin", "unpin", "close")
_REPEATABLE = frozenset({"sendChatAction", "logOut"})

Result = bool | dict[str, Any] | list[dict[str, Any]]


def is_repeatable(endpoint: str) -> bool:
    """Tell whether a second identical call is harmless even if the first one took effect."""
    return endpoint in _REPEATABLE or endpoint.startswith(_REPEATABLE_PREFIXES)


def should_retry(endpoint: str, error: Exception) -> bool:
    """Decide whether a failed call is worth another try."""
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return False
    if isinstance(error, TimedOut):
        return is_repeatable(endpoint)
    return True


class RetryingRateLimiter(AIORateLimiter):
    """`AIORateLimiter` (which handles 429) plus short retries after 5xx and network errors."""

    def __init__(
        self,
        *,
        overall_max_rate: float,
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

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """Take a rate token only while no 429 pause is on, so a pause never ends in a burst.

        PTB's own version waits for the pause after taking the tokens: every request that
        took one during the pause went out together when it ended, and drew the next 429.
        Requests that need no overall token (answers, paid broadcasts) keep PTB's path.
        """
        base = self._base_limiter
        if not chat or base is None or allow_paid_broadcast:
            return await super()._run_request(
                chat, group, allow_paid_broadcast, callback, args, kwargs
            )
        group_context = (
            self._get_group_limiter(group)
            if group and self._group_max_rate
            else contextlib.nullcontext()
        )
        async with group_context:
            while True:
                await self._retry_after_event.wait()
                async with base:
                    if self._retry_after_event.is_set():
                        return await callback(*args, **kwargs)
                # A 429 pause began while this request waited for its token: wait it out.

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
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
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
