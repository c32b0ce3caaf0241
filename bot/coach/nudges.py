"""Nudge timing: when the next stretch or water reminder is due, as a UTC instant.

The dispatcher stores one due instant per user and kind, sends it, then asks
for the next one strictly after the instant it just sent, so nothing is sent
twice and no slot is skipped. Times are the user's local wall-clock times:

* a time inside a spring-forward gap (e.g. 02:30 on the night clocks jump from
  02:00 to 03:00) fires at the first instant after the gap (03:00);
* a time that happens twice in autumn fires once, at its first occurrence;
* nothing fires in quiet hours (which may cross midnight), before
  ``paused_until``, or when the kind or all nudges are turned off;
* water nudges come every ``water_interval_minutes`` from ``wake_start``
  while awake (waking hours may cross midnight too): by default every four
  hours from 08:00, four a day (08:00, 12:00, 16:00, 20:00);
* the weekly check-in comes on ``checkin_weekday`` (Monday 0) at
  ``checkin_time``, local; it keeps to quiet hours and pauses like the rest, and
  never sooner than ``CHECKIN_MIN_GAP`` after the last check-in began (the
  baseline at the end of the safety check, or last week's); ``checkin_slot_due``
  says whether one is due now, for ``/today`` to ask when the nudge was missed
  (or never sent, for someone with reminders off).

A nudge found due long after its time (the bot was down) is skipped, not sent
late (``is_stale``); the dispatcher then asks for the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

WORKDAYS = 0b0011111  # Monday (bit 0) to Friday
ALL_DAYS = 0b1111111
MIN_WATER_INTERVAL_MINUTES = 15
DEFAULT_WATER_INTERVAL_MINUTES = 240  # four a day in the default waking hours, 08:00 to 21:00
STALE_GRACE = timedelta(minutes=30)
SEARCH_DAYS = 9
# Wall times this far before the earliest allowed moment cannot resolve after it (no zone
# moves its clocks back, or skips, more than a few hours at once), so they are not tried.
WALL_MARGIN = timedelta(hours=4)
_DAY = timedelta(days=1)


def suggested_stretch_times() -> tuple[time, ...]:
    """Late morning and mid-afternoon, when desk workers stiffen up."""
    return (time(11, 0), time(15, 30))


@dataclass(frozen=True, slots=True)
class NudgePrefs:
    """A user's reminder settings; times are naive local wall-clock times."""

    enabled: bool = True
    stretch_enabled: bool = True
    stretch_times: tuple[time, ...] = (time(11, 0), time(15, 30))
    stretch_days: int = WORKDAYS
    water_enabled: bool = True
    water_interval_minutes: int = DEFAULT_WATER_INTERVAL_MINUTES
    wake_start: time = time(8, 0)
    wake_end: time = time(21, 0)
    quiet_start: time | None = None
    quiet_end: time | None = None
    paused_until: datetime | None = None
    checkin_weekday: int = 0
    checkin_time: time = time(10, 0)


def default_prefs() -> NudgePrefs:
    """Stretch at the suggested times on workdays, water every four hours from 8 (four a day)."""
    return NudgePrefs(stretch_times=suggested_stretch_times())


def day_allowed(mask: int, day: date) -> bool:
    """Whether ``day``'s weekday is in the bitmask (Monday is bit 0)."""
    return bool(mask >> day.weekday() & 1)


def days_mask(weekdays: Iterable[int]) -> int:
    """The bitmask for weekday numbers (Monday 0 .. Sunday 6)."""
    mask = 0
    for day in weekdays:
        if not 0 <= day <= 6:
            raise ValueError(f"weekday must be 0..6, got {day}")
        mask |= 1 << day
    return mask


def _in_window(t: time, start: time, end: time) -> bool:
    """``start <= t < end`` on a clock face, wrapping past midnight when end < start."""
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def in_quiet_hours(t: time, start: time | None, end: time | None) -> bool:
    """Whether ``t`` is in the quiet window; equal or missing bounds mean no quiet hours."""
    if start is None or end is None or start == end:
        return False
    return _in_window(t, start, end)


