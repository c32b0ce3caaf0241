"""The project's Bot API emulator with stopwatches: update hand-over, first answer, uploads.

"The update's arrival" is when getUpdates hands the update to the bot; "the bot's answer"
is the bot's first API call for that update's chat (answerCallbackQuery, a message, an
edit). Simulated users act one update at a time per chat, so the first call for a chat
after a hand-over belongs to that update.

"Press → next card" is from the simulated user's press (``Stopwatch.acted``) to the
arrival of the chat-bound call that shows the next buttons in that chat, whichever method
it is: a new message (sendPhoto, sendMessage) or an edit of the pressed card in place
(editMessageMedia, editMessageCaption). Nudges (``n1:`` buttons) are not cards: they are
counted per chat instead (``Stopwatch.nudge_chats``).

Flood control: ``telegram_limits()`` is Telegram's (30 messages a second for the bot, one
a second in a chat after a burst of 4, 20 a minute in a group, 429 with retry_after beyond;
answerCallbackQuery is not counted); ``telegram_limits(paid=True)`` lifts the bot's overall
limit to the paid-broadcast 1,000 a second and keeps the per-chat ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import TOKEN
from bot.emulator import BotApiServer
from bot.emulator.botapi import BotApi
from bot.emulator.errors import ApiError
from bot.emulator.flood import FloodControl, counts_against_flood
from bot.emulator.params import Params
from bot.emulator.state import ChatState, FakeUser

Buttons = list[list[tuple[str, str | None]]]
KeyboardHook = Callable[[int, int, Buttons], None]
ChatHook = Callable[[int], None]
NUDGE_PREFIX = "n1"  # the callback prefix of nudge buttons (bot.callbacks.NudgeAction)
PAID_BROADCAST_RATE = 1000  # messages a second with paid broadcasts (Telegram's Bot FAQ)


def telegram_limits(*, paid: bool = False) -> FloodControl:
    """Telegram's flood limits; ``paid``: the overall limit of paid broadcasts."""
    return FloodControl(overall=PAID_BROADCAST_RATE) if paid else FloodControl()


@dataclass
class Sample:
    """One answered update: when the answer came, what kind of update, and the wait."""

    at: float
    kind: str  # "press" or "command"
    latency: float


@dataclass
class Stopwatch:
    """What the timed emulator measured."""

    samples: list[Sample] = field(default_factory=list)
    waiting: dict[int, tuple[str, float]] = field(default_factory=dict)
    methods: Counter[str] = field(default_factory=Counter)
    keyboards: Counter[str] = field(default_factory=Counter)  # by callback prefix ("n1": nudges)
    upload_bytes: int = 0
    uploads: int = 0
    refused_429: int = 0
    refused_same_chat: int = 0  # of those, refused by the chat's (or group's) own limit
    reuploads: int = 0  # the same bytes uploaded again
    reupload_bytes: int = 0
    sends: deque[tuple[float, int | None]] = field(default_factory=deque)
    acted: dict[int, float] = field(default_factory=dict)  # chat -> the user's press, waiting
    next_cards: list[float] = field(default_factory=list)  # press -> next card, seconds
    digests: set[str] = field(default_factory=set)  # kept across reset()
    nudge_chats: Counter[int] = field(default_factory=Counter)  # kept across reset()
    nudge_last_at: float = 0.0  # when the last nudge arrived (perf_counter); kept

    def reset(self) -> None:
        """Forget everything measured so far (between warm-up and measurement)."""
        self.samples.clear()
        self.next_cards.clear()
        self.methods.clear()
        self.keyboards.clear()
        self.upload_bytes = self.uploads = self.refused_429 = self.refused_same_chat = 0
        self.reuploads = self.reupload_bytes = 0
        self.sends.clear()


def _chat_of_update(update: dict[str, Any]) -> tuple[str, int | None]:
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        chat = (message.get("chat") or {}).get("id", query["from"]["id"])
        return "press", int(chat)
    message = update.get("message")
    if message is not None:
        return "command", int(message["chat"]["id"])
    return "other", None


