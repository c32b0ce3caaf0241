"""A real PTB Bot breaking Telegram's limits gets the errors Telegram would send."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from bot.emulator import BotApiServer, FakeUser


def png(width: int, height: int) -> bytes:
    """Draw a PNG of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def keyboard(data: str) -> InlineKeyboardMarkup:
    """One button with this callback_data."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])


@pytest.fixture
def ann(server: BotApiServer) -> FakeUser:
    """A user who has written to the bot, so the bot may write back."""
    user = server.user(42)
    server.send_text(user, "hi")
    return user


async def test_text_limit_counts_characters_after_html_parsing(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    await bot.send_message(ann.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(ann.id, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(ann.id, "<b> </b>", parse_mode=ParseMode.HTML)
    assert len(server.bot_messages(ann)) == 1


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("Tom & Jerry", "Unsupported HTML entity at byte offset 4"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_refused(bot: Bot, ann: FakeUser, html: str, detail: str) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(ann.id, html, parse_mode=ParseMode.HTML)
    # PTB capitalizes Telegram's description, lowering the rest of it.
    assert raised.value.message.startswith(f"Can't parse entities: {detail}".capitalize())


async def test_caption_and_callback_data_limits(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)Message caption is too long"):
        await bot.send_photo(ann.id, png(40, 30), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ann.id, "pick", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ann.id, "pick", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(ann.id, "pick", reply_markup=keyboard("x" * 64))
    assert server.uploads == 0  # the refused photo was not stored
    assert [m.text for m in server.bot_messages(ann)] == ["pick"]


async def test_photo_upload_gives_a_reusable_file_id(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    data = png(1600, 900)
    first = await bot.send_photo(ann.id, data, caption="<i>Cat-cow</i>", parse_mode="HTML")
    largest = first.photo[-1]
    assert (largest.width, largest.height) == (1280, 720)
    assert [p.width for p in first.photo] == [90, 320, 800, 1280]

    again = await bot.send_photo(ann.id, largest.file_id, caption="again")
    assert again.photo[-1].file_id == largest.file_id
    assert server.uploads == 1
    assert [c.status for c in server.calls_to("sendPhoto")] == [200, 200]

    downloaded = await (await bot.get_file(largest.file_id)).download_as_bytearray()
    assert bytes(downloaded) == data
    with pytest.raises(BadRequest, match=r"(?i)Wrong file identifier/http url specified"):
        await bot.send_photo(ann.id, "AgACAgIAAxkBAAInvalid")
    with pytest.raises(BadRequest, match=r"(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(ann.id, png(2100, 100))
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ann.id, b"not an image at all")


async def test_edits_follow_telegram_rules(server: BotApiServer, bot: Bot, ann: FakeUser) -> None:
    text = await bot.send_message(ann.id, "Step 1", reply_markup=keyboard("s1:next"))
    photo = await bot.send_photo(ann.id, png(50, 50), caption="Card")

    with pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_text(
            "Step 1", ann.id, text.message_id, reply_markup=keyboard("s1:next")
        )
    await bot.edit_message_text("Step 2", ann.id, text.message_id, reply_markup=keyboard("s1:next"))
    await bot.edit_message_reply_markup(ann.id, text.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match=r"(?i)There is no text in the message to edit"):
        await bot.edit_message_text("x", ann.id, photo.message_id)
    with pytest.raises(BadRequest, match=r"(?i)There is no caption in the message to edit"):
        await bot.edit_message_caption(ann.id, text.message_id, caption="x")
    await bot.edit_message_caption(ann.id, photo.message_id, caption="Card, done")
    user_message = server.chat(ann)[0]
    with pytest.raises(BadRequest, match=r"(?i)Message can't be edited"):
        await bot.edit_message_text("x", ann.id, user_message.message_id)

    assert await bot.delete_message(ann.id, photo.message_id)
    with pytest.raises(BadRequest, match=r"(?i)Message to delete not found"):
        await bot.delete_message(ann.id, photo.message_id)
    with pytest.raises(BadRequest, match=r"(?i)Message to edit not found"):
        await bot.edit_message_caption(ann.id, photo.message_id, caption="y")

    shown = server.chat(ann)
    assert shown[1].text == "Step 2" and shown[1].reply_markup is None
    assert [v.content["text"] for v in shown[1].history] == ["Step 1", "Step 2"]
    assert shown[2].deleted and shown[2].caption == "Card, done"


async def test_callback_query_answers_once_and_only_while_fresh(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    message = await bot.send_message(ann.id, "Did it hurt?", reply_markup=keyboard("s1:no"))
    fresh = server.press(ann, message.message_id, "s1:no")
    stale = server.press(ann, message.message_id, "s1:no")
    assert await bot.answer_callback_query(fresh, text="Thanks", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)Query is too old"):
        await bot.answer_callback_query(fresh)
    server.advance_clock(16)
    with pytest.raises(BadRequest, match=r"(?i)Query is too old"):
        await bot.answer_callback_query(stale)
    with pytest.raises(BadRequest, match=r"(?i)Query is too old"):
        await bot.answer_callback_query("12345")
    assert server.callback_answers[fresh].show_alert
    assert stale not in server.callback_answers


async def test_press_fails_loudly_unless_forced(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    message = await bot.send_message(ann.id, "Pick", reply_markup=keyboard("s1:a"))
    with pytest.raises(AssertionError, match=r"(?i)no button 's1:b'"):
        server.press(ann, message.message_id, "s1:b")
    forged = server.press(ann, message.message_id, "s1:b", force=True)
    ghost = server.press(ann, 999, "zzz", force=True)
    updates = [u["callback_query"] for u in server.all_updates if "callback_query" in u]
    assert [(q["id"], q["data"]) for q in updates] == [(forged, "s1:b"), (ghost, "zzz")]
    assert updates[1]["message"]["date"] == 0  # an inaccessible message, as Telegram sends


async def test_chats_users_never_started_and_blocked_users(
    server: BotApiServer, bot: Bot, ann: FakeUser
) -> None:
    server.user(77)
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(77, "hello?")
    server.block(ann)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ann.id, "still there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(ann.id, "typing")
    server.unblock(ann)
    await bot.send_message(ann.id, "welcome back")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"]
        for u in server.all_updates
        if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]


async def test_commands_are_stored_per_scope_and_language(server: BotApiServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("today", "Today's session")])
    await bot.set_my_commands(
        [BotCommand("heute", "Heute")], scope=BotCommandScopeAllPrivateChats(), language_code="de"
    )
    assert server.commands[("default", "")] == [
        {"command": "today", "description": "Today's session"}
    ]
    german = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="de")
    assert [c.command for c in german] == ["heute"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Today!", "bad")])
    assert await bot.delete_my_commands()
    assert ("default", "") not in server.commands


async def test_unknown_method_and_wrong_token(server: BotApiServer, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):  # PTB's reading of Telegram's 404 for a method
        await bot.do_api_request("sendTeleport")
    assert server.calls[-1].description == "Not Found: method not found"
    other = Bot("999:WRONG", base_url=server.base_url, base_file_url=server.base_file_url)
    with pytest.raises(InvalidToken):
        await other.initialize()
    assert server.calls[-1].status == 401
