"""Nothing is stored before consent, nothing scheduled before the check (issue 16, item 9)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.callbacks import Menu, NudgeAction, encode
from bot.emulator import FakeUser, StoredMessage
from db.base import Base
from db.models import User
from tests.flows.conftest import QUIET, Lumbar
from tests.seeding import seed_finished_triage

OLD_BUTTONS = (
    Menu("rem", "days"),
    Menu("rem", "water"),
    Menu("rem", "on"),
    Menu("rem", "times"),
    NudgeAction("water"),
    NudgeAction("snooze"),
    NudgeAction("stretch"),
    Menu("set", "zone"),
    Menu("go", "today"),
)


async def rows_about(lumbar: Lumbar, user_id: int) -> dict[str, int]:
    """Every table's rows about this user (the user row, and each table with a user_id)."""
    found: dict[str, int] = {}
    async with lumbar.services.transaction() as uow:
        for table in Base.metadata.sorted_tables:
            column = User.__table__.c.id if table.name == "user" else table.c.get("user_id")
            if column is None:
                continue
            count = await uow.session.scalar(
                select(func.count()).select_from(table).where(column == user_id)
            )
            if count:
                found[table.name] = int(count)
    return found


async def nudge_rows(lumbar: Lumbar, user: FakeUser) -> dict[str, object]:
    async with lumbar.services.transaction() as uow:
        return {n.kind: n.due_at for n in await uow.nudges.for_user(user.id)}


def points_to_start(lumbar: Lumbar, messages: list[StoredMessage]) -> bool:
    """A reply that says /start, or offers the button that starts the check."""
    return any(
        "/start" in m.text_or_caption
        or "Start the check" in str(lumbar.server.buttons(m))
        or "Yes, I'm 16 to 49" in str(lumbar.server.buttons(m))
        for m in messages
    )


async def share_location(lumbar: Lumbar, user: FakeUser) -> list[StoredMessage]:
    lumbar.server.send_location(user, 52.52, 13.40)
    await lumbar.server.wait_for(lambda: lumbar.server.new_bot_messages(user), timeout=10)
    await lumbar.server.settle(quiet=QUIET)
    return lumbar.server.new_bot_messages(user)


async def press_old_buttons(lumbar: Lumbar, user: FakeUser, message_id: int) -> None:
    for data in OLD_BUTTONS:
        out = await lumbar.press_data(user, message_id, encode(data))
        assert points_to_start(lumbar, out), (data, [m.text_or_caption[:60] for m in out])


async def test_a_stranger_is_pointed_to_start_and_nothing_is_stored(lumbar: Lumbar) -> None:
    zoe = lumbar.user(3003, "Zoe")
    for text in ("/today", "/stretch", "/progress", "/reminders", "/settings", "/export"):
        out = await lumbar.send(zoe, text)
        assert points_to_start(lumbar, out), (text, [m.text_or_caption[:60] for m in out])
    for text in ("/help", "hello"):
        out = await lumbar.send(zoe, text)
        assert points_to_start(lumbar, out), (text, [m.text_or_caption[:60] for m in out])
    assert points_to_start(lumbar, await share_location(lumbar, zoe))
    await press_old_buttons(lumbar, zoe, lumbar.server.bot_messages(zoe)[-1].message_id)
    assert await rows_about(lumbar, zoe.id) == {}


async def test_after_forget_today_and_old_reminder_buttons_store_nothing(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(1001, "Ann")
    lumbar.server.private_chat(ann)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, ann, lumbar.clock())
    await lumbar.send(ann, "/reminders")
    screen, _ = lumbar.find_button(ann, "Days")
    await lumbar.send(ann, "/forget")
    await lumbar.press(ann, "Yes, erase everything")
    assert await rows_about(lumbar, ann.id) == {}

    out = await lumbar.send(ann, "/today")
    assert points_to_start(lumbar, out)
    await press_old_buttons(lumbar, ann, screen.message_id)
    assert await rows_about(lumbar, ann.id) == {}


async def test_reminder_buttons_during_the_first_check_schedule_nothing(lumbar: Lumbar) -> None:
    bea = lumbar.user(1002, "Bea")
    await lumbar.triage(bea, until="time_zone")  # she agreed; the check is under way
    out = await lumbar.send(bea, "/reminders")
    assert "time zone" in " ".join(m.text_or_caption.lower() for m in out)  # the check resumes
    anchor = lumbar.server.bot_messages(bea)[-1].message_id
    for data in (Menu("rem", "days"), Menu("rem", "on"), Menu("rem", "water")):
        await lumbar.press_data(bea, anchor, encode(data))
    assert await nudge_rows(lumbar, bea) == {}
    assert "nudge_settings" not in await rows_about(lumbar, bea.id)


async def test_no_nudge_at_all_while_an_emergency_is_open(lumbar: Lumbar) -> None:
    ned = lumbar.user(1003, "Ned")
    await lumbar.triage(ned, flags=["saddle_numbness"], city="London")
    await lumbar.send(ned, "/reminders")
    for label in ("Days", "Water: on", "Water: off", "Stretch: on", "Stretch: off"):
        await lumbar.press(ned, label)
    assert set((await nudge_rows(lumbar, ned)).values()) <= {None}


async def test_start_stores_nothing_until_the_person_agrees(lumbar: Lumbar) -> None:
    cy = lumbar.user(4711, name="Cy")
    out = await lumbar.send(cy, "/start")
    assert out[0].text_or_caption.startswith("Hi Cy!")
    assert await rows_about(lumbar, cy.id) == {}  # asked, nothing kept
    out = await lumbar.press(cy, "Not now")
    assert "I won't keep anything" in " ".join(m.text_or_caption for m in out)
    assert await rows_about(lumbar, cy.id) == {}
    await lumbar.send(cy, "/start")
    out = await lumbar.press(cy, "Yes, I'm 16 to 49")
    assert "Where are you?" in " ".join(m.text_or_caption for m in out)  # the check goes on
    assert set(await rows_about(lumbar, cy.id)) == {"user", "triage_state"}
