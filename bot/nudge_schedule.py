"""When each of a user's nudges is next due, recomputed from their settings and safety.

Every change that can move a nudge (settings, time zone, a finished or redone
check, a new flag, a clearance, a check-in begun) calls ``reschedule`` in its own
transaction, so the dispatcher only ever reads due times from the database.

The weekly check-in nudge goes to people with a profile whose exercise is
allowed and whose reminders are on (``enabled``; it has no switch of its own),
on their check-in weekday and time, at least six days after their last check-in
began, once they have a baseline (taken at the end of the safety check). Someone
told to see a doctor first gets none (the check-in is about the plan's
progress); someone with reminders off is asked at ``/today`` instead.
"""

from __future__ import annotations

from datetime import datetime

from bot.access import exercise_access
from bot.coach.triage import Access
from bot.scheduler import next_due, prefs_from_settings
from bot.uow import UnitOfWork


async def reschedule(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    """Recompute every kind of nudge in the user's zone; stretch and check-in only if allowed."""
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
    latest = await uow.checkins.latest(user_id)
    if latest is None:
        return  # no baseline yet: it comes at the end of the safety check, then the weekly ones
    checkin = None
    if allowed and await uow.profiles.get(user_id) is not None:
        checkin = next_due("checkin", prefs, zone_name, now, latest.started_at)
    await uow.nudges.schedule(user_id, "checkin", checkin)
