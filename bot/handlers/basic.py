"""Help, unknown input, group chats and membership changes."""

from __future__ import annotations

import contextlib
import html
import logging
import traceback

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.callbacks import Menu
from bot.coach.free_text import PainPointer, Topic, classify, pain_pointer
from bot.coach.language import choose_language
from bot.coach.plan import stretch_minutes
from bot.coach.selection import mobility_only
from bot.coach.triage import Access
from bot.handlers.common import answers_from_profile, say, start_pointer
from bot.handlers.gate import Refusal, consent_refusal, refusal_for, send_refusal
from bot.handlers.safety import number_for
from bot.handlers.session import today_status_of
from bot.keyboards import button, rows
from bot.languages import MISSING
from bot.logs import describe_error
from bot.metrics import metrics_of
from bot.nudge_schedule import welcome_back
from bot.services import LumbarContext
from content.schema import Library

log = logging.getLogger(__name__)


async def cmd_help(update: Update, context: LumbarContext) -> None:
    """List the commands, then the article's rules for exercising safely and the sources."""
    assert update.effective_chat is not None
    lib = context.library
    chat_id = update.effective_chat.id
    # Help needs no database: it is sent first and whole, even in an outage.
    await say(context, chat_id, help_text(lib))
    await say(context, chat_id, safety_notes(lib))
    try:
        async with context.services.transaction() as uow:
            refusal = await consent_refusal(uow, context, chat_id)
    except Exception as error:
        if classify_error(error) != "database":
            raise
        return  # only the pointer to /start is missing; no apology for help that arrived
    if refusal is not None and refusal.access is Access.NO_PROFILE and refusal.text:
        await say(context, chat_id, refusal.text, refusal.markup)  # where to begin


def help_text(lib: Library) -> str:
    """The command list, saying the quick stretch's one length (``stretch_minutes``)."""
    return lib.text("help", stretch_minutes=stretch_minutes(lib.exercises))


def safety_notes(lib: Library) -> str:
    """Every general rule of the article, and where the safety questions come from."""
    rules = lib.rules

    def listed(lines: tuple[str, ...]) -> str:
        return "\n".join(f"• {html.escape(line)}" for line in lines)

    return lib.text(
        "help_safety",
        during=listed(rules.during_exercise),
        in_pain=listed(rules.avoid_when_in_pain),
        beginners=listed(rules.avoid_as_beginner),
        roller=html.escape(rules.roller_rule),
        sources=listed(rules.sources),
    )


async def on_free_text(update: Update, context: LumbarContext, *, known: bool) -> None:
    """Typed text that answers nothing: a doctor, today's pain advice, or the commands.

    What it is about is ``bot.coach.free_text``'s call: a warning sign gets the way to a
    doctor, pain today's advice and the gentle way in, anything else the commands.
    Someone who may not exercise now gets the gate's answer (a blocked user the doctor
    advice), never a pointer to an exercise; before consent, the way to begin.
    """
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    message = update.message
    topic = classify(message.text or "" if message else "", lib.free_text)
    if topic is Topic.SYMPTOMS:
        async with context.services.transaction() as uow:
            user = await uow.users.get(user_id)  # reads only: nothing is kept before consent
        number = number_for(lib, user.time_zone if user is not None else None)
        await say(context, user_id, lib.text("free_text_symptoms", number=number))
        return
    if not known:
        await say(context, user_id, *start_pointer(lib))
        return
    if topic is not Topic.PAIN:
        await say(context, user_id, lib.text("free_text_idle"))
        return
    now = context.services.clock()
    async with context.services.transaction() as uow:
        refusal = await refusal_for(uow, context, user_id, now)
        profile = await uow.profiles.get(user_id)
        status = await today_status_of(uow, user_id, now)
    if refusal is not None or profile is None:
        await send_refusal(context, user_id, refusal or Refusal(Access.NO_PROFILE))
        return
    severe = mobility_only(answers_from_profile(profile))
    await say(context, user_id, *pain_reply(lib, pain_pointer(status, mobility_only=severe)))


def pain_reply(lib: Library, pointer: PainPointer) -> tuple[str, InlineKeyboardMarkup]:
    """Today's way in for a back that hurts, the article's advice on pain, and the warning signs."""
    rules = lib.rules

    def listed(lines: tuple[str, ...]) -> str:
        return "\n".join(f"• {html.escape(line)}" for line in lines)

    today = lib.text(f"free_text_pain_{pointer.value}", minutes=stretch_minutes(lib.exercises))
    text = lib.text(
        "free_text_pain",
        today=today,
        during=listed(rules.during_exercise),
        avoid=listed(rules.avoid_when_in_pain),
    )
    buttons = [[button(lib.text("btn_stretch"), Menu("go", "stretch"))]]
    if pointer is not PainPointer.STRETCH:
        buttons.append([button(lib.text("btn_today"), Menu("go", "today"))])
    return text + "\n\n" + lib.text("cauda_equina_line"), rows(*buttons)


async def on_unknown_command(update: Update, context: LumbarContext) -> None:
    """Answer a command this bot does not have with the command list."""
    assert update.effective_chat is not None
    lib = context.library
    await say(
        context, update.effective_chat.id, f"{lib.text('unknown_command')}\n\n{help_text(lib)}"
    )


