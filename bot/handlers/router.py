"""Routes decoded button presses and free text to the handler that owns them."""

from __future__ import annotations

from telegram import Message, Update

from bot import callbacks
from bot.handlers import (
    basic,
    card_press,
    checkin,
    clearance,
    privacy,
    reminders,
    session,
    settings,
    triage,
)
from bot.handlers.common import answer_query, close_press, first_name, has_consented, say
from bot.services import LumbarContext


async def on_button(update: Update, context: LumbarContext) -> None:
    """Decode the callback data; anything this version did not produce is answered as stale.

    The person who pressed (``from_user``) is the one acted for, and only on a message of
    their own private chat: a press without one (an inline message, an inaccessible or
    someone else's message) changes nothing and edits nothing.
    """
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    if not pressed_in_own_chat(update):
        await answer_query(update, context.library.text("stale_button"))
        return
    data = callbacks.decode(query.data)
    match data:
        case callbacks.TriageAnswer():
            if await triage.on_triage_answer(update, context, data):  # the plan confirmed
                await session.start_session(context, update.effective_user.id, "today")
        case callbacks.CardAnswer():
            await card_press.on_card_answer(update, context, data)
        case callbacks.Feeling():
            await session.on_feeling(update, context, data)
        case callbacks.NudgeAction():
            await reminders.on_nudge_button(update, context, data)
        case callbacks.CheckInAnswer():
            await checkin.on_checkin_button(update, context, data)
        case callbacks.Menu(screen="rem", arg=arg):
            await reminders.on_reminders_button(update, context, arg)
        case callbacks.Menu(screen="forget", arg=arg):
            await privacy.on_forget_answer(update, context, arg)
        case callbacks.Menu(screen="clear", arg=arg):
            await clearance.on_clearance(update, context, arg)
        case callbacks.Menu(screen="set", arg=arg):
            await settings.on_settings_button(update, context, arg)
        case callbacks.Menu(screen="lang", arg=arg):
            await settings.on_language_choice(update, context, arg)
        case callbacks.Menu(screen="go", arg=arg) if arg in ("today", "stretch", "triage"):
            await close_press(update, context)
            if arg == "triage":
                await triage.cmd_triage(update, context)
            else:
                await session.start_session(context, update.effective_user.id, arg)
        case _:
            await close_press(update, context, context.library.text("stale_button"))


def pressed_in_own_chat(update: Update) -> bool:
    """Whether a press came on a message the bot can see, in the presser's private chat."""
    query = update.callback_query
    if query is None:
        return False
    message = query.message
    # PTB parses an inaccessible message (date 0: deleted, or too old) as a Message too.
    return (
        isinstance(message, Message)
        and message.is_accessible
        and message.chat.id == query.from_user.id
    )


async def on_text(update: Update, context: LumbarContext) -> None:
    """Free text: a triage answer, a reminder setting being typed, or a friendly pointer."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    async with context.services.transaction() as uow:
        state = await uow.triage.get_state(user_id)
        known = await has_consented(uow, user_id)
    if state is not None and state.step.startswith("await_"):
        await reminders.on_reminders_text(update, context, state.step)
        return
    if await triage.on_triage_text(update, context):
        return
    await basic.on_free_text(update, context, known=known)


async def cmd_start(update: Update, context: LumbarContext) -> None:
    """/start: the check (begun or resumed), a stop's advice, or a welcome back to today."""
    assert update.effective_user is not None
    if await triage.cmd_start(update, context):
        user_id = update.effective_user.id
        name = first_name(update, context.library)
        reply = await session.welcome_back_reply(context, user_id, name)
        await say(context, user_id, *reply)


async def cmd_cancel(update: Update, context: LumbarContext) -> None:
    """Leave whatever is running: triage, a typed setting, or the current session."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    if await triage.cancel_triage(context, user_id):
        return
    if await session.pause_session(context, user_id):
        return
    await say(context, user_id, lib.text("nothing_to_cancel"))
