"""A typed answer to "where are you?": a town, a zone's name or the local time, to a zone."""

from __future__ import annotations

from bot.coach import timezones
from bot.geo import Found
from bot.services import LumbarContext


async def zone_from_text(context: LumbarContext, text: str) -> Found:
    """A typed city, an IANA zone name, or the user's current local time.

    In this order: a city of the picker, a zone's name, a clock time, a town of
    15,000 people or more (``bot.geo``: the most populous of that name), the start
    of a picker city's name, and last a town whose name is a slip or two away (then
    ``Found.town`` names it, so the user can see what was understood).
    """
    lib = context.library
    now = context.services.clock()
    wanted = text.strip().lower()
    if not wanted:
        return Found()
    cities = [city for region in lib.regions for city in region.cities]
    for city in cities:
        if city.name.lower() == wanted:
            return Found(city.zone)
    by_lower = {name.lower(): name for name in timezones.canonical_zones()}
    if wanted in by_lower:
        return Found(by_lower[wanted])
    for name_lower, name in by_lower.items():
        if "/" in name_lower and name_lower.rsplit("/", 1)[1].replace("_", " ") == wanted:
            return Found(name)
    local = timezones.parse_local_time(text)
    if local is not None:
        candidates = timezones.zones_for_offset(timezones.offset_for_local_time(now, local), now)
        return Found(candidates[0] if candidates else None)
    found = await context.services.places.find(text)
    if found.zone is not None and found.town is None:
        return found
    for city in cities:
        if len(wanted) >= 4 and city.name.lower().startswith(wanted):
            return Found(city.zone)
    return found
