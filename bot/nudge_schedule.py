"""When each of a user's nudges is next due, recomputed from their settings and safety.

Every change that can move a nudge (settings, time zone, a finished or redone
check, a new flag, a clearance) calls ``reschedule`` in its own transaction, so
the dispatcher only ever reads due times from the database.
"""

from __future__ import annotations

from datetime import datetime

from bot.access import exercise_access
from bot.coach.triage import Access
from bot.scheduler import next_due, prefs_from_settings
from bot.uow import UnitOfWork


async def reschedule(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    """Recompute both kinds of nudge in the user's current zone; no stretch unless allowed."""
    settings = await uow.nudges.get_settings(user_id)
    if settings is None:
        return
    user = await uow.users.get(user_id)
    zone_name = user.time_zone if user else "UTC"
    prefs = prefs_from_settings(settings)
    allowed = await exercise_access(uow, user_id) is Access.ALLOWED
    stretch = next_due("stretch", prefs, zone_name, now) if allowed else None
    await uow.nudges.schedule(user_id, "stretch", stretch)
    await uow.nudges.schedule(user_id, "water", next_due("water", prefs, zone_name, now))
