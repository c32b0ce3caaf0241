"""Per-chat ordering: one chat's updates never overlap; different chats run together."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.updates import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    user = User(chat_id, "U", False)
    return Update(update_id, message=Message(update_id, None, chat, from_user=user))  # type: ignore[arg-type]


async def test_same_chat_serialised_other_chats_concurrent() -> None:
    processor = PerChatUpdateProcessor(16)
    running: dict[int, int] = {}
    overlap = {"same": 0, "cross": 0}

    async def work(chat_id: int) -> None:
        running[chat_id] = running.get(chat_id, 0) + 1
        if running[chat_id] > 1:
            overlap["same"] += 1
        if len([c for c, n in running.items() if n]) > 1:
            overlap["cross"] += 1
        await asyncio.sleep(0.01)
        running[chat_id] -= 1

    async with processor:
        await asyncio.gather(
            *(processor.process_update(update(i, 1 + i % 2), work(1 + i % 2)) for i in range(20))
        )
    assert overlap["same"] == 0
    assert overlap["cross"] > 0
    assert processor._locks == {}  # nothing kept per chat afterwards


async def test_a_chat_is_busy_until_its_last_update_is_handled() -> None:
    processor = PerChatUpdateProcessor(16)
    release = asyncio.Event()

    async def slow_write() -> None:
        await release.wait()

    async with processor:
        task = asyncio.create_task(processor.process_update(update(1, 7), slow_write()))
        await asyncio.sleep(0.01)
        assert processor.busy(7) and not processor.busy(8)
        release.set()
        await task
    assert not processor.busy(7)
