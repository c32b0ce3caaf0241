"""Update processing: concurrent across chats, strictly in order within one chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from telegram import MessageEntity, Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently but never two of the same chat at once.

    A double press or two quick answers from one user then see each other's
    writes, while one slow user never holds up the others. Locks exist only
    while a chat has updates in flight, so memory does not grow with users.

    A typed command that is already waiting for its turn in the same chat is not
    queued twice (see ``_in_chat_order``).
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        on_handled: Callable[[object, float], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._queued_commands: set[tuple[int, int, str]] = set()
        self._on_handled = on_handled  # (update, seconds waited and handled): the metrics
        # The highest update id handled so far: a caller that sent an update knows it was
        # handled, without guessing from a quiet spell (the test harness, the playground).
        self.handled_through = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        started = time.perf_counter()
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            if isinstance(update, Update):
                self.handled_through = max(self.handled_through, update.update_id)
            if self._on_handled is not None:
                self._on_handled(update, time.perf_counter() - started)

    async def _in_chat_order(self, update: object, coroutine: Awaitable[object]) -> None:
        """Handle the update after the chat's earlier ones; drop a command already waiting.

        One user sending ``/today`` fifty times would otherwise get fifty answers, one
        after the other, and fifty times the messages Telegram allows a chat, which
        draws 429s. The same command text from the same sender that is already queued
        behind the chat's running update will give the same answer: the repeat is
        dropped (and counts as handled). A command that is running does not count, so
        one sent after it started gets its own answer. Button presses, other texts and
        anything that is not a typed command always go through.
        """
        chat_id = _chat_id(update)
        if chat_id is None:
            await coroutine
            return
        command = _typed_command(update)
        if command is not None and command in self._queued_commands:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to undo
            return
        if command is not None:
            self._queued_commands.add(command)
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                if command is not None:
                    self._queued_commands.discard(command)
                    command = None  # running now: a repeat from here on gets its own turn
                await coroutine
        finally:
            if command is not None:  # cancelled while it waited
                self._queued_commands.discard(command)
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:
                del self._waiting[chat_id]
                del self._locks[chat_id]

    def busy(self, chat_id: int) -> bool:
        """Whether an update of this chat is being handled or waits for its turn.

        The only signal that a handler has finished even when its last step was a
        database write rather than a Bot API call (the test harness waits on it).
        """
        return chat_id in self._waiting

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


def _typed_command(update: object) -> tuple[int, int, str] | None:
    """A new message that is a command (``/today``) as (chat, sender, text); else None."""
    if not isinstance(update, Update) or update.message is None:
        return None
    message = update.message
    entities = message.entities
    if (
        message.from_user is None
        or not message.text
        or not entities
        or entities[0].type != MessageEntity.BOT_COMMAND
        or entities[0].offset != 0
    ):
        return None
    return message.chat.id, message.from_user.id, message.text
