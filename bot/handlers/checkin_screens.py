"""The check-in's questions as a user sees them, and the baseline after the first session.

Kept apart from ``bot.handlers.checkin`` (answers and the trend's moves) so the
safety check can hand over to the baseline without the two importing each other.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CheckInAnswer
from bot.coach.checkin_flow import (
    DONE,
    NONE,
    PICK,
    SKIP,
    CheckInKind,
    CheckInState,
    CheckInStep,
    after_skip,
    baseline_due,
    current_activity,
    next_step,
    pickable,
    question_index,
    rate_value,
)
from bot.handlers.common import say, zone
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import CheckIn, Profile


@dataclass(frozen=True, slots=True)
class Ask:
    """A question to send once the transaction has closed."""

    checkin_id: int
    state: CheckInState
    intro: str | None = None


async def begin_baseline(
    uow: UnitOfWork, lib: Library, profile: Profile, time_zone: str, now: datetime
) -> Ask | None:
    """After a session (in its feeling answer's transaction): the baseline, when it is due.

    It takes the check's pain, then asks the rest (send the returned question once the
    transaction has closed). Asked once a check (``bot.coach.checkin_flow.baseline_due``);
    the caller asks only someone who may exercise.
    """
    latest, checkin_open = await uow.checkins.latest_and_open(profile.user_id)
    if not baseline_due(
        check_done_at=profile.completed_at,
        latest_started_at=latest.started_at if latest is not None else None,
        checkin_open=checkin_open,
    ):
        return None
    today = now.astimezone(zone(time_zone)).date()
    row = await uow.checkins.start(
        profile.user_id, CheckInKind.BASELINE, today, now, profile.phase, pain=profile.pain_now
    )
    await reschedule(uow, profile.user_id, now)
    state = CheckInState(kind=CheckInKind.BASELINE, pain=profile.pain_now)
    return Ask(row.id, state, lib.text("checkin_baseline_intro"))


async def close_open(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    """Close a check-in left open: kept as answered if it has a pain figure, else skipped."""
    open_row = await uow.checkins.open(user_id)
    if open_row is not None:
        await close(uow, open_row, await state_of(uow, open_row), now)


async def close(uow: UnitOfWork, row: CheckIn, state: CheckInState, now: datetime) -> None:
    if after_skip(state) == "complete":
        await uow.checkins.complete(row.id, now)
    else:
        await uow.checkins.skip(row.id, now)


async def state_of(uow: UnitOfWork, row: CheckIn) -> CheckInState:
    """The flow's state for a stored check-in; a weekly one asks the baseline's activities."""
    to_rate: tuple[str, ...] = ()
    if row.kind == CheckInKind.WEEKLY:
        baselines = [r for r in await uow.checkins.history(row.user_id) if r.kind == "baseline"]
        if baselines:
            to_rate = tuple(baselines[-1].activities or {})
    return CheckInState.of(row.kind, row.pain, row.function, row.activities, to_rate)


async def send_question(context: LumbarContext, user_id: int, ask: Ask) -> None:
    text, markup = question(context.library, ask)
    await say(context, user_id, text, markup)


def question(lib: Library, ask: Ask) -> tuple[str, InlineKeyboardMarkup]:
    """The current question's text and buttons (every one has Skip)."""
    content = lib.checkin
    state = ask.state
    step = next_step(state, content)
    index = question_index(state)

    def data(value: str) -> CheckInAnswer:
        return CheckInAnswer(ask.checkin_id, index, value)

    def scale(activity: str | None = None) -> list[list[InlineKeyboardButton]]:
        values = [rate_value(activity, n) if activity else str(n) for n in range(11)]
        buttons = [button(str(n), data(v)) for n, v in enumerate(values)]
        return [buttons[:6], buttons[6:]]

    skip = [button(lib.text("btn_checkin_skip"), data(SKIP))]
    if step is CheckInStep.PAIN:
        text, keys = content.questions.pain, scale()
    elif step is CheckInStep.FUNCTION:
        text, keys = content.questions.function, scale()
    elif step is CheckInStep.RATE:
        activity_id = current_activity(state) or ""
        found = content.activity(activity_id)
        phrase = found.phrase if found else activity_id.replace("_", " ")
        text = content.questions.rate.format(activity=html.escape(phrase))
        keys = scale(activity=activity_id)
    else:
        text = content.questions.pick if not state.ratings else content.questions.pick_more
        picks = [
            button(found.name, data(PICK + found.id))
            for a in pickable(state, content)
            if (found := content.activity(a)) is not None
        ]
        keys = [picks[i : i + 2] for i in range(0, len(picks), 2)]
        end = (DONE, "btn_checkin_done") if state.ratings else (NONE, "btn_checkin_none")
        keys.append([button(lib.text(end[1]), data(end[0]))])
    if ask.intro:
        text = f"{ask.intro}\n\n{text}"
    return text, rows(*keys, skip)
