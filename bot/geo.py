"""Offline time-zone lookup from a shared location."""

from __future__ import annotations

from functools import lru_cache

from timezonefinder import TimezoneFinder


@lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    return TimezoneFinder(in_memory=False)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point, from bundled data (no network); None at sea or off the map."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    result = _finder().timezone_at(lng=longitude, lat=latitude)
    return str(result) if result else None
