"""A user as a finished triage leaves them, written straight to the database.

The e2e and fault tests start from such users; the flow tests cover the triage itself.
"""

from __future__ import annotations

from datetime import datetime

from bot.coach.nudges import default_prefs
from bot.emulator import FakeUser
from bot.nudge_schedule import reschedule
from bot.uow import UnitOfWork

EVERY_DAY = 0b1111111  # stretch_days: Monday is bit 0


async def seed_finished_triage(
    uow: UnitOfWork,
    user: FakeUser,
    now: datetime,
    *,
    zone: str = "Europe/Berlin",
    reminders: bool = True,
    stretch_days: int | None = None,
) -> None:
    """Store what a finished triage stores, and schedule the nudges as the bot would.

    Pain 2 for some weeks, exercising now and then, with a mat; the default reminders,
    stretching on ``stretch_days`` if given (else the default days), all off without
    ``reminders``.
    """
    prefs = default_prefs()
    await uow.users.seen(user.id, user.language_code, now)
    await uow.users.set_time_zone(user.id, zone, now)
    await uow.users.set_consent(user.id, now)
    await uow.profiles.save(
        user.id,
        now=now,
        pain_now=2,
        pain_duration="weeks",
        experience="some",
        equipment=["mat"],
        phase="building",
    )
    await uow.nudges.save_settings(
        user.id,
        now=now,
        enabled=reminders,
        stretch_enabled=reminders,
        stretch_times=[t.strftime("%H:%M") for t in prefs.stretch_times],
        stretch_days=prefs.stretch_days if stretch_days is None else stretch_days,
        water_enabled=reminders,
        water_interval_minutes=prefs.water_interval_minutes,
    )
    await reschedule(uow, user.id, now)
