"""/forget erases everything about a user (after asking); /export hands it all over as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.faults.harness import Lumbar, all_rows, rows_mentioning, seed_profile, texts

# Distinctive, so that a scan of every column cannot match by accident.
ANN_ID, BOB_ID = 734590123, 734590777
ANN_NAME = "Annika-Zq"
PER_USER_TABLES = {
    "user",
    "profile",
    "workout",
    "exercise_result",
    "exercise_progress",
    "streak",
    "streak_day",
    "nudge_settings",
    "nudge",
    "water_log",
}


async def _live_a_day(lumbar: Lumbar, user_id: int, name: str) -> None:
    """Triage through the buttons, a session (one card hurt) with feedback, a glass of water."""
    user = lumbar.user(user_id, name=name)
    await lumbar.triage(user, reminders="all")  # the first session starts; water chosen too
    await lumbar.press(user, "It hurts")
    out = await lumbar.press(user, "Next exercise")
    while "Session complete" not in texts(out):
        out = await lumbar.press(user, "Done")
    await lumbar.press(user, "Better")
    lumbar.clock.set(datetime(2026, 3, 2, 11, 0, 5, tzinfo=UTC))  # 12:00 in Berlin: water time
    await lumbar.dispatch()
    await lumbar.press(user, "I drank a glass")


async def test_forget_erases_every_row_about_the_user(lumbar: Lumbar, db_url: str) -> None:
    await _live_a_day(lumbar, ANN_ID, ANN_NAME)
    bob = lumbar.user(BOB_ID, name="Bob")
    await seed_profile(lumbar, bob)
    before = {name for name, _ in rows_mentioning(await all_rows(db_url), ANN_ID)}
    assert before >= PER_USER_TABLES, f"the day should leave rows everywhere: {before}"
    ann = lumbar.user(ANN_ID, name=ANN_NAME)

    out = await lumbar.send(ann, "/forget")
    assert "cannot be undone" in texts(out)
    assert {n for n, _ in rows_mentioning(await all_rows(db_url), ANN_ID)} == before  # asked only
    out = await lumbar.press(ann, "Yes, erase everything")
    assert "erased everything" in texts(out)

    rows = await all_rows(db_url)
    assert list(rows_mentioning(rows, ANN_ID, ANN_NAME)) == []
    assert {name for name, _ in rows_mentioning(rows, BOB_ID)} >= {"user", "profile", "nudge"}
    assert not lumbar.app.user_data and not lumbar.app.chat_data  # nothing kept in memory
    # Coming back is a fresh start.
    out = await lumbar.send(ann, "/start")
    assert "Shall we begin?" in texts(out)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_forget_asks_first_and_no_keeps_everything(lumbar: Lumbar, db_url: str) -> None:
    ann = lumbar.user(ANN_ID, name=ANN_NAME)
    await seed_profile(lumbar, ann)
    before = await all_rows(db_url)
    await lumbar.send(ann, "/forget")
    out = await lumbar.press(ann, "No, keep my data")
    assert "nothing was erased" in texts(out)
    assert await all_rows(db_url) == before
    # The answered confirmation keeps no buttons to press later by mistake.
    confirm = next(
        m for m in lumbar.server.bot_messages(ann) if "cannot be undone" in (m.text or "")
    )
    assert lumbar.server.buttons(confirm) == []


async def test_export_sends_the_users_data_as_a_json_file(lumbar: Lumbar) -> None:
    ann = lumbar.user(ANN_ID, name=ANN_NAME)
    bob = lumbar.user(BOB_ID, name="Bob")
    await seed_profile(lumbar, ann)
    await seed_profile(lumbar, bob)
    await lumbar.send(ann, "/today")
    await lumbar.press(ann, "Skip")
    out = await lumbar.send(ann, "/export")
    (document,) = [m for m in out if m.kind == "document"]
    assert document.content["document"]["file_name"] == "lumbar-export.json"
    data = json.loads(lumbar.server.files[str(document.document_file_id)].data)
    assert data["user"]["id"] == ANN_ID and data["user"]["time_zone"] == "Europe/Berlin"
    assert data["profile"]["pain_now"] == 2 and data["profile"]["equipment"] == ["mat"]
    (workout,) = data["workouts"]
    assert [r["outcome"] for r in workout["results"]] == ["skipped"]
    assert {n["kind"] for n in data["nudges"]} == {"stretch", "water"}
    assert str(BOB_ID) not in json.dumps(data)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_export_of_someone_unknown_says_there_is_nothing(lumbar: Lumbar) -> None:
    cy = lumbar.user(ANN_ID + 5, name="Cy")
    out = await lumbar.send(cy, "/export")
    assert [m.kind for m in out] == ["text"]
    assert "don't keep anything about you" in texts(out)
