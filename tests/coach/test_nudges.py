"""Nudge timing: the right local times, never in quiet hours, never twice, never skipped."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.coach.nudges import (
    WORKDAYS,
    NudgePrefs,
    day_allowed,
    days_mask,
    default_prefs,
    in_quiet_hours,
    in_waking_hours,
    is_stale,
    next_stretch_at,
    next_water_at,
    pick_text,
    stretch_nudge_kind,
    suggested_stretch_times,
    water_per_day,
)
from content.loader import load_library
from tests.coach.factory import FAST, SLOW

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "UTC",
]
STEP = timedelta(minutes=5)
NextFn = Callable[[NudgePrefs, ZoneInfo, datetime], datetime | None]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(at: datetime | None, zone: ZoneInfo = BERLIN) -> datetime:
    assert at is not None
    return at.astimezone(zone)


def wall(dt: datetime, zone: ZoneInfo) -> datetime:
    return dt.astimezone(zone).replace(tzinfo=None)


class TestWindows:
    @pytest.mark.parametrize(
        ("t", "start", "end", "quiet"),
        [
            (time(23, 0), time(22, 0), time(7, 0), True),
            (time(3, 0), time(22, 0), time(7, 0), True),
            (time(7, 0), time(22, 0), time(7, 0), False),
            (time(12, 0), time(22, 0), time(7, 0), False),
            (time(22, 0), time(22, 0), time(7, 0), True),
            (time(13, 0), time(12, 0), time(14, 0), True),
            (time(14, 0), time(12, 0), time(14, 0), False),
            (time(13, 0), time(13, 0), time(13, 0), False),
            (time(13, 0), None, time(13, 0), False),
        ],
    )
    def test_quiet_hours(self, t: time, start: time | None, end: time | None, quiet: bool) -> None:
        assert in_quiet_hours(t, start, end) is quiet

    def test_waking_hours_may_cross_midnight(self) -> None:
        assert in_waking_hours(time(1, 0), time(18, 0), time(2, 0))
        assert not in_waking_hours(time(9, 0), time(18, 0), time(2, 0))
        assert in_waking_hours(time(9, 0), time(8, 0), time(21, 0))
        assert not in_waking_hours(time(21, 0), time(8, 0), time(21, 0))
        assert in_waking_hours(time(4, 0), time(6, 0), time(6, 0))

    def test_weekday_mask(self) -> None:
        assert days_mask(range(5)) == WORKDAYS
        assert day_allowed(WORKDAYS, date(2025, 3, 7))  # Friday
        assert not day_allowed(WORKDAYS, date(2025, 3, 8))  # Saturday
        with pytest.raises(ValueError, match="weekday"):
            days_mask([7])


class TestStretch:
    prefs = default_prefs()

    def test_defaults_late_morning_and_mid_afternoon_on_workdays(self) -> None:
        assert suggested_stretch_times() == (time(11, 0), time(15, 30))
        assert self.prefs.stretch_times == suggested_stretch_times()
        assert self.prefs.stretch_days == WORKDAYS

    def test_next_time_today_then_after_the_weekend(self) -> None:
        monday_ten = datetime(2025, 3, 10, 10, 0, tzinfo=BERLIN).astimezone(UTC)
        first = next_stretch_at(self.prefs, BERLIN, monday_ten)
        assert local(first) == datetime(2025, 3, 10, 11, 0, tzinfo=BERLIN)
        assert first is not None
        second = next_stretch_at(self.prefs, BERLIN, first)
        assert local(second) == datetime(2025, 3, 10, 15, 30, tzinfo=BERLIN)
        friday_late = datetime(2025, 3, 14, 16, 0, tzinfo=BERLIN)
        assert local(next_stretch_at(self.prefs, BERLIN, friday_late)) == datetime(
            2025, 3, 17, 11, 0, tzinfo=BERLIN
        )

    @pytest.mark.parametrize(
        "prefs",
        [
            replace(default_prefs(), enabled=False),
            replace(default_prefs(), stretch_enabled=False),
            replace(default_prefs(), stretch_times=()),
            replace(default_prefs(), stretch_days=0),
            replace(default_prefs(), quiet_start=time(10, 0), quiet_end=time(16, 0)),
        ],
    )
    def test_none_when_off_or_always_quiet(self, prefs: NudgePrefs) -> None:
        assert next_stretch_at(prefs, BERLIN, utc(2025, 3, 10, 8, 0)) is None

    def test_pause_pushes_it_later(self) -> None:
        paused = replace(self.prefs, paused_until=utc(2025, 3, 20, 12, 0))
        assert local(next_stretch_at(paused, BERLIN, utc(2025, 3, 10, 8, 0))) == datetime(
            2025, 3, 20, 15, 30, tzinfo=BERLIN
        )

    def test_spring_forward_gap_fires_when_the_gap_ends(self) -> None:
        prefs = NudgePrefs(stretch_times=(time(2, 30),), stretch_days=0b1111111)
        got = next_stretch_at(prefs, BERLIN, utc(2025, 3, 29, 12, 0))
        assert got == utc(2025, 3, 30, 1, 0)  # 03:00 CEST, the first instant after the gap
        assert local(next_stretch_at(prefs, BERLIN, got)) == datetime(
            2025, 3, 31, 2, 30, tzinfo=BERLIN
        )

    def test_autumn_repeated_hour_fires_once(self) -> None:
        prefs = NudgePrefs(stretch_times=(time(2, 30),), stretch_days=0b1111111)
        first = next_stretch_at(prefs, BERLIN, utc(2025, 10, 25, 12, 0))
        assert first == utc(2025, 10, 26, 0, 30)  # 02:30 CEST, the first of the two
        assert first is not None
        again = next_stretch_at(prefs, BERLIN, first)
        assert again == utc(2025, 10, 27, 1, 30)  # not 02:30 CET an hour later

    def test_changing_zone_reanchors_to_the_new_local_time(self) -> None:
        after = utc(2025, 3, 10, 0, 0)
        for name in ("Asia/Kolkata", "America/New_York"):
            zone = ZoneInfo(name)
            got = local(next_stretch_at(self.prefs, zone, after), zone)
            assert got.time() == time(11, 0) and got.date() == date(2025, 3, 10)


class TestWater:
    def test_four_a_day_by_default_every_interval_from_waking(self) -> None:
        prefs = default_prefs()
        times: list[time] = []
        at: datetime | None = datetime(2025, 3, 10, 0, 0, tzinfo=BERLIN).astimezone(UTC)
        while at is not None and len(times) < 5:
            at = next_water_at(prefs, BERLIN, at)
            times.append(local(at).time())
        assert times == [time(h) for h in (8, 12, 16, 20, 8)]
        assert water_per_day(prefs) == 4

    def test_how_many_a_day(self) -> None:
        prefs = default_prefs()
        assert water_per_day(replace(prefs, water_interval_minutes=60)) == 13  # 08:00..20:00
        assert water_per_day(replace(prefs, quiet_start=time(11), quiet_end=time(13))) == 3
        assert water_per_day(replace(prefs, wake_start=time(8), wake_end=time(8))) == 6  # 24 h
        assert water_per_day(replace(prefs, water_enabled=False)) == 0

    def test_quiet_hours_and_late_waking_windows(self) -> None:
        prefs = NudgePrefs(
            wake_start=time(18, 0),
            wake_end=time(2, 0),
            water_interval_minutes=180,
            quiet_start=time(20, 0),
            quiet_end=time(22, 0),
        )
        at: datetime | None = utc(2025, 6, 1, 12, 0)
        seen = []
        for _ in range(4):
            at = next_water_at(prefs, BERLIN, at or utc(2025, 6, 1))
            seen.append(local(at).replace(tzinfo=None))
        assert seen == [
            datetime(2025, 6, 1, 18, 0),
            datetime(2025, 6, 2, 0, 0),
            datetime(2025, 6, 2, 18, 0),
            datetime(2025, 6, 3, 0, 0),
        ]

    def test_a_time_in_quiet_hours_stays_quiet_on_the_day_the_clocks_change(self) -> None:
        # Lord Howe skips 02:00-02:30 on 2025-10-05: the chosen 02:00 (inside quiet hours
        # 00:00-02:05) would land at 02:30, outside them, once a year. It must not.
        lord_howe = ZoneInfo("Australia/Lord_Howe")
        prefs = NudgePrefs(
            stretch_times=(time(2, 0),),
            stretch_days=days_mask([6]),
            quiet_start=time(0, 0),
            quiet_end=time(2, 5),
        )
        assert next_stretch_at(prefs, lord_howe, utc(2025, 10, 4, 8, 0)) is None

    def test_off_means_none(self) -> None:
        for prefs in (
            replace(default_prefs(), water_enabled=False),
            replace(default_prefs(), enabled=False),
            replace(default_prefs(), quiet_start=time(7, 0), quiet_end=time(22, 0)),
        ):
            assert next_water_at(prefs, BERLIN, utc(2025, 1, 1)) is None


class TestHelpers:
    def test_stale_after_the_grace(self) -> None:
        due = utc(2025, 1, 1, 12, 0)
        assert not is_stale(due, due + timedelta(minutes=30))
        assert is_stale(due, due + timedelta(minutes=31))
        assert not is_stale(due, due - timedelta(minutes=5))

    @FAST
    @given(st.integers(1, 12), st.none() | st.integers(-1, 12), st.integers(0, 10**9))
    def test_pick_text_never_repeats_the_last(self, n: int, last: int | None, seed: int) -> None:
        index = pick_text(n, last, seed)
        assert 0 <= index < n
        if n >= 2:
            assert index != last

    def test_pick_text_goes_round_every_text_before_one_comes_again(self) -> None:
        assert {pick_text(4, 2, seed) for seed in range(10)} == {3}
        index = pick_text(5, None, 7)
        seen = [index]
        for _ in range(4):
            index = pick_text(5, index, 7)
            seen.append(index)
        assert sorted(seen) == [0, 1, 2, 3, 4]
        assert pick_text(5, seen[-1], 7) == seen[0]

    def test_stretch_already_done_today_gets_a_nice_work(self) -> None:
        assert stretch_nudge_kind(finished_today=True) == "nice_work"
        assert stretch_nudge_kind(finished_today=False) == "send"


# ---- property tests over zones, DST and quiet hours ----

five_minutes = st.builds(time, st.integers(0, 23), st.sampled_from(range(0, 60, 5)))


@st.composite
def prefs_strategy(draw: st.DrawFn, *, min_interval: int = 15) -> NudgePrefs:
    quiet = draw(st.none() | st.tuples(five_minutes, five_minutes))
    return NudgePrefs(
        stretch_times=tuple(draw(st.lists(five_minutes, min_size=1, max_size=3))),
        stretch_days=draw(st.integers(1, 127)),
        water_interval_minutes=draw(st.sampled_from(range(min_interval, 241, 15))),
        wake_start=draw(five_minutes),
        wake_end=draw(five_minutes),
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
    )


instants = st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
# Instants close to a DST change in one of the zones, where bugs live.
near_dst = st.sampled_from(
    [
        utc(2025, 3, 29, 20),  # Berlin spring
        utc(2025, 10, 25, 20),  # Berlin autumn
        utc(2025, 3, 8, 20),  # New York spring
        utc(2025, 4, 5, 8),  # Lord Howe / Chatham autumn
        utc(2025, 10, 4, 8),  # Lord Howe spring
        utc(2025, 9, 27, 8),  # Chatham spring
        utc(2025, 11, 1, 20),  # New York / St John's autumn
    ]
).flatmap(lambda t: st.integers(-36 * 60, 36 * 60).map(lambda m: t + timedelta(minutes=m)))
afters = st.one_of(instants, near_dst)


def stretch_wall(prefs: NudgePrefs, w: datetime) -> bool:
    return w.time() in prefs.stretch_times and day_allowed(prefs.stretch_days, w.date())


def water_wall(prefs: NudgePrefs, w: datetime) -> bool:
    step = timedelta(minutes=prefs.water_interval_minutes)
    length = datetime.combine(date.min, prefs.wake_end) - datetime.combine(
        date.min, prefs.wake_start
    )
    length = length % timedelta(days=1) or timedelta(days=1)
    for start_day in (w.date(), w.date() - timedelta(days=1)):
        delta = w - datetime.combine(start_day, prefs.wake_start)
        if timedelta(0) <= delta < length and delta % step == timedelta(0):
            return True
    return False


def valid_slot(
    prefs: NudgePrefs, zone: ZoneInfo, at: datetime, is_slot: Callable[[NudgePrefs, datetime], bool]
) -> bool:
    """A chosen wall time (first occurrence), or the end of a DST gap that skipped one."""
    here = at.astimezone(zone)
    now_wall = here.replace(tzinfo=None)
    if is_slot(prefs, now_wall) and here.fold == 0:
        return True
    before = wall(at - timedelta(seconds=1), zone)
    k = (before + timedelta(seconds=1)).replace(second=0)
    while k < now_wall:
        if k.minute % 5 == 0 and is_slot(prefs, k):
            return True
        k += timedelta(minutes=1)
    return False


def oracle(
    prefs: NudgePrefs,
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    is_slot: Callable[[NudgePrefs, datetime], bool],
) -> list[datetime]:
    """Every instant in (start, end] a nudge should fire, found by walking the clock."""
    t = start.replace(second=0, microsecond=0) - timedelta(minutes=start.minute % 5)
    previous = wall(t, zone)
    found = []
    while t <= end:
        t += STEP
        here = t.astimezone(zone)
        now_wall = here.replace(tzinfo=None)
        skipped = []
        if now_wall - previous > STEP:  # a gap: these wall times never happened
            k = previous + STEP
            while k < now_wall:
                skipped.append(k)
                k += STEP
        fires = (is_slot(prefs, now_wall) and here.fold == 0) or any(
            is_slot(prefs, k) for k in skipped
        )
        quiet = in_quiet_hours(now_wall.time(), prefs.quiet_start, prefs.quiet_end)
        if fires and not quiet and t > start and t <= end:
            found.append(t)
        previous = now_wall
    return found


def chain(
    fn: NextFn, prefs: NudgePrefs, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    found: list[datetime] = []
    at = fn(prefs, zone, start)
    while at is not None and at <= end:
        found.append(at)
        following = fn(prefs, zone, at)
        assert following is None or following > at
        at = following
    return found


@FAST
@given(prefs_strategy(), st.sampled_from(ZONES), afters, st.booleans())
def test_each_result_is_a_valid_slot(
    prefs: NudgePrefs, zone_name: str, after: datetime, water: bool
) -> None:
    zone = ZoneInfo(zone_name)
    fn: NextFn = next_water_at if water else next_stretch_at
    at = fn(prefs, zone, after)
    if at is None:
        return
    assert at > after
    here = at.astimezone(zone)
    assert not in_quiet_hours(here.time(), prefs.quiet_start, prefs.quiet_end)
    assert valid_slot(prefs, zone, at, water_wall if water else stretch_wall)
    if not water:
        assert day_allowed(prefs.stretch_days, here.date())
    assert fn(prefs, zone, at) != at


@FAST
@given(prefs_strategy(), st.sampled_from(ZONES), afters, st.integers(1, 20 * 24 * 60))
def test_never_before_the_pause_ends(
    prefs: NudgePrefs, zone_name: str, after: datetime, pause_minutes: int
) -> None:
    paused = replace(prefs, paused_until=after + timedelta(minutes=pause_minutes))
    for fn in (next_stretch_at, next_water_at):
        at = fn(paused, ZoneInfo(zone_name), after)
        assert at is None or at >= after + timedelta(minutes=pause_minutes)


@SLOW
@given(prefs_strategy(min_interval=60), st.sampled_from(ZONES), afters, st.booleans())
def test_chained_over_thirty_days_sends_every_slot_once(
    prefs: NudgePrefs, zone_name: str, after: datetime, water: bool
) -> None:
    zone = ZoneInfo(zone_name)
    end = after + timedelta(days=30)
    fn: NextFn = next_water_at if water else next_stretch_at
    is_slot = water_wall if water else stretch_wall
    assert chain(fn, prefs, zone, after, end) == oracle(prefs, zone, after, end, is_slot)


@functools.cache
def water_texts() -> int:
    """How many water texts the real content has."""
    return len(load_library().nudges.water)


@FAST
@given(
    prefs_strategy(min_interval=60),
    st.sampled_from(ZONES),
    afters,
    st.none() | st.integers(0, 15),
    st.integers(0, 2**32 - 1),
)
def test_no_water_text_comes_twice_in_a_local_day(
    prefs: NudgePrefs, zone_name: str, after: datetime, last: int | None, seed: int
) -> None:
    """Sent as the dispatcher sends them: the next slot, the text after the last one."""
    n = water_texts()
    assume(water_per_day(prefs) <= n)  # more nudges than texts a day cannot all differ
    zone = ZoneInfo(zone_name)
    by_day: dict[date, list[int]] = {}
    for at in chain(next_water_at, prefs, zone, after, after + timedelta(days=3)):
        last = pick_text(n, last, seed)
        by_day.setdefault(at.astimezone(zone).date(), []).append(last)
    for day, texts in by_day.items():
        assert len(set(texts)) == len(texts), (day, texts)


def test_a_default_day_of_water_texts_reads_four_different_ones() -> None:
    texts = load_library().nudges.water
    start = datetime(2025, 3, 10, 0, 0, tzinfo=BERLIN).astimezone(UTC)
    sent = chain(next_water_at, default_prefs(), BERLIN, start, start + timedelta(days=1))
    last: int | None = None
    day: list[str] = []
    for _ in sent:
        last = pick_text(len(texts), last, 12345)
        day.append(texts[last])
    print("\n".join(f"{local(at):%H:%M} {text}" for at, text in zip(sent, day, strict=True)))
    assert len(day) == 4 and len(set(day)) == 4


@SLOW
@given(prefs_strategy(), st.sampled_from(ZONES), st.sampled_from(ZONES), afters)
def test_changing_zones_reanchors(prefs: NudgePrefs, old: str, new: str, after: datetime) -> None:
    sent = next_stretch_at(prefs, ZoneInfo(old), after)
    if sent is None:
        return
    # The user moves right after a nudge; the next one follows the new zone's clock.
    moved = next_stretch_at(prefs, ZoneInfo(new), sent)
    assert moved is not None and moved > sent
    assert valid_slot(prefs, ZoneInfo(new), moved, stretch_wall)
    expected = oracle(prefs, ZoneInfo(new), sent, sent + timedelta(days=8), stretch_wall)
    assert moved == expected[0]


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize(
    "start",
    [utc(2025, m, d) for m, d in ((3, 8), (3, 29), (4, 4), (9, 26), (10, 3), (10, 25), (11, 1))],
)
@pytest.mark.parametrize("water", [True, False])
def test_every_quarter_hour_through_dst_changes(
    zone_name: str, start: datetime, water: bool
) -> None:
    """Dense slots around the night clocks change: each fires once, none is lost."""
    times = tuple(time(h, m) for h in (1, 2, 3) for m in (0, 15, 30, 45))
    prefs = NudgePrefs(
        stretch_times=times,
        stretch_days=0b1111111,
        water_interval_minutes=15,
        wake_start=time(0, 0),
        wake_end=time(0, 0),
    )
    zone = ZoneInfo(zone_name)
    end = start + timedelta(days=4)
    fn: NextFn = next_water_at if water else next_stretch_at
    is_slot = water_wall if water else stretch_wall
    got = chain(fn, prefs, zone, start, end)
    assert got == oracle(prefs, zone, start, end, is_slot)
    assert len(got) == len(set(got))


# --- the weekly check-in


CHECKIN_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata")


@given(
    zone_name=st.sampled_from(CHECKIN_ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from((0, 15, 30, 45)),
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_checkin_is_always_on_its_local_weekday_and_time(
    zone_name: str, weekday: int, hour: int, minute: int, start: datetime
) -> None:
    """Across DST changes: the chosen local weekday and time, once a week, nothing skipped."""
    from bot.coach.nudges import next_checkin_at

    zone = ZoneInfo(zone_name)
    prefs = NudgePrefs(checkin_weekday=weekday, checkin_time=time(hour, minute))
    at = start
    for _ in range(6):
        nxt = next_checkin_at(prefs, zone, at)
        assert nxt is not None and nxt > at
        local = nxt.astimezone(zone)
        assert local.weekday() == weekday
        # A time in a spring-forward gap fires at the end of the gap, on the same day.
        assert local.time() == time(hour, minute) or local.time() > time(hour, minute)
        assert timedelta(days=6) < nxt - at <= timedelta(days=7, hours=2) or at == start
        at = nxt


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Berlin: clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October.
        (datetime(2026, 3, 23, 10, 0, tzinfo=UTC), datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 16, 9, 0, tzinfo=UTC), datetime(2026, 3, 23, 9, 0, tzinfo=UTC)),
        (datetime(2026, 10, 19, 9, 0, tzinfo=UTC), datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
        (datetime(2026, 10, 12, 8, 30, tzinfo=UTC), datetime(2026, 10, 19, 8, 0, tzinfo=UTC)),
    ],
)
def test_checkin_keeps_10_local_across_berlin_dst(after: datetime, expected: datetime) -> None:
    from bot.coach.nudges import next_checkin_at

    assert next_checkin_at(NudgePrefs(), ZoneInfo("Europe/Berlin"), after) == expected


def test_checkin_waits_six_days_after_the_last_one_and_stops_with_reminders_off() -> None:
    from bot.coach.nudges import checkin_slot_due, next_checkin_at

    berlin = ZoneInfo("Europe/Berlin")
    sunday = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # baseline taken on a Sunday
    first = next_checkin_at(NudgePrefs(), berlin, sunday, last_started=sunday)
    assert first == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # not the next morning: a week on
    assert next_checkin_at(NudgePrefs(enabled=False), berlin, sunday) is None
    assert not checkin_slot_due(
        NudgePrefs(), berlin, datetime(2026, 3, 2, 12, 0, tzinfo=UTC), sunday
    )
    assert checkin_slot_due(NudgePrefs(), berlin, datetime(2026, 3, 9, 9, 1, tzinfo=UTC), sunday)
    assert not checkin_slot_due(NudgePrefs(), berlin, datetime(2026, 3, 9, 9, 1, tzinfo=UTC), None)
