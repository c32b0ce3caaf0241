"""Finding a user's zone from the time on their clock, and reading typed times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.timezones import (
    CANDIDATE_ZONES,
    DEFAULT_ZONE,
    FIXED_OFFSET_ZONES,
    candidate_offsets,
    canonical_zones,
    is_canonical_zone,
    offset_for_local_time,
    parse_clock,
    parse_clocks,
    parse_local_time,
    zones_for_offset,
)
from bot.coach.triage_flow import InvalidAnswerError, TriageState, TriageStep, next_step, record
from tests.coach.factory import FAST, RULES

WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", time(14, 30)),
        ("2:30 pm", time(14, 30)),
        ("2:30PM", time(14, 30)),
        ("2 p.m.", time(14, 0)),
        ("12 am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("1430", time(14, 30)),
        ("930", time(9, 30)),
        ("14h30", time(14, 30)),
        ("14h", time(14, 0)),
        ("9", time(9, 0)),
        ("9.30", time(9, 30)),
        ("  07:05 ", time(7, 5)),
        ("noon", time(12, 0)),
        ("24:00", None),
        ("13 pm", None),
        ("9:7", None),
        ("12:60", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_local_time(text: str, expected: time | None) -> None:
    assert parse_local_time(text) == expected
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11:00, 15:30", (time(11, 0), time(15, 30))),
        ("15:30 11:00", (time(11, 0), time(15, 30))),
        ("9 am and 3 pm", (time(9, 0), time(15, 0))),
        ("10:00; 10:00", (time(10, 0),)),
        ("10:00, later", None),
        ("", None),
    ],
)
def test_parse_clocks(text: str, expected: tuple[time, ...] | None) -> None:
    assert parse_clocks(text) == expected


@pytest.mark.parametrize(
    ("now", "clock", "offset", "first_zone"),
    [
        (WINTER, time(13, 0), H, "Europe/Berlin"),
        (SUMMER, time(14, 0), 2 * H, "Europe/Berlin"),
        (SUMMER, time(13, 0), H, "Europe/London"),
        (WINTER, time(17, 30), 5.5 * H, "Asia/Kolkata"),
        (WINTER, time(17, 45), 5.75 * H, "Asia/Kathmandu"),
        (WINTER, time(7, 0), -5 * H, "America/New_York"),
        (WINTER, time(8, 30), -3.5 * H, "America/St_Johns"),
        (WINTER, time(1, 0), 13 * H, "Pacific/Auckland"),  # NZ summer, not Pago Pago
        (SUMMER, time(2, 0), -10 * H, "Pacific/Honolulu"),  # not Kiritimati
        (WINTER, time(0, 0), 12 * H, "Pacific/Fiji"),
        (SUMMER, time(22, 30), 10.5 * H, "Australia/Lord_Howe"),
        (WINTER, time(1, 45), 13.75 * H, "Pacific/Chatham"),  # −10:15 does not exist
    ],
)
def test_offset_from_the_clock_and_likely_zones(
    now: datetime, clock: time, offset: timedelta, first_zone: str
) -> None:
    got = offset_for_local_time(now + timedelta(seconds=40), clock)
    assert got == offset
    assert zones_for_offset(got, now)[0] == first_zone


def test_whole_hours_without_a_listed_city_fall_back_to_etc() -> None:
    # Etc zones invert the sign: Etc/GMT-11 is eleven hours ahead of UTC.
    assert zones_for_offset(-12 * H, WINTER) == ["Etc/GMT+12"]
    assert ZoneInfo("Etc/GMT+12").utcoffset(WINTER) == -12 * H
    assert zones_for_offset(timedelta(hours=3, minutes=15), WINTER) == []


def test_two_offsets_fit_near_the_date_line() -> None:
    assert candidate_offsets(WINTER, time(1, 0)) == [-11 * H, 13 * H]
    assert candidate_offsets(WINTER, time(18, 0)) == [6 * H]


@FAST
@given(
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(CANDIDATE_ZONES),
)
def test_any_real_zone_is_found_back_from_its_clock(now: datetime, name: str) -> None:
    zone = ZoneInfo(name)
    clock = now.astimezone(zone).time().replace(second=0, microsecond=0)
    options = candidate_offsets(now, clock)
    real = now.astimezone(zone).utcoffset()
    assert real in options
    assert name in zones_for_offset(real, now)
    got = offset_for_local_time(now, clock)
    assert timedelta(hours=-12) <= got <= timedelta(hours=14)
    assert got.total_seconds() % (15 * 60) == 0
    for zone_name in zones_for_offset(got, now):
        assert now.astimezone(ZoneInfo(zone_name)).utcoffset() == got


# Names zoneinfo loads that are no place: the machine's own zone, tzdata's placeholder,
# an old System V rule and backward links (old names kept for compatibility).
FORGED_ZONES = ["localtime", "Factory", "EST5EDT", "W-SU", "US/Eastern", "GMT0", "posixrules"]


@pytest.mark.parametrize("name", FORGED_ZONES)
def test_only_canonical_zones_are_accepted(name: str) -> None:
    assert not is_canonical_zone(name)
    state = record(TriageState(), RULES, "16_49", WINTER)  # the age on the welcome agrees
    assert next_step(state, RULES) is TriageStep.TIME_ZONE
    with pytest.raises(InvalidAnswerError):
        record(state, RULES, name, WINTER)


@pytest.mark.parametrize(
    "name", ["Europe/Berlin", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "Etc/UTC", "UTC"]
)
def test_canonical_zones_are_accepted(name: str) -> None:
    assert is_canonical_zone(name)
    state = record(TriageState(), RULES, "16_49", WINTER)  # the age on the welcome agrees
    assert record(state, RULES, name, WINTER).time_zone == name


def test_every_zone_the_bot_itself_offers_is_canonical() -> None:
    offered = {*CANDIDATE_ZONES, *FIXED_OFFSET_ZONES, DEFAULT_ZONE}
    assert offered <= canonical_zones()
    # Every country's zones are there: several hundred, not the 600 names zoneinfo knows.
    assert 400 <= len(canonical_zones()) < 500
