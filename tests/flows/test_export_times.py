"""/export: consent and a doctor's clearance carry the moment they were given (issue 18, item 4).

Before, both carried the moment the check ended: a check that stopped for a red flag
and went on after a doctor's visit exported hours (or days) after either happened.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.emulator import FakeUser
from tests.flows.conftest import Lumbar


async def export(lumbar: Lumbar, user: FakeUser) -> dict[str, Any]:
    out = await lumbar.send(user, "/export")
    (document,) = [m for m in out if m.kind == "document"]
    data: dict[str, Any] = json.loads(lumbar.server.files[str(document.document_file_id)].data)
    return data


def when(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp)


async def test_consent_and_clearance_are_exported_as_given(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    agreed_at = lumbar.clock()
    await lumbar.send(ann, "/start")
    await lumbar.press(ann, "Yes, I'm 16 to 49")
    lumbar.clock.advance(minutes=4)
    await lumbar.send(ann, "Berlin")
    await lumbar.press(ann, "None of these")
    out = await lumbar.press(ann, "After a fall or accident")  # stops: a doctor today
    assert "Please see a doctor today." in "\n".join(m.text or "" for m in out)

    lumbar.clock.advance(hours=5)  # back from the doctor
    cleared_at = lumbar.clock()
    await lumbar.press(ann, "A doctor has examined me")
    await lumbar.press(ann, "Yes, I was examined")
    out = await lumbar.press(ann, "No, nothing is new or worse")
    lumbar.clock.advance(minutes=20)  # the rest of the check, a while later
    while "Safety check" in (out[-1].text or ""):
        out = await lumbar.press(ann, "None of these")
    await lumbar.press(ann, "2")
    out = await lumbar.press(ann, "Some weeks")
    assert any((m.text or "").startswith("Your plan is ready.") for m in out)
    await lumbar.press(ann, "Start my first session")
    finished_at = lumbar.clock()

    data = await export(lumbar, ann)
    print("\n" + json.dumps({"user": data["user"], "profile": data["profile"]}, indent=1))
    assert when(data["user"]["consent_at"]) == agreed_at
    assert when(data["profile"]["cleared_at"]) == cleared_at
    assert data["profile"]["cleared_ids"] == ["trauma"]
    assert when(data["profile"]["completed_at"]) == finished_at

    # A redone check later keeps the first agreement.
    lumbar.clock.advance(days=3)
    await lumbar.send(ann, "/triage")
    await lumbar.press(ann, "16 to 49")
    async with lumbar.services.transaction() as uow:
        user = await uow.users.get(ann.id)
    assert user is not None and user.consent_at == agreed_at
    assert finished_at - agreed_at > timedelta(hours=5)
