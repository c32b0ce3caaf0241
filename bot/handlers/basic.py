"""Help, unknown input, group chats and membership changes."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType

from bot.handlers.common import say
from bot.services import LumbarContext

log = logging.getLogger(__name__)


async def cmd_help(update: Update, context: LumbarContext) -> None:
    """List the commands."""
    assert update.effective_chat is not None
    await say(context, update.effective_chat.id, context.services.library.text("help"))


async def on_unknown_command(update: Update, context: LumbarContext) -> None:
    """Answer a command this bot does not have with the command list."""
    assert update.effective_chat is not None
    lib = context.services.library
    await say(
        context, update.effective_chat.id, f"{lib.text('unknown_command')}\n\n{lib.text('help')}"
    )


async def on_unsupported(update: Update, context: LumbarContext) -> None:
    """Stickers, voice notes, photos and the like get a friendly pointer, not silence."""
    assert update.effective_chat is not None
    await say(
        context, update.effective_chat.id, context.services.library.text("unsupported_message")
    )


async def on_group_command(update: Update, context: LumbarContext) -> None:
    """In a group, answer once that health coaching happens in a private chat; store nothing."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.CHANNEL:
        return
    await say(context, chat.id, context.services.library.text("group_only_private"))


async def on_my_chat_member(update: Update, context: LumbarContext) -> None:
    """Track blocks in private chats; greet a group once when added, pointing to a private chat."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    chat = change.chat
    if chat.type == ChatType.PRIVATE:
        now = context.services.clock()
        async with context.services.transaction() as uow:
            if status in (ChatMember.BANNED, ChatMember.LEFT):
                await uow.users.mark_blocked(chat.id, now)
            elif status == ChatMember.MEMBER and await uow.users.get(chat.id) is not None:
                await uow.users.seen(chat.id, None, now)
        return
    was_in = change.old_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
    is_in = status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
    if is_in and not was_in and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await say(context, chat.id, context.services.library.text("group_only_private"))


async def on_error(update: object, context: LumbarContext) -> None:
    """Log each unexpected error once (update id, never text) and apologise to the user."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from telegram.error import Forbidden

    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: user blocked the bot", update_id)
        return
    database_down = isinstance(error, (OperationalError, DBAPIError, OSError, ConnectionError))
    log.error(
        "update %s failed: %s",
        update_id,
        type(error).__name__,
        exc_info=None if database_down else error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    key = "error_database" if database_down else "error_generic"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await say(context, update.effective_chat.id, context.services.library.text(key))
    except Exception:  # the apology itself may fail when Telegram is down; it is logged once above
        log.warning("update %s: could not send the apology", update_id)
