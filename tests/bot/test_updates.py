"""Per-chat ordering: one chat's updates never overlap; different chats run together."""

from __future__ import annotations

import asyncio

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User

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


def typed(update_id: int, chat_id: int, text: str) -> Update:
    """A new text message, with the bot_command entity Telegram gives a leading /command."""
    chat = Chat(chat_id, "private")
    user = User(chat_id, "U", False)
    word = text.split()[0]
    entities = [MessageEntity("bot_command", 0, len(word))] if word.startswith("/") else []
    message = Message(update_id, None, chat, from_user=user, text=text, entities=entities)  # type: ignore[arg-type]
    return Update(update_id, message=message)


def press(update_id: int, chat_id: int, data: str) -> Update:
    user = User(chat_id, "U", False)
    return Update(update_id, callback_query=CallbackQuery(str(update_id), user, "c", data=data))


async def test_a_command_already_waiting_in_its_chat_is_not_queued_again() -> None:
    processor = PerChatUpdateProcessor(64)
    release = asyncio.Event()
    handled: dict[int, list[str]] = {}

    async def handle(chat_id: int, what: str) -> None:
        handled.setdefault(chat_id, []).append(what)
        if what == "/start":
            await release.wait()

    waiting = [
        (7, "/today", typed(2, 7, "/today")),
        (7, "/today", typed(3, 7, "/today")),  # the same command is already waiting: dropped
        (7, "today", typed(4, 7, "today")),  # not a command
        (7, "/today please", typed(5, 7, "/today please")),  # another text
        (7, "press 6", press(6, 7, "s1:done:cat_cow")),
        (7, "press 7", press(7, 7, "s1:done:cat_cow")),  # presses always go through
        (8, "/today", typed(8, 8, "/today")),  # another chat
        (7, "/today", typed(9, 7, "/today")),  # dropped too
    ]
    async with processor:
        start = processor.process_update(typed(1, 7, "/start"), handle(7, "/start"))
        tasks = [asyncio.create_task(start)]
        await asyncio.sleep(0.01)  # /start is running and holds chat 7
        for chat_id, what, queued in waiting:
            work = processor.process_update(queued, handle(chat_id, what))
            tasks.append(asyncio.create_task(work))
        await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(*tasks)
    assert handled[7] == ["/start", "/today", "today", "/today please", "press 6", "press 7"]
    assert handled[8] == ["/today"]
    assert not processor.busy(7)
    assert processor._queued_commands == set()


async def test_a_repeat_sent_after_the_waiting_command_started_gets_its_own_turn() -> None:
    processor = PerChatUpdateProcessor(64)
    gates = [asyncio.Event() for _ in range(3)]
    started: list[int] = []

    async def handle(n: int) -> None:
        started.append(n)
        await gates[n].wait()

    async with processor:
        first = asyncio.create_task(processor.process_update(typed(1, 7, "/help"), handle(0)))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(processor.process_update(typed(2, 7, "/help"), handle(1)))
        await asyncio.sleep(0.01)
        gates[0].set()
        await first
        await asyncio.sleep(0.01)  # the second /help is running now, not waiting
        third = asyncio.create_task(processor.process_update(typed(3, 7, "/help"), handle(2)))
        await asyncio.sleep(0.01)
        gates[1].set()
        gates[2].set()
        await asyncio.gather(second, third)
    assert started == [0, 1, 2]
