"""Animations, documents, media edits, reply keyboards and text trimming behave like Telegram."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import (
    Bot,
    InputMediaAnimation,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from bot.emulator import BotApiServer, FakeUser, ScenarioError


def image(fmt: str, width: int = 30, height: int = 20) -> bytes:
    """Encode a plain image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 0)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def ann(server: BotApiServer) -> FakeUser:
    """A user who has written to the bot."""
    user = server.user(42)
    server.send_text(user, "hi")
    return user


async def test_animation_document_and_media_edit(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    gif = await bot.send_animation(ann.id, image("GIF"), filename="stretch.gif")
    assert gif.animation is not None and (gif.animation.width, gif.animation.height) == (30, 20)
    assert gif.document is not None  # Telegram sends both fields for animations
    doc = await bot.send_document(ann.id, b"plan", filename="plan.txt", caption="Your plan")
    assert doc.document is not None and doc.document.file_name == "plan.txt"
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Document as Animation"):
        await bot.send_animation(ann.id, doc.document.file_id)

    card = await bot.send_photo(ann.id, image("PNG"), caption="Card 1")
    first_id = card.photo[-1].file_id
    await bot.edit_message_media(
        InputMediaPhoto(image("PNG", 60, 40), caption="Card 2"), ann.id, card.message_id
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_media(
            InputMediaPhoto(server.last_bot_message(ann).photo_file_id or "", caption="Card 2"),
            ann.id,
            card.message_id,
        )
    shown = server.last_bot_message(ann)
    assert shown.caption == "Card 2" and shown.photo_file_id != first_id
    assert shown.history[0].content["caption"] == "Card 1"
    assert server.uploads == 4


def gif(frames: int = 4, ms: int = 500, size: tuple[int, int] = (64, 48)) -> bytes:
    """Encode a small animated GIF of ``frames`` pictures, ``ms`` each."""
    pictures = [Image.new("RGB", size, (60 * i, 80, 120)) for i in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=ms)
    return buffer.getvalue()


async def test_a_gif_becomes_an_mp4_animation_and_a_photo_message_can_turn_into_it(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    sent = await bot.send_animation(ann.id, gif(), filename="bird_dog.gif", caption="Card 2")
    animation = sent.animation
    assert animation is not None and sent.document is not None
    # Telegram keeps an MP4 of a GIF: its name, type, size, length and a thumbnail say so.
    assert (animation.file_name, animation.mime_type) == ("bird_dog.gif.mp4", "video/mp4")
    assert (animation.width, animation.height) == (64, 48)
    assert server.last_bot_message(ann).content["animation"]["duration"] == 2  # seconds
    assert animation.thumbnail is not None and animation.thumbnail.width == 64
    assert animation.file_id.startswith("CgAC") and sent.document.file_id == animation.file_id
    uploads = server.uploads

    card = await bot.send_photo(ann.id, image("PNG"), caption="Card 1")
    assert card.photo[-1].file_id.startswith("AgAC")
    edited = await bot.edit_message_media(
        InputMediaAnimation(animation.file_id, caption="Card 2"), ann.id, card.message_id
    )
    assert isinstance(edited, Message) and edited.animation is not None
    assert edited.animation.file_id == animation.file_id and not edited.photo
    assert server.uploads == uploads + 1  # the photo; the animation went by file id
    assert server.last_bot_message(ann).kind == "animation"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_media(
            InputMediaAnimation(animation.file_id, caption="Card 2"), ann.id, card.message_id
        )
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Animation as Photo"):
        await bot.edit_message_media(
            InputMediaPhoto(animation.file_id, caption="Card 3"), ann.id, card.message_id
        )
    # A fresh upload in an edit (attach://) is an animation too.
    again = await bot.edit_message_media(
        InputMediaAnimation(gif(frames=2), caption="Card 3", filename="climb.gif"),
        ann.id,
        card.message_id,
    )
    assert isinstance(again, Message) and again.animation is not None
    assert again.animation.file_name == "climb.gif.mp4"
    assert server.last_bot_message(ann).content["animation"]["duration"] == 1


async def test_reply_keyboard_tap_shares_location_and_hides_one_time_keyboard(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Share location", request_location=True)], ["Type my city"]],
        one_time_keyboard=True,
    )
    await bot.send_message(ann.id, "Where are you?", reply_markup=markup)
    assert server.reply_keyboard(ann) == [["Share location"], ["Type my city"]]
    assert server.last_bot_message(ann).buttons == []
    with pytest.raises(ScenarioError, match="no reply keyboard button 'Paris'"):
        server.tap(ann, "Paris")
    sent = server.tap(ann, "Share location", latitude=48.85, longitude=2.35)
    assert sent.content["location"] == {"latitude": 48.85, "longitude": 2.35}
    assert server.reply_keyboard(ann) is None

    await bot.send_message(ann.id, "Again?", reply_markup=ReplyKeyboardMarkup([["Yes"]]))
    server.tap(ann, "Yes")
    assert server.reply_keyboard(ann) == [["Yes"]]
    await bot.send_message(ann.id, "Done", reply_markup=ReplyKeyboardRemove())
    assert server.reply_keyboard(ann) is None


async def test_text_is_trimmed_and_entities_shift(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    sent = await bot.send_message(ann.id, "\n  <b>Day 3</b> done \n", parse_mode="HTML")
    assert sent.text == "Day 3 done"
    assert sent.entities[0].offset == 0 and sent.entities[0].length == 5


async def test_drop_pending_updates_and_get_chat(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()
    chat = await bot.get_chat(ann.id)
    assert chat.first_name == "Ann" and chat.type == "private"
