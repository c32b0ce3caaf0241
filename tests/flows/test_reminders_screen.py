"""The /reminders screen as a person reads it on a phone (issue 18, items 1 and 2).

Labels fit a phone's buttons and say each setting's state; a pause answers with a
toast and redraws the screen; a new screen closes the old one; a blocked user sees
what is really scheduled, and /progress does not invite them to exercise.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import update

from bot.emulator import FakeUser, StoredMessage
from bot.nudge_schedule import reschedule
from db.models import Profile
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage

# A phone shows about 13 characters of each button in a row of two ("Water inter…" was
# cut at 14); a button alone in its row has the whole width.
PAIR_WIDTH, SINGLE_WIDTH = 13, 24


async def seeded(lumbar: Lumbar, user: FakeUser) -> None:
    """A user who finished a clear check (Berlin, default reminders)."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock())


async def flag(lumbar: Lumbar, user: FakeUser, flag_id: str, *, emergency: bool = False) -> None:
    """The user reported a red flag no doctor has cleared; nudges follow, as after a report."""
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == user.id)
            .values(
                red_flag="emergency" if emergency else "soon",
                red_flag_ids=[flag_id],
                cleared_ids=[],
                flagged_at=lumbar.clock(),
            )
        )
        await reschedule(uow, user.id, lumbar.clock())


