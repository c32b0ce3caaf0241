"""`/settings`: the profile at a glance, a new time zone or language, or a fresh triage."""

from __future__ import annotations

import html
from collections.abc import Mapping

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.callbacks import Menu
from bot.handlers.common import answer_query, close_press, equipment_words, say
from bot.handlers.gate import consent_refusal, send_refusal
from bot.handlers.triage import cmd_triage, start_zone_change
from bot.keyboards import button, rows
from bot.services import LumbarContext
from content.schema import Library
from db.models import Profile, User


async def cmd_settings(update: Update, context: LumbarContext) -> None:
    """Show time zone, phase and equipment with buttons to change them."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        now = context.services.clock()
        user = await uow.users.touch(user_id, now) if refusal is None else None
        profile = await uow.profiles.get(user_id)
    if user is None:
        assert refusal is not None  # consent needs the user row, read in the same transaction
        await send_refusal(context, user_id, refusal)
        return
    await say(
        context,
        user_id,
        *settings_screen(context.library, context.services.libraries, user, profile),
    )


def settings_screen(
    lib: Library, libraries: Mapping[str, Library], user: User, profile: Profile | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The settings in ``lib``'s language, with a language button when there is a choice."""
    # The same words the check used: its button labels and phase names, never stored values.
    equipment = equipment_words(lib, profile.equipment if profile else ())
    phase = lib.text(f"phase_name_{profile.phase}" if profile else "settings_not_set")
    text = lib.text(
        "settings",
        zone=html.escape(user.time_zone),
        phase=phase,
        equipment=html.escape(equipment),
    )
    language = lib.text("btn_language", language=lib.text("language_name"))
    markup = rows(
        [button(lib.text("btn_set_zone"), Menu("set", "zone"))],
        [button(language, Menu("set", "lang"))] if len(libraries) > 1 else [],
        [button(lib.text("btn_redo_triage"), Menu("set", "triage"))],
    )
    return text, markup


def language_choice(lib: Library, libraries: Mapping[str, Library]) -> InlineKeyboardMarkup:
    """One button per catalog language, each named in itself ("English", "Deutsch")."""
    buttons = []
    for code, other in libraries.items():
        mark = "✓ " if code == lib.language else ""  # the one in use now
        buttons.append([button(mark + other.text("language_name"), Menu("lang", code))])
    return rows(*buttons)


async def on_settings_button(update: Update, context: LumbarContext, arg: str) -> None:
    """Change the time zone (reminders follow it) or the language, or redo the whole check."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    if arg == "lang":
        # The settings message turns into the choice, in place.
        await answer_query(update)
        lib = context.library
        choice = language_choice(lib, context.services.libraries)
        await _redraw(context, query.message, lib.text("language_choose"), choice)
        return
    await close_press(update, context)
    if arg == "zone":
        async with context.services.transaction() as uow:
            refusal = await consent_refusal(uow, context, user_id)
        if refusal is not None:
            await send_refusal(context, user_id, refusal)
            return
        await start_zone_change(context, user_id)
    elif arg == "triage":
        await cmd_triage(update, context)


async def on_language_choice(update: Update, context: LumbarContext, code: str) -> None:
    """Store the chosen language; say so in it, and redraw the settings in it."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    services = context.services
    if code not in services.libraries:
        await close_press(update, context, context.library.text("stale_button"))
        return
    now = services.clock()
    async with services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        user = None
        if refusal is None:
            await uow.users.set_language(user_id, code, now)
            user = await uow.users.get(user_id)
        profile = await uow.profiles.get(user_id)
    if user is None:
        assert refusal is not None  # consent needs the user row, read in the same transaction
        await close_press(update, context)
        await send_refusal(context, user_id, refusal)
        return
    services.languages.put(user_id, code)  # committed: every later update is in it
    context.language = code
    lib = context.library
    await answer_query(update, lib.text("language_changed"))
    text, markup = settings_screen(lib, services.libraries, user, profile)
    await _redraw(context, query.message, text, markup)


async def _redraw(
    context: LumbarContext, message: object, text: str, markup: InlineKeyboardMarkup
) -> None:
    """Turn the pressed message into ``text`` in place (sent anew if it cannot be edited)."""
    if not isinstance(message, Message):
        return
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=message.chat.id,
            message_id=message.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    except BadRequest as error:
        if "not modified" in error.message:
            return
        if "can't be edited" not in error.message and "not found" not in error.message:
            raise
        await say(context, message.chat.id, text, markup)
