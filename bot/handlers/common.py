"""Small helpers shared by the handlers: who is asking, replies, local time.

``answers_from_profile``, ``exercise_access``, ``has_consented``, ``is_check_step`` (from
``bot.access``) and ``zone`` (from the coach) are imported here too, where every handler
looks first.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.access import answers_from_profile, exercise_access, has_consented, is_check_step
from bot.callbacks import Menu
from bot.cards import CAPTION_LIMIT
from bot.coach.timezones import zone
from bot.keyboards import button, rows
from bot.services import LumbarContext
from content.schema import Equipment, Library

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def first_name(update: Update, lib: Library) -> str:
    """The user's first name, escaped for HTML ("there" in English when Telegram has none)."""
    user = update.effective_user
    return html.escape(user.first_name) if user and user.first_name else lib.text("name_fallback")


def local_now(context: LumbarContext, zone_name: str) -> datetime:
    """The current time in the user's zone, from the injected clock."""
    return context.services.clock().astimezone(zone(zone_name))


def equipment_words(lib: Library, items: Iterable[str]) -> str:
    """The equipment in the check's words and order: "Exercise mat, Fascia roller".

    Nothing ticked reads "nothing special (the floor works)", as in the check's summary.
    """
    have = set(items)
    chosen = [
        lib.text(f"equipment_{e.value}")
        for e in Equipment
        if e is not Equipment.NONE and e.value in have
    ]
    return ", ".join(chosen) or lib.text("equipment_nothing")


def start_pointer(lib: Library) -> tuple[str, InlineKeyboardMarkup]:
    """For someone the bot keeps nothing about: where to begin, and the check's button."""
    return lib.text("need_start"), rows([button(lib.text("btn_start_check"), Menu("go", "triage"))])


async def say(
    context: LumbarContext, chat_id: int, text: str, markup: Markup | None = None
) -> Message:
    """Send an HTML message."""
    return await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)


# Telegram's words for an edit whose message cannot be edited any more.
_GONE = ("not found", "can't be edited")


async def remove_buttons(context: LumbarContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an answered message; an already-bare message is fine."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        message = error.message.lower()
        if "not modified" not in message and not any(gone in message for gone in _GONE):
            raise


async def answer_query(update: Update, text: str | None = None) -> None:
    """Acknowledge a button press; a query that is too old is not worth failing over."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text)
    except BadRequest as error:
        if "too old" not in error.message and "invalid" not in error.message.lower():
            raise


async def remove_card_buttons(
    context: LumbarContext, chat_id: int, message_ids: Iterable[int]
) -> None:
    """Take the buttons off cards closed because the user may no longer exercise."""
    for message_id in message_ids:
        await remove_buttons(context, chat_id, message_id)


MESSAGE_LIMIT = 4096  # characters of a text message (Telegram's limit)


def answered(text: str, answer: str) -> str:
    """A question once answered: its text, then the answer chosen (its buttons go)."""
    return f"{text}\n\n→ <b>{answer}</b>"


async def answer_in_place(
    update: Update, context: LumbarContext, answer: str, follow: str | None = None
) -> bool:
    """Show the answer, and what follows from it, on the pressed message, its buttons gone.

    One chat-bound call where taking the buttons off and saying the rest would be two:
    Telegram's ~30 messages a second per bot are the budget people wait on. False when
    the message cannot carry it (too old to be seen, not the presser's own chat, too long
    with the answer added, gone): the caller then closes the press and says ``follow``
    in a message of its own. The press must have been acknowledged (``answer_query``).
    """
    message = _pressed_message(update)
    if message is None:
        return False
    edit: Callable[..., Awaitable[object]]
    if message.caption is not None:
        base, limit, edit = message.caption_html, CAPTION_LIMIT, message.edit_caption
    elif message.text is not None:
        base, limit, edit = message.text_html, MESSAGE_LIMIT, message.edit_text
    else:
        return False
    text = answered(base, answer) + (f"\n\n{follow}" if follow else "")
    if len(text) > limit:
        return False
    try:
        await edit(text, parse_mode="HTML")
    except BadRequest as error:
        reason = error.message.lower()
        if "not modified" in reason:  # the same press delivered again: it shows already
            return True
        if any(gone in reason for gone in (*_GONE, "no text")):
            return False
        raise
    return True


async def close_press(update: Update, context: LumbarContext, text: str | None = None) -> None:
    """Acknowledge a button press and take the buttons off its message, so it is answered once.

    Only a message in the presser's own private chat is touched (``router.on_button``
    answers every other press as stale before it gets here).
    """
    await answer_query(update, text)
    await remove_pressed_buttons(update, context)


async def remove_pressed_buttons(update: Update, context: LumbarContext) -> None:
    """Take the buttons off the pressed message, when it is in the presser's own chat.

    A message Telegram showed without buttons at the press (a late double tap) is left
    alone: the edit would change nothing and still spend one of the chat's calls.
    """
    message = _pressed_message(update)
    if message is not None and message.reply_markup and message.reply_markup.inline_keyboard:
        await remove_buttons(context, message.chat.id, message.message_id)


def _pressed_message(update: Update) -> Message | None:
    """The message whose button was pressed, if it is in the presser's own private chat."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.chat.id != query.from_user.id:
        return None
    return message


__all__ = ["answers_from_profile", "exercise_access", "has_consented", "is_check_step", "zone"]
