"""The shared world both sides act on: chats, the update queue, files, calls and faults."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.state import (
    JSON,
    ApiCall,
    CallbackAnswer,
    CallbackQuery,
    ChatState,
    FakeUser,
    Fault,
    StoredFile,
    StoredMessage,
)

DEFAULT_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "my_chat_member",
        "inline_query",
        "chosen_inline_result",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "chat_join_request",
    }
)


@dataclass
class Activity:
    """What settle() watches: idle polls, waiting polls, calls in flight, last activity."""

    idle_polls: int = 0
    polling: int = 0
    inflight: int = 0
    last: float = field(default_factory=time.monotonic)

    def bump(self) -> None:
        """Note that something happened just now."""
        self.last = time.monotonic()

    def delivered(self) -> None:
        """Note that getUpdates handed updates to the bot."""
        self.bump()

    def idle_poll(self) -> None:
        """Note that the bot polled and nothing was pending."""
        self.idle_polls += 1


def _opaque(prefix: str, raw: str) -> str:
    return prefix + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Telegram's file ids open with their file type: photos "AgAC", animations "CgAC", ...
FILE_ID_PREFIXES = {
    "photo": "AgACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "thumbnail": "AAMCAgADGQEAAg",
}


class World:
    """State shared by the Bot API side and the user side, plus change notification."""

    def __init__(
        self,
        *,
        bot_id: int = 1,
        bot_first_name: str = "Lumbar",
        bot_username: str = "lumbar_test_bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self._clock = clock
        self.clock_offset = 0.0
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self.pending: list[JSON] = []
        self.all_updates: list[JSON] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATES
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.profile: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.activity = Activity()
        self.calls: list[ApiCall] = []
        self.faults: list[Fault] = []
        self.uploads = 0
        self.version = 0
        self._next_update_id = 1
        self._next_file = 1
        self._next_query = 1
        self._changed = asyncio.Event()
        self._marks: dict[int, int] = {}

    # --- time and change notification -------------------------------------------------
    def now(self) -> float:
        """Return the server clock (the injected clock plus any advance)."""
        return self._clock() + self.clock_offset

    def date(self) -> int:
        """Return the server clock as unix seconds, as message dates are."""
        return int(self.now())

    def advance_clock(self, seconds: float) -> None:
        """Move the server clock forward (ages callback queries, dates messages later)."""
        self.clock_offset += seconds
        self.touch()

    def touch(self) -> None:
        """Record that something changed and wake everyone waiting for a change."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def next_change(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the state changes or ``timeout`` passes; tell whether it changed."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # --- identity -----------------------------------------------------------------------
    def bot_json(self) -> JSON:
        """Return the bot's User object as it appears in messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def me_json(self) -> JSON:
        """Return the answer to getMe."""
        return {
            **self.bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- chats and messages -------------------------------------------------------------
    def add_message(
        self,
        chat: ChatState,
        *,
        from_bot: bool,
        sender: JSON | None,
        content: JSON,
        reply_markup: JSON | None = None,
        reply_to: int | None = None,
        sender_chat: JSON | None = None,
        silent: bool = False,
    ) -> StoredMessage:
        """Append a message to a chat with the chat's next message_id."""
        message = StoredMessage(
            message_id=chat.next_message_id,
            chat_id=chat.id,
            chat=chat.to_json(),
            date=self.date(),
            from_bot=from_bot,
            sender=sender,
            content=content,
            reply_markup=reply_markup,
            sender_chat=sender_chat,
            reply_to=reply_to,
            silent=silent,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.touch()
        return message

    def message_json(self, message: StoredMessage, *, nested: bool = False) -> JSON:
        """Return the Bot API Message object for a stored message's current state."""
        data: JSON = {"message_id": message.message_id}
        if message.sender is not None:
            data["from"] = message.sender
        if message.sender_chat is not None:
            data["sender_chat"] = message.sender_chat
        data["chat"] = message.chat
        data["date"] = message.date
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_to is not None and not nested:
            chat = self.chats.get(message.chat_id)
            original = chat.messages.get(message.reply_to) if chat else None
            if original is not None and not original.deleted:
                data["reply_to_message"] = self.message_json(original, nested=True)
        data.update(message.content)
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    # --- updates ------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: JSON) -> JSON:
        """Queue an Update of ``kind`` for getUpdates, unless allowed_updates filters it."""
        update: JSON = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.all_updates.append(update)
        if kind in self.allowed_updates:
            self.pending.append(update)
        self.activity.bump()
        self.touch()
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (negative: keep only the last ``-offset``)."""
        before = len(self.pending)
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if len(self.pending) != before:
            self.touch()

    def set_allowed_updates(self, allowed: list[str]) -> None:
        """Remember allowed_updates like Telegram does (an empty list means the default)."""
        self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATES
        self.pending = [u for u in self.pending if self._kind(u) in self.allowed_updates]

    @staticmethod
    def _kind(update: JSON) -> str:
        return next(key for key in update if key != "update_id")

    # --- files --------------------------------------------------------------------------
    def new_file_ids(self, variant: int = 0, kind: str = "photo") -> tuple[str, str, int]:
        """Mint a fresh (file_id, file_unique_id, number) pair that looks like Telegram's."""
        number = self._next_file
        self._next_file += 1
        prefix = FILE_ID_PREFIXES.get(kind, FILE_ID_PREFIXES["document"])
        file_id = _opaque(prefix, f"emu:{number}:{variant}:{self.bot_id}")
        unique = _opaque("AQAD", f"{number}:{variant}")
        return file_id, unique, number

    def add_file(self, stored: StoredFile) -> StoredFile:
        """Register a file under its file_id."""
        self.files[stored.file_id] = stored
        self.touch()
        return stored

    def new_query_id(self) -> str:
        """Mint a callback query id (a long decimal string like Telegram's)."""
        number = self._next_query
        self._next_query += 1
        return str(4_200_000_000_000_000_000 + number * 7919)

    # --- marks for "new bot messages" ---------------------------------------------------
    def bot_message_count(self, chat_id: int) -> int:
        """Count the bot's messages in a chat, deleted ones included."""
        chat = self.chats.get(chat_id)
        return sum(1 for m in chat.messages.values() if m.from_bot) if chat else 0

    def set_mark(self, chat_id: int) -> None:
        """Remember how many bot messages a chat had, to count new ones later."""
        self._marks[chat_id] = self.bot_message_count(chat_id)

    def mark_of(self, chat_id: int) -> int:
        """Return the bot message count at the last mark of this chat."""
        return self._marks.get(chat_id, 0)

    def describe(self) -> dict[str, Any]:
        """Summarise the world for the control API."""
        return {
            "bot": self.me_json(),
            "users": [u.to_json() for u in self.users.values()],
            "chats": [
                {
                    **c.to_json(),
                    "blocked": c.blocked,
                    "bot_status": c.bot_status,
                    "messages": len(c.messages),
                }
                for c in self.chats.values()
            ],
            "pending_updates": len(self.pending),
            "uploads": self.uploads,
            "calls": len(self.calls),
            "version": self.version,
            "now": self.now(),
        }
