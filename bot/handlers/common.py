"""Small helpers shared by the handlers: who is asking, replies, local time."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.coach.triage import Access, Experience, PainDuration, TriageAnswers
from bot.coach.triage import exercise_access as coach_access
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Equipment
from db.models import Profile

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def first_name(update: Update) -> str:
    """The user's first name, escaped for HTML."""
    user = update.effective_user
    return html.escape(user.first_name) if user and user.first_name else "there"


def zone(name: str) -> ZoneInfo:
    """The user's zone, falling back to UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(context: LumbarContext, zone_name: str) -> datetime:
    """The current time in the user's zone, from the injected clock."""
    return context.services.clock().astimezone(zone(zone_name))


async def say(
    context: LumbarContext, chat_id: int, text: str, markup: Markup | None = None
) -> Message:
    """Send an HTML message."""
    return await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)


async def remove_buttons(context: LumbarContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an answered message; an already-bare message is fine."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        message = error.message.lower()
        if not any(known in message for known in ("not modified", "not found", "can't be edited")):
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


def answers_from_profile(profile: Profile) -> TriageAnswers:
    """The coach's view of a stored profile."""
    return TriageAnswers(
        red_flags=frozenset(profile.red_flag_ids),
        contraindications=frozenset(profile.contraindication_ids),
        pain_now=profile.pain_now,
        pain_duration=PainDuration(profile.pain_duration),
        experience=Experience(profile.experience),
        equipment=frozenset(Equipment(item) for item in profile.equipment),
        cleared=frozenset(profile.cleared_ids),
        pregnant=profile.pregnant,
    )


async def close_press(update: Update, context: LumbarContext, text: str | None = None) -> None:
    """Acknowledge a button press and take the buttons off its message, so it is answered once."""
    await answer_query(update, text)
    query = update.callback_query
    if query is not None and query.message is not None:
        await remove_buttons(context, query.message.chat.id, query.message.message_id)


async def exercise_access(uow: UnitOfWork, user_id: int) -> Access:
    """Read the profile and any open check, and ask the coach whether exercise may be offered."""
    profile = await uow.profiles.get(user_id)
    state = await uow.triage.get_state(user_id)
    check_open = state is not None and is_check_step(state.step)
    answers = answers_from_profile(profile) if profile is not None else None
    return coach_access(answers, check_open=check_open)


def is_check_step(step: str) -> bool:
    """A stored triage step that belongs to the safety check, not a typed setting."""
    return not step.startswith("await_") and step != "zone_only"
