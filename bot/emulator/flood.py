"""Optional flood control like Telegram's: too many messages answer 429 retry_after.

Telegram's Bot FAQ names three limits, all approximate: about 30 messages a second for
the whole bot; about one message a second in one chat, with short bursts above that
allowed before 429 answers begin; and no more than 20 messages a minute in one group.
Modelled here as:

- ``overall``: sends and edits for the whole bot in any ``window`` (a sliding window);
- ``per_chat`` / ``chat_burst``: new messages in one chat, ``per_chat`` per ``window``
  steadily, and up to ``chat_burst`` at once after a quiet spell (a token bucket); edits
  count toward the overall limit only;
- ``per_group``: new messages in one group (a chat id below zero) in any
  ``group_window`` (a sliding window), on top of the chat's own bucket.

``sendChatAction`` and ``answerCallbackQuery`` count nowhere. ``None`` turns a limit off.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

Limit = Literal["overall", "chat", "group"]
_PRUNE_AT = 4096  # chats remembered before the ones back at a full bucket are forgotten


def counts_against_flood(method: str) -> bool:
    """Tell whether a method is a send or an edit (the calls the overall limit counts)."""
    return makes_message(method) or method.startswith("editMessage")


def makes_message(method: str) -> bool:
    """Tell whether a method puts a new message in a chat (what the per-chat limits count)."""
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "forwardMessage",
    )


@dataclass
class FloodControl:
    """Telegram's flood limits: the bot overall, one chat, one group (see the module doc)."""

    overall: int | None = 30
    per_chat: int | None = 1
    chat_burst: int = 4
    per_group: int | None = 20
    window: float = 1.0
    group_window: float = 60.0
    refused_by: Limit | None = field(default=None, init=False)  # the last refusal's limit
    _all: deque[float] = field(default_factory=deque, init=False)
    _chats: dict[int, float] = field(default_factory=dict, init=False)  # chat -> bucket full at
    _groups: dict[int, deque[float]] = field(default_factory=dict, init=False)
    _prune_at: int = field(default=_PRUNE_AT, init=False)

    @staticmethod
    def _window_wait(stamps: deque[float], limit: int | None, window: float, now: float) -> float:
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if limit is None or len(stamps) < limit:
            return 0.0
        return stamps[0] + window - now

    def _chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until the chat's bucket holds a message again (0: it holds one now)."""
        if self.per_chat is None:
            return 0.0
        interval = self.window / self.per_chat
        full_at = self._chats.get(chat_id, now)
        return max(0.0, full_at - (max(self.chat_burst, 1) - 1) * interval - now)

    def admit(self, chat_id: int | None, now: float, *, message: bool = True) -> int:
        """Record a call and return 0, or the whole seconds to wait when over a limit.

        ``message``: the call puts a new message in ``chat_id`` (a send, not an edit).
        """
        waits: dict[Limit, float] = {
            "overall": self._window_wait(self._all, self.overall, self.window, now)
        }
        group: deque[float] | None = None
        if message and chat_id is not None:
            waits["chat"] = self._chat_wait(chat_id, now)
            if chat_id < 0:
                group = self._groups.setdefault(chat_id, deque())
                waits["group"] = self._window_wait(group, self.per_group, self.group_window, now)
        limit, wait = max(waits.items(), key=lambda item: item[1])
        if wait > 0:
            self.refused_by = limit
            return max(1, math.ceil(wait))
        self.refused_by = None
        self._all.append(now)
        if group is not None:
            group.append(now)
        if message and chat_id is not None and self.per_chat is not None:
            interval = self.window / self.per_chat
            self._chats[chat_id] = max(self._chats.get(chat_id, now), now) + interval
            self._forget_quiet_chats(now)
        return 0

    def _forget_quiet_chats(self, now: float) -> None:
        """Drop chats whose bucket is full again, so memory follows the busy chats only."""
        if len(self._chats) <= self._prune_at:
            return
        self._chats = {chat: full_at for chat, full_at in self._chats.items() if full_at > now}
        horizon = now - self.group_window
        self._groups = {
            chat: stamps for chat, stamps in self._groups.items() if stamps and stamps[-1] > horizon
        }
        self._prune_at = max(_PRUNE_AT, 2 * len(self._chats))
