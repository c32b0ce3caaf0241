"""`/progress`: streak, this week, water today, and a heatmap of the last weeks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import Update

from bot.coach.streak import StreakState, current_streak
from bot.handlers.common import say, zone
from bot.pictures import render_heatmap
from bot.services import LumbarContext

WEEKS = 8


async def cmd_progress(update: Update, context: LumbarContext) -> None:
    """Show the streak and a calendar picture; figures come from indexed per-user queries."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    now = context.services.clock()
    async with context.services.transaction() as uow:
        user = await uow.users.seen(user_id, None, now)
        today = now.astimezone(zone(user.time_zone)).date()
        row = await uow.streaks.get(user_id)
        monday = today - timedelta(days=today.weekday())
        week = await uow.workouts.finished_count_between(user_id, monday, today)
        water = await uow.water.count_on(user_id, today)
        days = await uow.streaks.days_between(user_id, today - timedelta(weeks=WEEKS), today)
    state = StreakState(
        current=row.current if row else 0,
        best=row.best if row else 0,
        last_on=row.last_on if row else None,
        rest_on=row.rest_on if row else None,
    )
    text = lib.text(
        "progress", streak=current_streak(state, today), best=state.best, week=week, water=water
    )
    if not days:
        await say(context, user_id, text + "\n\n" + lib.text("progress_empty"))
        return
    picture = await asyncio.to_thread(render_heatmap, days, today, WEEKS, lib.text("heatmap_title"))
    await context.services.pictures.send_drawn(context.bot, user_id, picture, text)
