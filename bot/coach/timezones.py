"""Time zones from what a user can tell us: their local clock time, or a typed time.

A user who does not pick a city types the time on their clock; the offset
from UTC follows (to the nearest 15 minutes) and a few real cities with that
offset *today* are offered, so daylight saving applies from then on. When no
listed city matches a whole-hour offset, ``Etc/GMT±N`` (a fixed offset, sign
inverted by IANA convention) is the fallback.

Only canonical zones are ever accepted from a user (``is_canonical_zone``): the
zones of the tz database's country tables, UTC and ``Etc/GMT±N``.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones

MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)
QUARTER = timedelta(minutes=15)
DAY = timedelta(days=1)

# Roughly by how many people live by them, so the first match is the likeliest.
# Every offset in use today is covered by at least one of them.
CANDIDATE_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Denver",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Jakarta",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Asia/Karachi",
    "Africa/Lagos",
    "Asia/Dhaka",
    "Europe/Moscow",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Istanbul",
    "Africa/Cairo",
    "Asia/Manila",
    "Asia/Bangkok",
    "Asia/Seoul",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Riyadh",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "America/Bogota",
    "America/Lima",
    "America/Argentina/Buenos_Aires",
    "America/Santiago",
    "America/Caracas",
    "America/Phoenix",
    "America/Halifax",
    "America/Anchorage",
    "America/St_Johns",
    "Australia/Sydney",
    "Australia/Brisbane",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Darwin",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "Europe/Warsaw",
    "Europe/Amsterdam",
    "Europe/Kyiv",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Lisbon",
    "Europe/Dublin",
    "Africa/Casablanca",
    "Africa/Abidjan",
    "Asia/Singapore",
    "Asia/Kabul",
    "Asia/Kathmandu",
    "Asia/Yangon",
    "Asia/Tashkent",
    "Asia/Almaty",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Pacific/Fiji",
    "Asia/Kamchatka",
    "Asia/Jerusalem",
    "Asia/Baku",
    "Pacific/Port_Moresby",
    "Pacific/Noumea",
    "Pacific/Tongatapu",
    "Pacific/Apia",
    "Atlantic/Azores",
    "Atlantic/Cape_Verde",
    "Atlantic/Reykjavik",
    "America/Noronha",
    "America/Nuuk",
    "Atlantic/South_Georgia",
    "Australia/Lord_Howe",
    "Australia/Eucla",
    "Pacific/Chatham",
    "Pacific/Norfolk",
    "Pacific/Kiritimati",
    "Pacific/Marquesas",
    "Pacific/Gambier",
    "Pacific/Pitcairn",
    "Pacific/Pago_Pago",
    "America/Adak",
)


def _aware_utc(now_utc: datetime) -> datetime:
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be time-zone aware")
    return now_utc.astimezone(UTC)


def _round_quarter(delta: timedelta) -> timedelta:
    """Round to the nearest 15 minutes (the grain of every real offset)."""
    return round(delta / QUARTER) * QUARTER


def candidate_offsets(now_utc: datetime, local: time) -> list[timedelta]:
    """Every offset in −12h..+14h that makes ``local`` the clock time now (one or two)."""
    now = _aware_utc(now_utc)
    wall = datetime.combine(now.date(), local, tzinfo=UTC)
    base = _round_quarter(wall - now) % DAY
    found = [base + k * DAY for k in (-1, 0)]
    return sorted(o for o in found if MIN_OFFSET <= o <= MAX_OFFSET)


def offset_for_local_time(now_utc: datetime, local: time) -> timedelta:
    """The likeliest UTC offset for a user whose clock shows ``local`` at ``now_utc``.

    Near the date line two offsets fit (e.g. −11h and +13h); the one whose
    likeliest city ranks higher wins, then the one closer to UTC.
    """
    options = candidate_offsets(now_utc, local)
    return min(options, key=lambda o: (_rank(o, now_utc), abs(o)))


def _rank(offset: timedelta, now_utc: datetime) -> int:
    """Position of the likeliest real zone with this offset (no zone ranks last)."""
    zones = _real_zones(offset, now_utc)
    return CANDIDATE_ZONES.index(zones[0]) if zones else len(CANDIDATE_ZONES)


def _real_zones(offset: timedelta, now_utc: datetime) -> list[str]:
    now = _aware_utc(now_utc)
    return [z for z in CANDIDATE_ZONES if now.astimezone(ZoneInfo(z)).utcoffset() == offset]


# Every new user's zone until they choose one, and the fallback of ``zones_for_offset``.
DEFAULT_ZONE = "UTC"
# Fixed offsets for a clock time no listed city shows (sign inverted by IANA convention).
FIXED_OFFSET_ZONES = frozenset(
    {"Etc/UTC", "Etc/GMT", *(f"Etc/GMT{hours:+d}" for hours in range(-14, 13) if hours)}
)
_ZONE_TABLES = ("zone1970.tab", "zone.tab")


@functools.cache
def canonical_zones() -> frozenset[str]:
    """The zones a user may choose: places in the tz database's country tables, UTC, Etc/GMT±N.

    Everything else ``zoneinfo`` would load is left out: backward links (``W-SU``,
    ``US/Eastern``), the old System V rules (``EST5EDT``), ``Factory`` and the machine's
    ``localtime``. Only names this machine can load are kept.
    """
    places: set[str] = set()
    for text in _zone_table_texts():
        for line in text.splitlines():
            fields = line.split("\t")
            if not line.startswith("#") and len(fields) >= 3:
                places.add(fields[2])
    wanted = places | FIXED_OFFSET_ZONES | {DEFAULT_ZONE}
    return frozenset(wanted & available_timezones())


def _zone_table_texts() -> list[str]:
    """The tz database's country tables: the tzdata package's, else the system's."""
    texts: list[str] = []
    try:
        folder = importlib.resources.files("tzdata").joinpath("zoneinfo")
        texts = [folder.joinpath(name).read_text(encoding="utf-8") for name in _ZONE_TABLES]
    except (ModuleNotFoundError, OSError):
        for root in TZPATH:
            for name in _ZONE_TABLES:
                if (Path(root) / name).is_file():
                    texts.append((Path(root) / name).read_text(encoding="utf-8"))
    return texts


