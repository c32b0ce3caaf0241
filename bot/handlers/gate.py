"""The one gate before any exercise: a refusal to send instead, or nothing.

Every path that could hand out exercise (``/today``, ``/stretch``, a card's
buttons, a nudge's buttons, a snooze) asks ``refusal_for`` in its transaction
and, when refused, sends ``send_refusal`` after it: the advice for a blocked
user, the open safety check, or the way to start one. Paths that would store
something about the user (reminders, settings, progress, a glass of water) ask
``consent_refusal`` first: before consent nothing is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.callbacks import Menu
from bot.coach.triage import Access
from bot.handlers.common import (
    answers_from_profile,
    exercise_access,
    has_consented,
    is_check_step,
    remove_card_buttons,
    say,
    start_pointer,
)
from bot.handlers.safety import blocked_reply
from bot.handlers.triage import resume_triage
from bot.keyboards import button, rows
from bot.services import LumbarContext
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why no exercise is offered now; a blocked user's advice and closed cards come ready."""

    access: Access
    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    closed_cards: tuple[int, ...] = ()


async def refusal_for(
    uow: UnitOfWork, context: LumbarContext, user_id: int, now: datetime
) -> Refusal | None:
    """Ask the one gate; None when exercise may be offered.

    A blocked user's open sessions are closed here too, so a card that slipped past
    the moment of the block (or predates this rule) stops working at its first press.
    """
    access = await exercise_access(uow, user_id)
    if access is Access.ALLOWED:
        return None
    if access is not Access.BLOCKED:
        return Refusal(access)
    profile = await uow.profiles.get(user_id)
    user = await uow.users.get(user_id)
    assert profile is not None  # only a stored profile can be blocked
    text, markup = blocked_reply(
        context.library,
        answers_from_profile(profile),
        user.time_zone if user is not None else None,
        flagged_at=profile.flagged_at,
        now=now,
    )
    closed = await close_open_sessions(context, uow, user_id, now)
    return Refusal(access, text, markup, tuple(closed))


async def consent_refusal(uow: UnitOfWork, context: LumbarContext, user_id: int) -> Refusal | None:
    """None once the user agreed; before that, back to their check or the way to /start.

    Reads only: someone who has not agreed leaves no row behind by asking.
    """
    if await has_consented(uow, user_id):
        return None
    state = await uow.triage.get_state(user_id)
    if state is not None and is_check_step(state.step):
        return Refusal(Access.CHECK_OPEN)
    text, markup = start_pointer(context.library)
    return Refusal(Access.NO_PROFILE, text, markup)


async def send_refusal(context: LumbarContext, user_id: int, refusal: Refusal) -> None:
    """Answer for the gate: the advice, the open safety check, or the way to start it."""
    lib = context.library
    await remove_card_buttons(context, user_id, refusal.closed_cards)
    if refusal.access is Access.BLOCKED and refusal.text is not None:
        await say(context, user_id, refusal.text, refusal.markup)
    elif refusal.access is Access.CHECK_OPEN:
        await resume_triage(context, user_id)
    elif refusal.text is not None:
        await say(context, user_id, refusal.text, refusal.markup)
    else:
        await say(
            context,
            user_id,
            lib.text("need_triage"),
            rows([button(lib.text("btn_start_check"), Menu("go", "triage"))]),
        )


async def close_open_sessions(
    context: LumbarContext, uow: UnitOfWork, user_id: int, now: datetime
) -> list[int]:
    """End every open session of a user who may no longer exercise; their card message ids.

    Call it in the transaction that blocks the user. Each session ends early at
    ``now`` and counts no streak day. Once the transaction has committed, take the
    buttons off the returned messages (``remove_card_buttons``); a press that still
    reaches a closed card is answered with the advice, or as stale once cleared.
    """
    closed = await uow.workouts.close_open(user_id, now)
    if closed:
        log.info("closed %d open card(s) of a user who may no longer exercise", len(closed))
    return closed