async def on_unsupported(update: Update, context: LumbarContext) -> None:
    """Stickers, voice notes, photos and the like get a friendly pointer, not silence."""
    assert update.effective_chat is not None
    await say(context, update.effective_chat.id, context.library.text("unsupported_message"))


async def on_group_command(update: Update, context: LumbarContext) -> None:
    """In a group, answer once that health coaching happens in a private chat; store nothing.

    Edited messages, channel posts and commands meant for another bot get no answer.
    """
    chat, message = update.effective_chat, update.message
    if chat is None or message is None or chat.type == ChatType.CHANNEL:
        return
    command = (message.text or message.caption or "").split(maxsplit=1)[0]
    _, _, addressee = command.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    await say(context, chat.id, context.library.text("group_only_private"))


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
            elif status == ChatMember.MEMBER:
                await welcome_back(uow, chat.id, now)
        return
    was_in = change.old_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
    is_in = status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
    if is_in and not was_in and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await say(context, chat.id, context.library.text("group_only_private"))


async def on_any_update(update: Update, context: LumbarContext) -> None:
    """Before every handler: the update's language, and a blocked user who writes again.

    The language (``bot.coach.language``) is resolved once here for every handler of
    the update (``context.library``), from the language cache; a user it does not know
    costs one small read. A user who had blocked the bot and writes again is back: their
    nudges are scheduled again (``welcome_back``; for everyone else one read, which also
    fills the cache). A membership change is left to ``on_my_chat_member``, which knows
    the status.
    """
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    stored = services.languages.get(user.id) if user is not None else None
    # Only a message can come from someone who blocked the bot: pressing a button needs
    # the chat open, and unblocking sends the member update. Presses skip this read.
    returning = chat is not None and chat.type == ChatType.PRIVATE and update.message is not None
    if returning or stored is MISSING:
        try:
            async with services.transaction() as uow:
                if returning:
                    assert chat is not None
                    await welcome_back(uow, chat.id, services.clock())  # reads the user row
                if user is not None and services.languages.get(user.id) is MISSING:
                    await uow.users.language_of(user.id)  # the cache hears the answer
        except Exception as error:  # the handler meets the same database and apologises once
            log.warning("could not read the user's row (%s)", type(error).__name__)
    context.language = language_of_update(update, context)


def language_of_update(update: Update, context: LumbarContext) -> str:
    """The update's language from what is known without the database (cache, Telegram)."""
    user = update.effective_user
    if user is None:
        return choose_language(None, None, context.services.libraries)
    stored = context.services.languages.get(user.id)
    known = None if stored is MISSING else stored
    return choose_language(known, user.language_code, context.services.libraries)


async def on_error(update: object, context: LumbarContext) -> None:
    """Log each unexpected error once (update id and code location, never text) and apologise."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    what = f"update {update_id}" if update_id is not None else "a job"
    if error is None:
        return
    kind = classify_error(error)
    metrics_of(context.bot_data).update_failed(kind)
    if kind == "blocked":
        log.info("%s: the user blocked the bot", what)
        return
    if kind == "database":
        log.error("%s failed: the database is unavailable (%s)", what, type(error).__name__)
    elif kind == "telegram":
        log.error("%s failed: a Bot API call did not go through (%s)", what, describe_error(error))
    else:
        log.error("%s failed: %s", what, describe_error(error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    key = "error_database" if kind == "database" else "error_generic"
    # PTB hands the error handler a context of its own: the language again, from memory.
    context.language = language_of_update(update, context)
    try:
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        await say(context, update.effective_chat.id, context.library.text(key))
    except Exception as apology_error:  # Telegram may be down too; the error is logged above
        log.warning("%s: could not send the apology (%s)", what, type(apology_error).__name__)


def classify_error(error: BaseException) -> str:
    """Sort an error: "blocked", "database" (unreachable), "telegram" (after retries), or "bug"."""
    from sqlalchemy.exc import (
        DBAPIError,
        DisconnectionError,
        InterfaceError,
        OperationalError,
        StatementError,
    )
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    if isinstance(error, Forbidden):
        return "blocked"
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)):
        return "database"
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated or _unavailable_state(error.orig)
    ):
        return "database"
    if isinstance(error, StatementError) and isinstance(error.orig, (OSError, TimeoutError)):
        return "database"  # a driver's timeout or socket error, wrapped with its statement
    if isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest):
        return "telegram"
    if isinstance(error, (OSError, TimeoutError)) and _raised_by_database_driver(error):
        return "database"  # asyncpg lets connection errors and its timeouts through unwrapped
    return "bug"


# PostgreSQL error classes that say the server is unreachable or gave up, not that the
# statement was wrong: connection (08), resources (53), shut down or statement timed out
# (57), and a session ended for idling in a transaction or a lock wait timed out.
_UNAVAILABLE_CLASSES = ("08", "53", "57")
_UNAVAILABLE_STATES = ("25P03", "55P03")


def _unavailable_state(driver_error: object) -> bool:
    state = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    return isinstance(state, str) and (
        state.startswith(_UNAVAILABLE_CLASSES) or state in _UNAVAILABLE_STATES
    )


def _raised_by_database_driver(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any(part in frame.filename for frame in frames for part in ("/sqlalchemy/", "/asyncpg/"))
