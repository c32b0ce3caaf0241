"""Handler registration, in one place and in an explicit order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import basic, privacy, progress, reminders, router, session, settings, triage
from bot.services import LumbarApp

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
OUTSIDE = (filters.ChatType.GROUPS | filters.ChatType.CHANNEL) & filters.COMMAND


def register_handlers(app: LumbarApp) -> None:
    """Register every handler; the first matching one in group 0 answers an update.

    Group -1 runs first for every update: a user who had blocked the bot is back.
    """
    app.add_handler(TypeHandler(Update, basic.on_any_update), group=-1)
    app.add_handler(ChatMemberHandler(basic.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(OUTSIDE, basic.on_group_command))
    commands = {
        "start": router.cmd_start,
        "triage": triage.cmd_triage,
        "today": session.cmd_today,
        "stretch": session.cmd_stretch,
        "progress": progress.cmd_progress,
        "reminders": reminders.cmd_reminders,
        "settings": settings.cmd_settings,
        "help": basic.cmd_help,
        "cancel": router.cmd_cancel,
        "forget": privacy.cmd_forget,
        "export": privacy.cmd_export,
        "stats": privacy.cmd_stats,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(router.on_button))
    app.add_handler(MessageHandler(PRIVATE & filters.LOCATION, triage.on_location))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, basic.on_unknown_command))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT, router.on_text))
    app.add_handler(MessageHandler(PRIVATE, basic.on_unsupported))
    app.add_error_handler(basic.on_error)
