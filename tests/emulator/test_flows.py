"""A real python-telegram-bot Application, polling the emulator, answers fake users."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.emulator import BotApiServer
from tests.emulator.conftest import App


def seen(app: App) -> list[Update]:
    """Return the updates the bot received."""
    updates: list[Update] = app.bot_data.get("seen", [])
    return updates


async def test_command_gets_an_answer_with_formatting_and_a_button(
    server: BotApiServer, app: App
) -> None:
    ann = server.user(42, first_name="Ann")
    sent = server.send_text(ann, "/start")
    await server.settle()

    reply = server.last_bot_message(ann)
    assert reply.text == "Hello there & welcome"
    assert reply.entities == [{"type": "bold", "offset": 6, "length": 5}]
    assert server.buttons(reply) == [[("Done", "s1:done")]]
    assert [m.message_id for m in server.chat(ann)] == [sent.message_id, sent.message_id + 1]
    first = seen(app)[0].effective_message
    assert first is not None and first.text == "/start"


async def test_press_reaches_callback_handler_and_edit_shows_in_chat(
    server: BotApiServer, app: App
) -> None:
    ann = server.user(42)
    server.send_text(ann, "/start")
    await server.settle()
    card = server.last_bot_message(ann)

    query_id = server.press(ann, card.message_id, "s1:done")
    await server.settle()

    assert server.callback_answers[query_id].text == "Noted"
    edited = server.last_bot_message(ann)
    assert edited.message_id == card.message_id
    assert edited.text == "You chose s1:done"
    assert edited.reply_markup is None  # edit without reply_markup removes the keyboard
    assert edited.edit_date is not None
    assert edited.history[0].content["text"] == "Hello there & welcome"
    assert server.new_bot_messages(ann) == []


async def test_plain_text_is_echoed_and_wait_for_bot_messages_counts_new_ones(
    server: BotApiServer, app: App
) -> None:
    ann = server.user(7)
    server.send_text(ann, "hi")
    first = await server.wait_for_bot_messages(ann, 1)
    server.send_text(ann, "again")
    second = await server.wait_for_bot_messages(ann, 1)
    assert [m.text for m in first + second] == ["echo: hi", "echo: again"]


async def test_membership_events_reach_the_bot(server: BotApiServer, app: App) -> None:
    ann = server.user(42)
    server.send_text(ann, "hi")
    server.block(ann)
    await server.settle()
    server.add_bot_to_group(ann, -100, title="Backs")
    server.send_group_text(ann, -100, "/start@lumbar_test_bot")
    server.channel_post(-1001, "news")
    await server.settle()

    kinds: list[tuple[str, Any]] = []
    for update in seen(app):
        if update.my_chat_member:
            kinds.append(("member", update.my_chat_member.new_chat_member.status))
        elif update.channel_post:
            kinds.append(("channel", update.channel_post.text))
        elif update.message and update.message.text:
            kinds.append((update.message.chat.type, update.message.text))
    assert kinds == [
        ("private", "hi"),
        ("member", "kicked"),
        ("member", "member"),
        ("group", "/start@lumbar_test_bot"),
        ("channel", "news"),
    ]
    # The echo to the blocked user failed with 403; the group /start was answered.
    assert [c.status for c in server.calls_to("sendMessage")] == [403, 200]
    assert [type(e).__name__ for e in app.bot_data["errors"]] == ["Forbidden"]
    assert server.last_bot_message(-100).text == "Hello there & welcome"


async def test_every_user_payload_parses_in_ptb_and_user_files_download(
    server: BotApiServer, app: App
) -> None:
    ann = server.user(42, username="ann_k")
    first = server.send_text(ann, "hello")
    server.send_location(ann, 52.5, 13.4)
    server.send_contact(ann)
    server.send_sticker(ann, "🔥")
    server.send_voice(ann, duration=4)
    server.send_photo(ann, 320, 240, caption="my desk")
    server.send_document(ann, b"%PDF-1.4", "scan.pdf", "application/pdf")
    server.edit_text(ann, first.message_id, "hello again")
    await server.settle()

    messages = [u.effective_message for u in seen(app)]
    assert all(m is not None for m in messages)
    location, contact, sticker, voice, photo, document = messages[1:7]
    assert location is not None and location.location is not None
    assert location.location.latitude == 52.5
    assert contact is not None and contact.contact is not None and contact.contact.user_id == 42
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🔥"
    assert voice is not None and voice.voice is not None
    assert voice.voice.file_size is not None and voice.voice.mime_type == "audio/ogg"
    assert document is not None and document.document is not None
    assert document.document.mime_type == "application/pdf"
    assert photo is not None and photo.caption == "my desk"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (320, 240)
    edited = seen(app)[-1].edited_message
    assert edited is not None and edited.text == "hello again"
    sender = seen(app)[0].effective_user
    assert sender is not None and sender.username == "ann_k"

    data = await (await app.bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(data[:2]) == b"\xff\xd8"  # a real JPEG the bot could open
