"""A press on a session card: one transaction to decide and store, then one edit.

The rules are in ``bot.coach.press``. Here a press reads what it needs in one query,
writes the answer (a compare-and-set on the position and the answer row, one statement
on PostgreSQL), and the session's message turns into what comes next in place: the next
card (``editMessageMedia``), the gentler offer or the summary (``editMessageCaption``).
Besides ``answerCallbackQuery`` that is the one chat-bound call a press costs.

The answer that ends the session closes it in the same compare-and-set; the read
brought the streak and the answers so far, so the summary costs only the day and the
streak written (the rest-day rule noted with the streak). Once the summary is on
screen, a second small transaction notes that "how does your back feel?" went out:
only after the edit, so a summary that never arrived is drawn again (``/today``, or
the press delivered again).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.access import access_from
from bot.callbacks import CardAnswer
from bot.cards import CAPTION_LIMIT, headed
from bot.coach.plan import PlannedCard
from bot.coach.press import Action, Decision, SessionView, Shows, Step, decide
from bot.coach.safety_net import Verdict
from bot.coach.triage import Access
from bot.handlers.common import answer_query, remove_buttons, zone
from bot.handlers.gate import Refusal, refusal_for, send_refusal
from bot.handlers.session import (
    CardToSend,
    card_caption,
    card_name,
    card_to_send,
    feeling_buttons,
    file_ids,
    finish_session,
    gentler_for,
    insert_gentler,
    resting_ids_on,
    step_back,
    stored_summary,
    summary_text,
)
from bot.keyboards import button, card_buttons, rows
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from db.repositories.workouts import PressRow


@dataclass(frozen=True, slots=True)
class Drawing:
    """What the session's message turns into: a card (with its picture) or a caption."""

    caption: str
    markup: InlineKeyboardMarkup
    exercise_id: str | None = None  # a card: the picture changes too
    ended: bool = False  # the summary: "how does your back feel?" is on show now
    net: Verdict = Verdict.STAY  # what the safety net made of a session ended by pain


