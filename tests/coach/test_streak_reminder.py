"""The evening streak reminder: one nudge a day carries it, in waking hours, across DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.coach.nudges import (
    NudgePrefs,
    default_prefs,
    in_quiet_hours,
    in_waking_hours,
    next_stretch_at,
    next_water_at,
)
from bot.coach.streak import StreakState
from bot.coach.streak_reminder import carrier_at, carries_reminder
from tests.coach.factory import SLOW
from tests.coach.test_nudges import ZONES, chain, near_dst, prefs_strategy

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


def berlin(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def risky(today: date) -> StreakState:
    """Five days up to yesterday, this week's rest day used: today is the last chance."""
    return StreakState(
        current=5, best=5, last_on=today - timedelta(days=1), rest_on=today - timedelta(days=3)
    )


class TestCarrier:
    def test_the_last_stretch_nudge_of_a_workday(self) -> None:
        assert carrier_at(default_prefs(), BERLIN, MONDAY) == berlin(MONDAY, 15, 30)

    def test_the_last_water_nudge_on_a_day_without_stretch_nudges(self) -> None:
        assert carrier_at(default_prefs(), BERLIN, SUNDAY) == berlin(SUNDAY, 20)

    def test_a_stretch_time_outside_waking_hours_hands_over_to_water(self) -> None:
        prefs = replace(default_prefs(), stretch_times=(time(6, 30),))
        assert carrier_at(prefs, BERLIN, MONDAY) == berlin(MONDAY, 20)

    def test_quiet_hours_are_kept(self) -> None:
        prefs = replace(default_prefs(), quiet_start=time(15), quiet_end=time(16))
        assert carrier_at(prefs, BERLIN, MONDAY) == berlin(MONDAY, 11)

    def test_nothing_without_stretch_reminders(self) -> None:
        for prefs in (
            replace(default_prefs(), stretch_enabled=False),
            replace(default_prefs(), enabled=False),
        ):
            assert carrier_at(prefs, BERLIN, MONDAY) is None
        no_water = replace(default_prefs(), water_enabled=False)
        assert carrier_at(no_water, BERLIN, SUNDAY) is None

    def test_a_waking_day_past_midnight_ends_its_day_before_midnight(self) -> None:
        prefs = replace(
            default_prefs(), stretch_days=0, wake_start=time(14), wake_end=time(2)
        )  # water at 14, 18, 22 and (the next day) 02:00 is past the end
        assert carrier_at(prefs, BERLIN, SUNDAY) == berlin(SUNDAY, 22)


class TestCarries:
    prefs = default_prefs()

    def carries(self, kind: str, at: datetime, **kw: object) -> bool:
        state = kw.pop("state", risky(MONDAY))
        reminded_on = kw.pop("reminded_on", None)
        prefs = replace(self.prefs, **kw)  # type: ignore[arg-type]
        return carries_reminder(kind, at, prefs, BERLIN, state, reminded_on)  # type: ignore[arg-type]

    def test_the_afternoon_stretch_nudge_carries_it_not_the_morning_one(self) -> None:
        assert not self.carries("stretch", berlin(MONDAY, 11))
        assert self.carries("stretch", berlin(MONDAY, 15, 30))

    def test_a_later_water_nudge_takes_over_only_if_none_went_out(self) -> None:
        assert self.carries("water", berlin(MONDAY, 16))
        assert not self.carries("water", berlin(MONDAY, 16), reminded_on=MONDAY)
        assert not self.carries("water", berlin(MONDAY, 12))

    def test_never_a_check_in_nor_while_paused_nor_when_not_at_risk(self) -> None:
        assert not self.carries("checkin", berlin(MONDAY, 15, 30))
        paused = berlin(MONDAY, 18)
        assert not self.carries("stretch", berlin(MONDAY, 15, 30), paused_until=paused)
        safe = StreakState(current=5, best=5, last_on=MONDAY - timedelta(days=1))
        assert not self.carries("stretch", berlin(MONDAY, 15, 30), state=safe)

    def test_never_outside_waking_hours(self) -> None:
        # A snoozed stretch nudge late at night does not carry it.
        assert not self.carries("stretch", berlin(MONDAY, 22))


@st.composite
def reminder_prefs(draw: st.DrawFn) -> NudgePrefs:
    prefs = draw(prefs_strategy(min_interval=60))
    return replace(prefs, water_enabled=draw(st.booleans()))


@SLOW
@given(reminder_prefs(), st.sampled_from(ZONES), near_dst)
def test_one_reminder_a_day_at_the_carrier_in_waking_hours(
    prefs: NudgePrefs, zone_name: str, start: datetime
) -> None:
    """Every nudge of three days around a clock change, with the streak at risk each day.

    At most one reminder a local day; exactly one on a day with a carrier time, at that
    time; each inside waking hours, outside quiet hours, on its own local day.
    """
    zone = ZoneInfo(zone_name)
    end = start + timedelta(days=3)
    nudges = sorted(
        [(at, "stretch") for at in chain(next_stretch_at, prefs, zone, start, end)]
        + [(at, "water") for at in chain(next_water_at, prefs, zone, start, end)]
    )
    reminded_on: date | None = None
    told: dict[date, datetime] = {}
    for at, kind in nudges:
        today = at.astimezone(zone).date()
        if carries_reminder(kind, at, prefs, zone, risky(today), reminded_on):
            assert today not in told
            told[today] = at
            reminded_on = today
            wall = at.astimezone(zone).time()
            assert in_waking_hours(wall, prefs.wake_start, prefs.wake_end)
            assert not in_quiet_hours(wall, prefs.quiet_start, prefs.quiet_end)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    for offset in range(1, (last - first).days):  # the whole local days inside the window
        today = first + timedelta(days=offset)
        carrier = carrier_at(prefs, zone, today)
        assert told.get(today) == carrier
        if carrier is not None:
            assert carrier.astimezone(zone).date() == today