class TimedApi(BotApi):
    """BotApi that timestamps hand-overs and first answers and reports keyboards."""

    def __init__(self, server: TimedServer, stopping: asyncio.Event) -> None:
        super().__init__(server, stopping)
        self.server = server
        self._last_update_id = 0

    async def m_get_updates(self, params: Params) -> list[dict[str, Any]]:
        """Hand updates over, noting when each is first handed over."""
        if not self.server.polled.is_set():
            self.server.first_poll_at = time.perf_counter()
            self.server.polled.set()
        updates = await super().m_get_updates(params)
        now = time.perf_counter()
        watch = self.server.watch
        for update in updates:
            update_id = int(update["update_id"])
            if update_id <= self._last_update_id:
                continue
            self._last_update_id = update_id
            kind, chat = _chat_of_update(update)
            if chat is not None:
                watch.waiting[chat] = (kind, now)
        return updates

    def _chat_of_call(self, name: str, params: Params) -> int | None:
        if name == "answercallbackquery":
            query = self.server.callback_queries.get(params.get_str("callback_query_id") or "")
            return query.chat_id if query is not None else None
        try:
            return params.get_int("chat_id")
        except ApiError:
            return None

    async def call(self, method: str, params: Params) -> Any:
        """Run a method; time the first answer per hand-over; report new keyboards."""
        name = method.lower()
        if name == "getupdates":
            return await super().call(method, params)
        now = time.perf_counter()
        watch = self.server.watch
        watch.methods[name] += 1
        chat = self._chat_of_call(name, params)
        if chat is not None:
            pending = watch.waiting.pop(chat, None)
            if pending is not None:
                watch.samples.append(Sample(now, pending[0], now - pending[1]))
        for upload in params.files.values():
            watch.uploads += 1
            watch.upload_bytes += len(upload.data)
            digest = hashlib.sha256(upload.data).hexdigest()
            if digest in watch.digests:
                watch.reuploads += 1
                watch.reupload_bytes += len(upload.data)
            watch.digests.add(digest)
        result = await super().call(method, params)
        server = self.server
        markup = (result.get("reply_markup") or {}) if isinstance(result, dict) else {}
        rows = markup.get("inline_keyboard")
        if rows:
            buttons = [[(str(b["text"]), b.get("callback_data")) for b in row] for row in rows]
            first = next((data for row in buttons for _, data in row if data), "")
            prefix = first.split(":", 1)[0]
            watch.keyboards[prefix] += 1
            shown_in = int(result["chat"]["id"])
            if prefix == NUDGE_PREFIX:
                watch.nudge_chats[shown_in] += 1
                watch.nudge_last_at = now
            else:
                pressed = watch.acted.pop(shown_in, None)
                if pressed is not None:
                    watch.next_cards.append(now - pressed)
            if server.on_keyboard is not None:
                server.on_keyboard(shown_in, int(result["message_id"]), buttons)
        if name == "answercallbackquery" and chat is not None and server.on_answer is not None:
            server.on_answer(chat)
        return result


class TimedServer(BotApiServer):
    """The emulator, timed; optionally forgets its call log so long runs stay small."""

    def __init__(self, *, keep_calls: bool = True, flood: FloodControl | None = None) -> None:
        super().__init__(token=TOKEN, flood=flood)
        self.api = TimedApi(self, self.stopping)
        self.watch = Stopwatch()
        self.keep_calls = keep_calls
        self.on_keyboard: KeyboardHook | None = None
        self.on_answer: ChatHook | None = None
        self.polled = asyncio.Event()
        self.first_poll_at = 0.0

    def add_chats(self, user_ids: range | list[int]) -> None:
        """Open private chats for users who never wrote (nudge targets) in one go."""
        for user_id in user_ids:
            fake = FakeUser(user_id, first_name="User")
            self.users[user_id] = fake
            self.chats[user_id] = ChatState(id=user_id, type="private", user=fake)
        self.touch()

    def _check_flood(self, method: str, params: Params) -> None:
        try:
            super()._check_flood(method, params)
        except ApiError:
            self.watch.refused_429 += 1
            if self.flood is not None and self.flood.refused_by in ("chat", "group"):
                self.watch.refused_same_chat += 1
            raise
        if counts_against_flood(method):
            self.watch.sends.append((self.now(), self._chat_of(params)))
        if not self.keep_calls and len(self.calls) > 5000:
            del self.calls[:-100]


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    """The most events inside any ``window``-second stretch."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamps[start] <= stamp - window:
            start += 1
        best = max(best, end - start + 1)
    return best
