"""When each of a user's nudges is next due, recomputed from their settings and safety.

Every change that can move a nudge (settings, time zone, a finished or redone
check, a new flag, a clearance, a check-in begun, a blocked user coming back) calls
``reschedule`` in its own transaction, so the dispatcher only ever reads due times
from the database.

The weekly check-in nudge goes to people with a profile whose exercise is
allowed and whose reminders are on (``enabled``; it has no switch of its own),
on their check-in weekday and time, at least six days after their last check-in
began, once they have a baseline (taken at the end of the safety check). Someone
told to see a doctor first gets none (the check-in is about the plan's
progress); someone with reminders off is asked at ``/today`` instead.
"""

from __future__ import annotations

from datetime import datetime

from bot.access import emergency_open, exercise_access
from bot.coach.triage import Access
from bot.scheduler import next_due, prefs_from_settings
from bot.uow import UnitOfWork


async def reschedule(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    """Recompute every kind of nudge in the user's zone; stretch and check-in only if allowed.

    Nothing is due before the first check is done (no profile), and no water while an
    emergency no doctor has cleared is open: the dispatcher's safety rules, kept here too.
    """
    settings = await uow.nudges.get_settings(user_id)
    if settings is None:
        return
    profile = await uow.profiles.get(user_id)
    if profile is None:
        await uow.nudges.unschedule_all(user_id)  # writes no row where there is none
        return
    user = await uow.users.get(user_id)
    zone_name = user.time_zone if user else "UTC"
    prefs = prefs_from_settings(settings)
    allowed = await exercise_access(uow, user_id) is Access.ALLOWED
    stretch = next_due("stretch", prefs, zone_name, now) if allowed else None
    water = None if emergency_open(profile) else next_due("water", prefs, zone_name, now)
    await uow.nudges.schedule(user_id, "stretch", stretch)
    await uow.nudges.schedule(user_id, "water", water)
    latest = await uow.checkins.latest(user_id)
    if latest is None:
        return  # no baseline yet: it comes at the end of the safety check, then the weekly ones
    checkin = next_due("checkin", prefs, zone_name, now, latest.started_at) if allowed else None
    await uow.nudges.schedule(user_id, "checkin", checkin)


async def welcome_back(uow: UnitOfWork, user_id: int, now: datetime) -> bool:
    """A user who had blocked the bot is back: clear the mark, schedule their nudges again.

    Blocking cleared every due time (``mark_blocked``); they come back from the current
    settings and safety state, from ``now`` on. False (and nothing written) otherwise.
    """
    user = await uow.users.get(user_id)
    if user is None or user.blocked_at is None:
        return False
    await uow.users.unblock(user_id, now)
    await reschedule(uow, user_id, now)
    return True
