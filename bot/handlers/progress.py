"""`/progress`: streak, this week, water today, the pain and function trend, and a heatmap."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.coach.streak import StreakState, current_streak
from bot.coach.trend import (
    Point,
    phase_marks,
    points_from_history,
    trend_series,
)
from bot.coach.triage import Access
from bot.handlers.common import exercise_access, say, zone
from bot.handlers.gate import consent_refusal, send_refusal
from bot.handlers.streak_notes import ended_note
from bot.services import LumbarContext
from content.schema import Library

WEEKS = 8


async def cmd_progress(update: Update, context: LumbarContext) -> None:
    """Show the streak and a picture: the trend (after a weekly check-in) above the calendar."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        user = await uow.users.touch(user_id, now) if refusal is None else None
        if user is not None:  # before consent there is nothing to show, and nothing is stored
            today = now.astimezone(zone(user.time_zone)).date()
            row = await uow.streaks.get(user_id)
            ended = await ended_note(uow, lib, row, today, starting=False)  # said once
            monday = today - timedelta(days=today.weekday())
            # The calendar's numbers and "this week" count the same sessions: finished,
            # with at least one exercise done (as the streak counts a day).
            days = await uow.streaks.sessions_by_day(user_id, today - timedelta(weeks=WEEKS), today)
            week = sum(count for day, count in days.items() if day >= monday)
            water = await uow.water.count_on(user_id, today)
            blocked = await exercise_access(uow, user_id) is Access.BLOCKED
            checkins = await uow.checkins.history(user_id)
            moves = await uow.checkins.phase_changes(user_id)
            history = [(c.kind, c.local_on, c.pain, c.function) for c in checkins]
            changes = [(m.local_on, m.from_phase, m.to_phase) for m in moves]
    if user is None:
        assert refusal is not None  # consent needs the user row, read in the same transaction
        await send_refusal(context, user_id, refusal)
        return
    state = StreakState(
        current=row.current if row else 0,
        best=row.best if row else 0,
        last_on=row.last_on if row else None,
        rest_on=row.rest_on if row else None,
    )
    text = lib.text(
        "progress", streak=current_streak(state, today), best=state.best, week=week, water=water
    )
    if ended is not None:
        text += "\n\n" + ended
    points = points_from_history(history)
    # The trend starts with the first weekly check-in: a baseline alone is one dot.
    series = trend_series(points, phase_marks(changes)) if len(points) >= 2 else None
    trend_line = _trend_line(lib, points) if series else lib.text("progress_trend_soon")
    if not days and series is None:
        # No invitation to /today for someone who may not exercise until a doctor has looked.
        empty = lib.text("progress_empty_blocked" if blocked else "progress_empty")
        await say(context, user_id, "\n\n".join((text, empty, trend_line)))
        return
    picture = await context.services.drawing.progress(series, days, today, WEEKS, lib)
    await context.services.pictures.send_drawn(
        context.bot, user_id, picture, text + "\n\n" + trend_line
    )


def _trend_line(lib: Library, points: list[Point]) -> str:
    """One line under the streak: baseline → latest pain (and function), since when."""
    first, last = points[0], points[-1]
    since = lib.day_month(first.on)
    if first.function is None or last.function is None:
        return lib.text("progress_trend_pain", since=since, pain_from=first.pain, pain_to=last.pain)
    return lib.text(
        "progress_trend",
        since=since,
        pain_from=first.pain,
        pain_to=last.pain,
        function_from=first.function,
        function_to=last.function,
    )