def in_waking_hours(t: time, wake_start: time, wake_end: time) -> bool:
    """Whether ``t`` is in the waking window; equal bounds mean awake all day."""
    if wake_start == wake_end:
        return True
    return _in_window(t, wake_start, wake_end)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def resolve_local(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time: first occurrence, or the end of a DST gap."""
    utc = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    # In a gap: fold=1 reads the wall time with the later offset, giving an instant before
    # the transition; binary-search the transition (to the second) between the two.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high, after_gap = utc, _offset(utc, zone)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        if _offset(middle, zone) == after_gap:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _floor(prefs: NudgePrefs, after: datetime) -> datetime:
    """The earliest instant a nudge may be considered from (pauses push it later)."""
    if after.tzinfo is None:
        raise ValueError("after must be time-zone aware")
    if prefs.paused_until is not None and prefs.paused_until > after:
        return prefs.paused_until
    return after


def _acceptable(at: datetime, prefs: NudgePrefs, zone: ZoneInfo, after: datetime) -> bool:
    """Strictly after ``after``, not paused, not in quiet hours."""
    if at <= after:
        return False
    if prefs.paused_until is not None and at < prefs.paused_until:
        return False
    wall = at.astimezone(zone).time()
    return not in_quiet_hours(wall, prefs.quiet_start, prefs.quiet_end)


def _first(
    walls: Iterator[datetime], prefs: NudgePrefs, zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first acceptable instant among wall times given in increasing order.

    A wall time inside quiet hours is never used, even when a DST gap moves its instant
    out of them: otherwise a time the user can never get elsewhere would go out once a
    year, on the day the clocks change (found by the zone-change property test).
    """
    for wall in walls:
        if in_quiet_hours(wall.time(), prefs.quiet_start, prefs.quiet_end):
            continue
        at = resolve_local(wall, zone)
        if _acceptable(at, prefs, zone, after):
            return at
    return None


def _stretch_walls(prefs: NudgePrefs, first_day: date) -> Iterator[datetime]:
    """Chosen times on allowed weekdays, in order, for the search window."""
    times = sorted(set(prefs.stretch_times))
    for offset in range(SEARCH_DAYS):
        day = first_day + offset * _DAY
        if day_allowed(prefs.stretch_days, day):
            for t in times:
                yield datetime.combine(day, t)


def next_stretch_at(prefs: NudgePrefs, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The next stretch nudge strictly after ``after`` (UTC), or None when there is none."""
    if not (prefs.enabled and prefs.stretch_enabled and prefs.stretch_times):
        return None
    if not prefs.stretch_days & ALL_DAYS:
        return None
    first_day = _floor(prefs, after).astimezone(zone).date() - _DAY
    return _first(_stretch_walls(prefs, first_day), prefs, zone, after)


def water_slots(
    prefs: NudgePrefs, day: date, not_before: datetime | None = None
) -> Iterator[datetime]:
    """Water wall times of the waking window that starts on ``day`` (may run past midnight)."""
    start = datetime.combine(day, prefs.wake_start)
    end = datetime.combine(day, prefs.wake_end)
    if end <= start:
        end += _DAY
    step = timedelta(minutes=max(MIN_WATER_INTERVAL_MINUTES, prefs.water_interval_minutes))
    skip = 0 if not_before is None or not_before <= start else -((start - not_before) // step)
    wall = start + skip * step
    while wall < end:
        yield wall
        wall += step


def water_per_day(prefs: NudgePrefs) -> int:
    """How many water nudges a full day brings: the waking window's slots outside quiet hours."""
    if not (prefs.enabled and prefs.water_enabled):
        return 0
    day = date(2001, 1, 1)  # any day: the count depends on the wall clock only
    return sum(
        1
        for wall in water_slots(prefs, day)
        if not in_quiet_hours(wall.time(), prefs.quiet_start, prefs.quiet_end)
    )


def next_water_at(prefs: NudgePrefs, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The next water nudge strictly after ``after`` (UTC), or None when there is none."""
    if not (prefs.enabled and prefs.water_enabled):
        return None
    floor_wall = _floor(prefs, after).astimezone(zone).replace(tzinfo=None)
    not_before = floor_wall - WALL_MARGIN
    walls = (
        wall
        for offset in range(-1, SEARCH_DAYS)
        for wall in water_slots(prefs, floor_wall.date() + offset * _DAY, not_before)
    )
    return _first(walls, prefs, zone, after)


CHECKIN_MIN_GAP = timedelta(days=6)


def _checkin_walls(prefs: NudgePrefs, first_day: date, days: int) -> Iterator[datetime]:
    """The check-in's local wall times from ``first_day`` on, one a week."""
    ahead = (prefs.checkin_weekday - first_day.weekday()) % 7
    day = first_day + ahead * _DAY
    while day < first_day + days * _DAY:
        yield datetime.combine(day, prefs.checkin_time)
        day += 7 * _DAY


def next_checkin_at(
    prefs: NudgePrefs, zone: ZoneInfo, after: datetime, last_started: datetime | None = None
) -> datetime | None:
    """The next check-in nudge strictly after ``after`` (UTC), or None with reminders off.

    With ``last_started`` (the newest check-in's start) it is also at least
    ``CHECKIN_MIN_GAP`` after that: no weekly check-in the day after the baseline.
    """
    if not prefs.enabled or not 0 <= prefs.checkin_weekday <= 6:
        return None
    floor = after
    if last_started is not None and last_started + CHECKIN_MIN_GAP > after:
        floor = last_started + CHECKIN_MIN_GAP - timedelta(microseconds=1)
    first_day = _floor(prefs, floor).astimezone(zone).date() - _DAY
    # Quiet hours may cover the chosen time: then no week has a slot, and None comes back.
    return _first(_checkin_walls(prefs, first_day, 7 * SEARCH_DAYS), prefs, zone, floor)


def last_checkin_slot(prefs: NudgePrefs, zone: ZoneInfo, now: datetime) -> datetime:
    """The newest check-in time (weekday and local time) at or before ``now``, as UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    local_day = now.astimezone(zone).date()
    back = (local_day.weekday() - prefs.checkin_weekday) % 7
    day = local_day - back * _DAY
    slot = resolve_local(datetime.combine(day, prefs.checkin_time), zone)
    return (
        slot
        if slot <= now
        else resolve_local(datetime.combine(day - 7 * _DAY, prefs.checkin_time), zone)
    )


def checkin_slot_due(
    prefs: NudgePrefs, zone: ZoneInfo, now: datetime, last_started: datetime | None
) -> bool:
    """Whether a weekly check-in is due: its time has come since the last one began.

    Not before ``CHECKIN_MIN_GAP`` after the last check-in. With no check-in at all
    (someone who finished the safety check before check-ins existed) none is due here:
    their first one comes with the nudge.
    """
    if last_started is None:
        return False
    slot = last_checkin_slot(prefs, zone, now)
    return slot > last_started and slot - last_started >= CHECKIN_MIN_GAP


def is_stale(due_at: datetime, now: datetime, grace: timedelta = STALE_GRACE) -> bool:
    """A nudge more than ``grace`` past its time is skipped rather than sent late."""
    return now - due_at > grace


def pick_text(n_texts: int, last_index: int | None, seed: int) -> int:
    """The text after the last one sent, in the content's order; the first from ``seed``.

    Going round the texts in order, no text comes again before all the others have
    been sent: a day with no more nudges of a kind than it has texts repeats none.
    """
    if n_texts < 1:
        raise ValueError("no texts to pick from")
    if last_index is None or not 0 <= last_index < n_texts:
        return seed % n_texts
    return (last_index + 1) % n_texts


def stretch_nudge_kind(finished_today: bool) -> Literal["send", "nice_work"]:
    """After a stretch already done today, a short "nice work" replaces the nudge."""
    return "nice_work" if finished_today else "send"