async def on_card_answer(update: Update, context: LumbarContext, data: CardAnswer) -> None:
    """Decide the press in one transaction, then answer it and redraw the message once."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    message_id = query.message.message_id if query.message else None
    refusal: Refusal | None = None
    drawing: Drawing | None = None
    lost_race = False
    async with context.services.transaction() as uow:
        row = await uow.workouts.for_press(data.workout_id)
        if row is not None:
            uow.streaks.hold(row.workout.user_id, row.streak)  # read with the workout
        view = _view(row, user_id, message_id)
        decision = decide(view, Action(data.action), data.position, allowed=_allowed(row))
        if decision.step is Step.REFUSED:
            refusal = await refusal_for(uow, context, user_id, now)
        elif decision.step is not Step.STALE and row is not None:
            if decision.step is Step.RECORD:
                lost_race = not await _record(uow, row, data, decision, now, update.update_id)
            if not lost_race:
                drawing = await _prepare(uow, context, row, decision, data, now)
    if refusal is not None:
        await answer_query(update)
        if refusal.access is Access.BLOCKED and message_id not in refusal.closed_cards:
            await remove_buttons(context, user_id, message_id)
        await send_refusal(context, user_id, refusal)
        return
    if drawing is None:
        await answer_query(update, lib.text("stale_button"))
        if not lost_race and not view.live:  # never the live card: it is still in use
            await remove_buttons(context, user_id, message_id)
        return
    await answer_query(update)
    assert message_id is not None  # a drawing is only ever made for the live message
    await _draw(context, user_id, message_id, drawing)
    if drawing.ended:
        async with context.services.transaction() as uow:
            await uow.workouts.mark_feeling_asked(data.workout_id, now)
    if drawing.net.steps_back:
        await step_back(context, user_id, drawing.net)


def _view(row: PressRow | None, user_id: int, message_id: int | None) -> SessionView:
    if row is None or row.workout.user_id != user_id:
        return SessionView(False, False, False, False, 0, 0, 0)
    workout = row.workout
    return SessionView(
        owned=True,
        live=message_id is not None and workout.card_message_id == message_id,
        finished=workout.finished_at is not None,
        summary_owed=workout.finished_at is not None and workout.feeling_asked_at is None,
        position=workout.position,
        cards=len(workout.plan),
        hurts=workout.hurts,
        last_hurt=row.last_outcome == "hurt",
    )


def _allowed(row: PressRow | None) -> bool:
    """The gate, from the row already read (``refusal_for`` reads again only to refuse)."""
    if row is None:
        return True  # nothing to refuse: the press is stale
    return access_from(row.profile, row.check_step) is Access.ALLOWED


async def _record(
    uow: UnitOfWork,
    row: PressRow,
    data: CardAnswer,
    decision: Decision,
    now: datetime,
    update_id: int,
) -> bool:
    """Store the answer; False when another press got there first (a double tap).

    The answer that ends the session closes it in the same compare-and-set.
    """
    workout = row.workout
    card = PlannedCard.from_json(workout.plan[data.position])
    assert decision.outcome is not None
    moved = await uow.workouts.answer(
        workout.id,
        workout.user_id,
        data.position,
        (card.exercise_id, card.variant_id),
        decision.outcome,
        now,
        update_id,
        finish=decision.finish,
        ended_early=decision.early,
    )
    if not moved:
        return False
    if decision.outcome == "hurt":
        today = now.astimezone(zone(row.time_zone)).date()
        await uow.progress.mark_hurt(workout.user_id, card.exercise_id, today, now)
    return True


async def _prepare(
    uow: UnitOfWork,
    context: LumbarContext,
    row: PressRow,
    decision: Decision,
    data: CardAnswer,
    now: datetime,
) -> Drawing | None:
    """Carry out the rest of the decision inside the transaction and compose the drawing."""
    workout, profile = row.workout, row.profile
    lib = context.library
    # The card on show after this press: an answer moves one on; nothing else moves.
    position = data.position + 1 if decision.step is Step.RECORD else workout.position
    if decision.shows is Shows.SUMMARY:
        today = now.astimezone(zone(row.time_zone)).date()
        # The answers so far, with this press's (read with the workout: no query).
        counts = (
            row.done + (decision.outcome == "done"),
            row.skipped + (decision.outcome == "skipped"),
        )
        ended = None
        if decision.finish:
            ended = await finish_session(
                uow,
                context,
                workout,
                now,
                today,
                early=decision.early,
                closed=decision.step is Step.RECORD,  # closed by _record's compare-and-set
                counts=counts,
            )
        if ended is None and workout.finished_at is None:
            return None  # another press finished it this moment and draws the summary
        summary = (
            ended.summary if ended else await stored_summary(uow, context, workout, today, counts)
        )
        hurt_name = _hurt_name(context, workout.plan, position - 1) if decision.early else None
        return Drawing(
            summary_text(
                lib,
                summary,
                early=decision.early or workout.ended_early,
                hurt_name=hurt_name,
                limit=CAPTION_LIMIT,
            ),
            feeling_buttons(lib, workout.id),
            ended=True,
            net=ended.net if ended else Verdict.STAY,
        )
    if decision.shows is Shows.OFFER:
        return await _offer(uow, context, row, position)
    if decision.step is Step.GENTLER:
        await insert_gentler(uow, context, workout, profile, position)
    item = card_to_send(workout, profile, position)
    if item is None:
        return None
    note = None
    if decision.step is Step.RECORD and decision.outcome is not None:
        answered = {"done": "answered_done", "skipped": "answered_skip", "hurt": "answered_hurt"}
        previous = card_name(context, PlannedCard.from_json(workout.plan[data.position]))
        note = f"{lib.text(answered[decision.outcome])} — {html.escape(previous)}"
    return Drawing(
        _card_caption(context, item, note),
        card_buttons(lib.texts, workout.id, item.position),
        exercise_id=item.card.exercise_id,
    )


async def _offer(uow: UnitOfWork, context: LumbarContext, row: PressRow, position: int) -> Drawing:
    """After "It hurts": stop that one, offer a gentler one, or go on (or finish)."""
    lib = context.library
    workout = row.workout
    hurt = PlannedCard.from_json(workout.plan[position - 1])
    resting = await resting_ids_on(uow, workout.user_id, workout.local_on)
    gentler = gentler_for(context, workout, row.profile, hurt, resting)
    text = lib.text("hurt_ack", name=html.escape(card_name(context, hurt)))
    buttons = []
    if gentler is not None:
        name = card_name(context, gentler)
        text += "\n\n" + lib.text("hurt_offer", gentler=html.escape(name))
        choice = CardAnswer(workout.id, position, "gentler")
        buttons.append([button(lib.text("btn_gentler", gentler=name[:40]), choice)])
    else:
        text += "\n\n" + lib.text("hurt_no_gentler")
    label = "btn_finish" if position >= len(workout.plan) else "btn_next"
    buttons.append([button(lib.text(label), CardAnswer(workout.id, position, "next"))])
    return Drawing(text, rows(*buttons))


def _hurt_name(context: LumbarContext, plan: list[dict[str, Any]], index: int) -> str | None:
    if 0 <= index < len(plan):
        return card_name(context, PlannedCard.from_json(plan[index]))
    return None


def _card_caption(context: LumbarContext, item: CardToSend, note: str | None) -> str:
    """The card, under a line saying what was just answered (dropped if it would not fit)."""
    text = card_caption(context, item).text
    return (headed(f"<i>{note}</i>", text) if note else None) or text


async def _draw(context: LumbarContext, user_id: int, message_id: int, drawing: Drawing) -> None:
    """The one chat-bound call of a press; drawing what is already there is fine."""
    services = context.services
    if drawing.exercise_id is not None:
        lookup, store = file_ids(services)
        await services.pictures.show(
            context.bot,
            user_id,
            message_id,
            drawing.exercise_id,
            drawing.caption,
            drawing.markup,
            lookup=lookup,
            store=store,
            library=context.library,
        )
        return
    try:
        await context.bot.edit_message_caption(
            chat_id=user_id,
            message_id=message_id,
            caption=drawing.caption,
            parse_mode="HTML",
            reply_markup=drawing.markup,
        )
    except BadRequest as error:
        if "not modified" not in error.message:
            raise
