"""Forged input changes nothing: presses on someone else's message, odd callback data, zones.

A client can send any callback query: another chat's message, data no button carries,
no message at all. The bot acts only for the person who pressed, on messages of their
own private chat, and answers anything else as stale without logging an error. Zone
names are taken only when canonical (no ``W-SU``, ``EST5EDT``, ``Factory``...).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.emulator import FakeUser
from bot.emulator.state import CallbackQuery
from bot.updates import PerChatUpdateProcessor
from tests.faults.harness import seed_profile, texts
from tests.flows.conftest import CARD_KINDS, QUIET, Lumbar

STALE = "That button is from an earlier message."
FORGED_ZONES = ("localtime", "Factory", "EST5EDT", "W-SU")


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def answered(lumbar: Lumbar, query_id: str, *chats: int) -> str | None:
    """Wait for the press to be answered and every chat it touches to be idle; its toast."""
    server = lumbar.server
    await server.wait_for(lambda: query_id in server.callback_answers, timeout=10)
    processor = lumbar.app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    await server.wait_for(lambda: not any(processor.busy(c) for c in chats), timeout=10)
    await server.settle(quiet=QUIET)
    return server.callback_answers[query_id].text


def snapshot(lumbar: Lumbar, user: FakeUser) -> list[tuple[Any, ...]]:
    """Every message of a chat as it stands, edits and buttons included."""
    return [
        (m.message_id, m.text_or_caption, m.reply_markup, len(m.history), m.deleted)
        for m in lumbar.server.chat(user)
    ]


@pytest.mark.parametrize("data", ["m1:forget:yes", "m1:rem:off"])
async def test_a_press_forged_on_another_chats_message_changes_nothing(
    lumbar: Lumbar, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    ann, bob = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    for user in (ann, bob):
        await seed_profile(lumbar, user)
    await lumbar.send(ann, "/forget" if "forget" in data else "/reminders")
    target = lumbar.server.last_bot_message(ann)
    assert lumbar.server.buttons(target)
    await lumbar.send(bob, "/help")
    async with lumbar.services.transaction() as uow:
        before = [await uow.users.export(user.id) for user in (ann, bob)]
    chats = snapshot(lumbar, ann), snapshot(lumbar, bob)

    query_id = lumbar.server.press(bob, target.message_id, data, chat_id=ann.id, force=True)
    toast = await answered(lumbar, query_id, ann.id, bob.id)

    assert toast == STALE
    assert (snapshot(lumbar, ann), snapshot(lumbar, bob)) == chats  # nothing sent or edited
    async with lumbar.services.transaction() as uow:
        assert [await uow.users.export(user.id) for user in (ann, bob)] == before
    assert errors(caplog) == []


def press_inline(lumbar: Lumbar, user: FakeUser, data: str) -> str:
    """A press under an inline message: the query has no message and no chat."""
    server = lumbar.server
    query_id = server.new_query_id()
    server.callback_queries[query_id] = CallbackQuery(query_id, user.id, 0, 0, data, server.now())
    update = {
        "id": query_id,
        "from": user.to_json(),
        "inline_message_id": "AAAAAgAAAAEAAAAB",
        "chat_instance": "1",
        "data": data,
    }
    server.enqueue("callback_query", update)
    return query_id


@pytest.mark.parametrize("case", ["lone_surrogates", "reminders_on_a_card", "inline", "deleted"])
async def test_odd_callback_queries_are_answered_as_stale(
    lumbar: Lumbar, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = lumbar.server
    ann = lumbar.user(1001, "Ann")
    await seed_profile(lumbar, ann)
    await lumbar.send(ann, "/help")
    bare = server.last_bot_message(ann)  # no buttons: a stale press has nothing to take off
    if case == "reminders_on_a_card":
        await lumbar.send(ann, "/today")
    async with lumbar.services.transaction() as uow:
        before = await uow.users.export(ann.id)
    chat = snapshot(lumbar, ann)

    match case:
        case "lone_surrogates":  # no client sends them; they cannot even be encoded
            query_id = server.press(ann, bare.message_id, "m1:rem:\udcff", force=True)
        case "reminders_on_a_card":  # a picture: no text to redraw as the reminders screen
            card = server.last_bot_message(ann)
            assert card.kind in CARD_KINDS
            query_id = server.press(ann, card.message_id, "m1:rem:stretch", force=True)
        case "inline":
            query_id = press_inline(lumbar, ann, "m1:forget:yes")
        case _:  # deleted: Telegram sends only the message's chat and id, with date 0
            query_id = server.press(ann, 999_999, "m1:forget:yes", force=True)

    assert await answered(lumbar, query_id, ann.id) == STALE
    assert snapshot(lumbar, ann) == chat
    async with lumbar.services.transaction() as uow:
        assert await uow.users.export(ann.id) == before
    assert errors(caplog) == []


async def zone_of(lumbar: Lumbar, user: FakeUser) -> str | None:
    async with lumbar.services.transaction() as uow:
        stored = await uow.users.get(user.id)
    return stored.time_zone if stored is not None else None


def question_nonce(lumbar: Lumbar, user: FakeUser) -> tuple[int, str]:
    """The time-zone question on screen: its message id and its buttons' nonce."""
    for message in reversed(lumbar.server.bot_messages(user)):
        for _, data in (b for row in lumbar.server.buttons(message) for b in row):
            if data is not None and data.startswith("t1:"):
                return message.message_id, data.split(":")[1]
    raise AssertionError("no time-zone question on screen")


async def test_forged_zones_are_refused_when_changing_the_zone(
    lumbar: Lumbar, caplog: pytest.LogCaptureFixture
) -> None:
    ann = lumbar.user(1001, "Ann")
    await seed_profile(lumbar, ann, zone="Europe/Berlin")
    await lumbar.send(ann, "/settings")
    await lumbar.press(ann, "Change time zone")
    for name in FORGED_ZONES:
        message_id, nonce = question_nonce(lumbar, ann)
        out = await lumbar.press_data(ann, message_id, f"t1:{nonce}:{name}")
        assert "Please answer with the buttons below." in texts(out)
        out = await lumbar.send(ann, name)
        assert f'I couldn\'t find "{name}"' in texts(out)
        assert await zone_of(lumbar, ann) == "Europe/Berlin"
    out = await lumbar.send(ann, "Europe/Paris")  # a canonical name still works
    assert "Time zone set to Europe/Paris" in texts(out)
    assert await zone_of(lumbar, ann) == "Europe/Paris"
    assert errors(caplog) == []


async def test_forged_zones_are_refused_in_the_check(
    lumbar: Lumbar, caplog: pytest.LogCaptureFixture
) -> None:
    bob = lumbar.user(1002, "Bob")
    await lumbar.triage(bob, until="time_zone")
    for name in FORGED_ZONES:
        message_id, nonce = question_nonce(lumbar, bob)
        out = await lumbar.press_data(bob, message_id, f"t1:{nonce}:{name}")
        assert "Please answer with the buttons below." in texts(out)
        out = await lumbar.send(bob, name)
        assert f'I couldn\'t find "{name}"' in texts(out)
        async with lumbar.services.transaction() as uow:
            state = await uow.triage.get_state(bob.id)
        assert state is not None and state.answers.get("time_zone") is None
        assert await zone_of(lumbar, bob) == "UTC"
    assert errors(caplog) == []
