"""Erase, export and admin counts: a user owns their health data."""

from __future__ import annotations

import html
import json
import logging

from telegram import InputFile, Update

from bot.callbacks import Menu
from bot.handlers.common import close_press, say
from bot.keyboards import button, rows
from bot.services import LumbarContext

log = logging.getLogger(__name__)


async def cmd_forget(update: Update, context: LumbarContext) -> None:
    """Ask before erasing everything; the answer comes as a button."""
    assert update.effective_chat is not None
    lib = context.library
    await say(
        context,
        update.effective_chat.id,
        lib.text("forget_confirm"),
        rows(
            [button(lib.text("btn_forget_yes"), Menu("forget", "yes"))],
            [button(lib.text("btn_forget_no"), Menu("forget", "no"))],
        ),
    )


async def on_forget_answer(update: Update, context: LumbarContext, arg: str) -> None:
    """Erase the user who pressed (every row cascades from it) or keep everything."""
    query = update.callback_query
    assert query is not None
    chat_id = query.from_user.id  # the presser's own chat: router.on_button checked the message
    lib = context.library
    await close_press(update, context)
    if arg != "yes":
        await say(context, chat_id, lib.text("forget_kept"))
        return
    async with context.services.transaction() as uow:
        await uow.users.delete(chat_id)
    log.info("a user erased their data")
    await say(context, chat_id, lib.text("forget_done"))


async def cmd_export(update: Update, context: LumbarContext) -> None:
    """Send the user everything stored about them as a JSON file."""
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    async with context.services.transaction() as uow:
        data = await uow.users.export(chat_id)
    lib = context.library
    if data.get("user") is None:  # never wrote, or erased: nothing to hand over
        await say(context, chat_id, lib.text("export_nothing"))
        return
    payload = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    await context.bot.send_document(
        chat_id,
        InputFile(payload, filename="lumbar-export.json"),
        caption=lib.text("export_caption"),
    )


async def cmd_stats(update: Update, context: LumbarContext) -> None:
    """Counts for admins only; anyone else gets the normal help."""
    from bot.handlers.basic import cmd_help

    user = update.effective_user
    assert update.effective_chat is not None
    if user is None or user.id not in context.services.settings.admin_user_ids:
        await cmd_help(update, context)
        return
    async with context.services.transaction() as uow:
        counts = await uow.stats.counts(context.services.clock())
    lines = "\n".join(f"{html.escape(name)}: {value}" for name, value in sorted(counts.items()))
    await say(context, update.effective_chat.id, context.library.text("stats", lines=lines))