def width(label: str) -> int:
    """Characters as a phone lays them out: an emoji takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) == "W" else 1 for ch in label)


def screen(lumbar: Lumbar, message: StoredMessage) -> str:
    """The message and its buttons as the user sees them (printed with -s)."""
    lines = [message.text or ""]
    for row in lumbar.server.buttons(message):
        lines.append(" ".join(f"[{text}]" for text, _ in row))
    shown = "\n".join(lines)
    print(f"\n--- message {message.message_id} ---\n{shown}")
    return shown


def labels(lumbar: Lumbar, message: StoredMessage) -> list[str]:
    return [text for row in lumbar.server.buttons(message) for text, _ in row]


def toast(lumbar: Lumbar) -> str | None:
    """The text of the last answer to a press (the toast the phone shows)."""
    text = lumbar.server.calls_to("answerCallbackQuery")[-1].params.get("text")
    return None if text is None else str(text)


async def menu(lumbar: Lumbar, user: FakeUser) -> StoredMessage:
    (message,) = await lumbar.send(user, "/reminders")
    return message


def current(lumbar: Lumbar, message: StoredMessage) -> StoredMessage:
    """The message as it is now (after edits in place)."""
    user = message.chat_id
    return next(m for m in lumbar.server.bot_messages(user) if m.message_id == message.message_id)


async def test_labels_fit_a_phone_and_each_toggle_shows_its_state(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    shown = screen(lumbar, m := await menu(lumbar, ann))
    for row in lumbar.server.buttons(m):
        assert len(row) <= 2, row
        for text, _ in row:
            assert width(text) <= (PAIR_WIDTH if len(row) == 2 else SINGLE_WIDTH), text
    assert "Stretch: 11:00, 15:30 (workdays)" in shown
    assert "Water: every 4 hours from 08:00, 4 times a day" in shown
    assert {"Stretch: on ✅", "Water: on ✅", "Days: Mon–Fri", "Every 4 hours"} <= set(
        labels(lumbar, m)
    )

    await lumbar.press(ann, "Stretch: on")
    await lumbar.press(ann, "Water: on")
    await lumbar.press(ann, "Every 4 hours")  # round to the shortest interval
    await lumbar.press(ann, "Days: Mon–Fri")
    shown = screen(lumbar, m := current(lumbar, m))  # redrawn in place, no new message
    assert len(lumbar.server.bot_messages(ann)) == 1
    assert "Stretch: off" in shown and "Water: off" in shown
    assert {"Stretch: off", "Water: off", "Every hour", "Days: daily"} <= set(labels(lumbar, m))
    await lumbar.press(ann, "Water: off")
    shown = screen(lumbar, current(lumbar, m))
    assert "Water: every hour from 08:00, 13 times a day" in shown


async def test_pause_answers_with_a_toast_and_shows_the_pause(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)  # Monday 09:00 UTC, 10:00 in Berlin
    m = await menu(lumbar, ann)
    await lumbar.press(ann, "Pause 1 day")
    assert toast(lumbar) == "Paused until Tue 10:00"
    shown = screen(lumbar, m := current(lumbar, m))
    assert "⏸ Paused until Tue 10:00." in shown
    assert "Resume" in labels(lumbar, m) and "Pause 1 week" not in labels(lumbar, m)

    await lumbar.press(ann, "Resume")
    assert toast(lumbar) == "Reminders are back on"
    m = current(lumbar, m)
    assert "Paused" not in screen(lumbar, m)
    await lumbar.press(ann, "Pause 1 week")
    assert toast(lumbar) == "Paused until Mon 9 Mar, 10:00"
    assert "⏸ Paused until Mon 9 Mar, 10:00." in screen(lumbar, current(lumbar, m))


async def test_a_new_screen_closes_the_one_before(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    first = await menu(lumbar, ann)
    second = await menu(lumbar, ann)
    assert lumbar.server.buttons(current(lumbar, first)) == []
    assert lumbar.server.buttons(current(lumbar, second))
    # A typed setting answers with a fresh screen: the one it was asked from closes too.
    await lumbar.press(ann, "Quiet hours")
    out = await lumbar.send(ann, "22:00-07:00")
    assert "Quiet hours: 22:00–07:00" in screen(lumbar, out[-1])
    assert lumbar.server.buttons(current(lumbar, second)) == []
    assert [m.message_id for m in lumbar.server.bot_messages(ann) if m.buttons] == [
        out[-1].message_id
    ]


async def test_a_blocked_user_sees_what_is_really_scheduled(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await flag(lumbar, ann, "weight_loss")
    shown = screen(lumbar, m := await menu(lumbar, ann))
    assert (
        "Stretch: none for now, until a doctor has checked your back; "
        "then 11:00, 15:30 (workdays)" in shown
    )
    assert "Weekly check-in: none for now, until a doctor has checked your back" in shown
    assert "Water: every 4 hours from 08:00, 4 times a day" in shown  # water is still fine
    assert {"Stretch: on ✅", "Water: on ✅"} <= set(labels(lumbar, m))
    async with lumbar.services.transaction() as uow:
        due = {n.kind: n.due_at for n in await uow.nudges.for_user(ann.id)}
    assert due["stretch"] is None and due.get("checkin") is None and due["water"] is not None

    await lumbar.press(ann, "Stretch: on")  # the setting changes; still nothing is sent
    shown = screen(lumbar, current(lumbar, m))
    assert "Stretch: off" in shown and "Stretch: off" in labels(lumbar, current(lumbar, m))


async def test_an_open_emergency_holds_even_the_water(lumbar: Lumbar) -> None:
    ned = lumbar.user(1003, name="Ned")
    await seeded(lumbar, ned)
    await flag(lumbar, ned, "bladder_bowel", emergency=True)
    shown = screen(lumbar, await menu(lumbar, ned))
    assert "Water: none for now, until a doctor has checked your back" in shown
    assert "Stretch: none for now" in shown


async def test_progress_does_not_invite_a_blocked_user_to_exercise(lumbar: Lumbar) -> None:
    ann, bob = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    for user in (ann, bob):
        await seeded(lumbar, user)
    await flag(lumbar, ann, "weight_loss")
    (blocked,) = await lumbar.send(ann, "/progress")
    said = screen(lumbar, blocked)
    assert "/today" not in said
    assert "Exercise waits until a doctor has checked your back" in said
    assert "This week: 0 sessions" in said and "Water today: 0 glasses" in said
    (allowed,) = await lumbar.send(bob, "/progress")
    assert "Your streak starts with /today" in screen(lumbar, allowed)
