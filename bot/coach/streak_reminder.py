"""The evening streak reminder: which nudge of a day says the streak is at risk.

It rides on a nudge the user gets anyway, never a message of its own, so it keeps
to their reminder times, switches, pauses and quiet hours. The rules:

* only for someone who gets stretch reminders (all reminders on, stretch on, not
  paused at the time), and only when the streak is at risk that day
  (``bot.coach.streak.at_risk``);
* the day's carrier time (``carrier_at``) is the last stretch nudge of the local
  day whose wall time is in waking hours and outside quiet hours (its button starts
  a stretch that keeps the streak); on a day without one (weekends, by default) it
  is the last water nudge before local midnight; no such nudge, no reminder;
* the first stretch or water nudge due at or after that time on the same local day,
  inside waking hours and outside quiet hours, carries it (so a carrier that was
  skipped, stale or snoozed hands over to the next nudge of that evening);
* at most one a local day: ``reminded_on`` is the local day of the last one.

Days are the user's local calendar days at the nudge's due instant; wall times in a
daylight-saving gap fire at the end of the gap and repeated ones at their first
occurrence, as the nudges themselves do (``bot.coach.nudges``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.coach.nudges import (
    NudgePrefs,
    day_allowed,
    in_quiet_hours,
    in_waking_hours,
    resolve_local,
    water_slots,
)
from bot.coach.streak import StreakState, at_risk

CARRIER_KINDS = ("stretch", "water")


def _fits(wall: datetime, prefs: NudgePrefs) -> bool:
    """In waking hours and outside quiet hours."""
    t = wall.time()
    return in_waking_hours(t, prefs.wake_start, prefs.wake_end) and not in_quiet_hours(
        t, prefs.quiet_start, prefs.quiet_end
    )


def _latest_on(
    day: date, walls: Iterator[datetime], prefs: NudgePrefs, zone: ZoneInfo
) -> datetime | None:
    """The latest instant of these wall times that falls on local ``day`` and still fits.

    A wall time in a daylight-saving gap moves to the end of the gap, which may be on
    another side of quiet or waking hours (or of midnight): the moved time must fit too.
    """
    latest = None
    for wall in walls:
        if not _fits(wall, prefs):
            continue
        at = resolve_local(wall, zone)
        local = at.astimezone(zone).replace(tzinfo=None)
        if local.date() == day and _fits(local, prefs) and (latest is None or at > latest):
            latest = at
    return latest


def carrier_at(prefs: NudgePrefs, zone: ZoneInfo, day: date) -> datetime | None:
    """The instant (UTC) from which a nudge on local ``day`` may carry the reminder."""
    if not (prefs.enabled and prefs.stretch_enabled):
        return None
    if day_allowed(prefs.stretch_days, day):
        walls = (datetime.combine(day, t) for t in sorted(set(prefs.stretch_times)))
        stretch = _latest_on(day, walls, prefs, zone)
        if stretch is not None:
            return stretch
    if not prefs.water_enabled:
        return None
    water = (
        wall
        for start in (day - timedelta(days=1), day)
        for wall in water_slots(prefs, start)
        if wall.date() == day
    )
    return _latest_on(day, water, prefs, zone)


def carries_reminder(
    kind: str,
    due_at: datetime,
    prefs: NudgePrefs,
    zone: ZoneInfo,
    state: StreakState,
    reminded_on: date | None,
) -> bool:
    """Whether this nudge, due at ``due_at`` (aware), should say the streak is at risk."""
    if kind not in CARRIER_KINDS:
        return False
    if prefs.paused_until is not None and prefs.paused_until > due_at:
        return False
    local = due_at.astimezone(zone)
    day = local.date()
    if reminded_on is not None and reminded_on >= day:
        return False
    if not _fits(local.replace(tzinfo=None), prefs) or not at_risk(state, day):
        return False
    start = carrier_at(prefs, zone, day)
    return start is not None and due_at >= start
