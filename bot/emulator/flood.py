"""Optional flood control like Telegram's: too many sends per second answer 429 retry_after."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


def counts_against_flood(method: str) -> bool:
    """Tell whether a method is a send or an edit (the calls Telegram throttles)."""
    return (method.startswith("send") and method != "sendChatAction") or method.startswith(
        "editMessage"
    )


@dataclass
class FloodControl:
    """Sliding one-second windows: ``overall`` calls for the bot, ``per_chat`` for one chat."""

    overall: int | None = 30
    per_chat: int | None = None
    window: float = 1.0
    _all: deque[float] = field(default_factory=deque)
    _chats: dict[int, deque[float]] = field(default_factory=dict)

    def _wait(self, stamps: deque[float], limit: int | None, now: float) -> float:
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if limit is None or len(stamps) < limit:
            return 0.0
        return stamps[0] + self.window - now

    def admit(self, chat_id: int | None, now: float) -> int:
        """Record a call and return 0, or the whole seconds to wait when over a limit."""
        chat = self._chats.setdefault(chat_id, deque()) if chat_id is not None else deque()
        wait = max(self._wait(self._all, self.overall, now), self._wait(chat, self.per_chat, now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._all.append(now)
        if chat_id is not None:
            chat.append(now)
        return 0