def is_canonical_zone(name: str) -> bool:
    """Whether a zone name from a user (typed, a button, a location) may be stored."""
    return name in canonical_zones()


def zones_for_offset(offset: timedelta, now_utc: datetime) -> list[str]:
    """Real zones with this offset at ``now_utc``, likeliest first; else ``Etc/GMT±N``."""
    zones = _real_zones(offset, now_utc)
    if zones:
        return zones
    hours, rest = divmod(offset, timedelta(hours=1))
    if rest or not MIN_OFFSET <= offset <= MAX_OFFSET:
        return []
    if hours == 0:
        return ["Etc/UTC"]
    return [f"Etc/GMT{-hours:+d}"]


_AMPM = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*([ap])\.?\s*m?\.?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2})?)?$")
_COMPACT = re.compile(r"^(\d{1,2})(\d{2})$")
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def _make(hour: int, minute: int) -> time | None:
    return time(hour, minute) if 0 <= hour <= 23 and 0 <= minute <= 59 else None


def parse_local_time(text: str) -> time | None:
    """Read a clock time as people type it: 14:30, 2:30 pm, 1430, 14h30, 9, 9.30, noon."""
    clean = text.strip().lower()
    if clean in _WORDS:
        return _WORDS[clean]
    if match := _AMPM.match(clean):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12:
            return None
        return _make(hour % 12 + (12 if match[3] == "p" else 0), minute)
    if match := _CLOCK.match(clean):
        return _make(int(match[1]), int(match[2] or 0))
    if match := _COMPACT.match(clean):
        return _make(int(match[1]), int(match[2]))
    return None


def parse_clock(text: str) -> time | None:
    """Read one reminder time; the same forms as ``parse_local_time``."""
    return parse_local_time(text)


_SEPARATORS = re.compile(r"[\s,;/&+]+|\band\b")
_MERIDIEM = frozenset({"am", "pm", "a.m.", "p.m.", "a.m", "p.m"})


def parse_clocks(text: str) -> tuple[time, ...] | None:
    """Read several reminder times ("11:00, 15:30", "9am and 3 pm"), sorted; None if any is bad."""
    tokens: list[str] = []
    for token in _SEPARATORS.split(text.strip().lower()):
        if token in _MERIDIEM and tokens:
            tokens[-1] = f"{tokens[-1]} {token}"
        elif token:
            tokens.append(token)
    times = [parse_local_time(t) for t in tokens]
    if not times or any(t is None for t in times):
        return None
    return tuple(sorted({t for t in times if t is not None}))


def zone(name: str) -> ZoneInfo:
    """The user's zone, falling back to UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
