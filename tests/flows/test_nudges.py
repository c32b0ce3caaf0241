"""Nudges through the real dispatcher: right local time, once, and never to a blocked user."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.emulator import FakeUser
from db.models import Profile
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage


async def test_stretch_nudge_arrives_at_local_time_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)  # Berlin; 09:00 UTC Monday = 10:00 local
    report = await lumbar.dispatch()
    assert report.sent == 0  # nothing due yet
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # 11:00:05 in Berlin
    report = await lumbar.dispatch()
    assert report.sent == 1  # the stretch nudge; water comes every 4 h from 08:00 (next 12:00)
    messages = lumbar.server.new_bot_messages(ann)
    stretch = [m for m in messages if "Stretch now" in str(lumbar.server.buttons(m))]
    assert len(stretch) == 1
    again = await lumbar.dispatch()
    assert again.sent == 0
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    # Next stretch: 15:30 Berlin = 14:30 UTC the same day.
    assert rows["stretch"].due_at == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


async def test_water_button_logs_a_glass_and_snooze_moves_the_stretch(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, reminders="all")  # water reminders are off until chosen
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    await lumbar.dispatch()
    lumbar.clock.set(datetime(2026, 3, 2, 11, 0, 5, tzinfo=UTC))  # 12:00 in Berlin
    report = await lumbar.dispatch()
    assert report.sent == 1
    nudge, data = lumbar.find_button(ann, "I drank a glass")
    out = await lumbar.press(ann, "I drank a glass")
    assert "1 glass" in (out[-1].text or "")
    # A double tap (the second press reaching us before the buttons went) counts once.
    out = await lumbar.press_data(ann, nudge.message_id, data)
    assert "already counted" in (out[-1].text or "") and "1 glass" in (out[-1].text or "")
    out = await lumbar.press(ann, "In an hour")
    assert "remind you in an hour" in (out[-1].text or "")
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
        glasses = await uow.water.count_on(ann.id, lumbar.clock.now.date())
    assert glasses == 1
    assert rows["stretch"].due_at == lumbar.clock.now + timedelta(hours=1)


async def test_blocked_user_gets_no_more_nudges(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    lumbar.server.block(ann)
    await lumbar.server.settle(quiet=0.3)
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    report = await lumbar.dispatch()
    assert report.sent == 0
    async with lumbar.services.transaction() as uow:
        user = await uow.users.get(ann.id)
        rows = await uow.nudges.for_user(ann.id)
    assert user is not None and user.blocked_at is not None
    assert all(n.due_at is None for n in rows)


async def test_403_from_send_disables_nudges_and_stale_ones_are_skipped(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    bob = lumbar.user(2002, name="Bob")
    await lumbar.triage(ann)
    await lumbar.triage(bob)
    lumbar.server.fail(
        "sendMessage",
        403,
        chat_id=ann.id,
        times=5,
        description="Forbidden: bot was blocked by the user",
    )
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    report = await lumbar.dispatch()
    assert report.blocked >= 1
    async with lumbar.services.transaction() as uow:
        ann_row = await uow.users.get(ann.id)
    assert ann_row is not None and ann_row.blocked_at is not None
    # After downtime, a nudge far past its time is skipped, not sent late.
    lumbar.clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    before = len(lumbar.server.bot_messages(bob))
    report = await lumbar.dispatch()
    assert report.skipped_stale >= 1
    sent_now = lumbar.server.bot_messages(bob)[before:]
    assert not any("Stretch now" in str(lumbar.server.buttons(m)) for m in sent_now)


async def test_no_stretch_nudge_after_a_finished_session_and_water_texts_vary(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, reminders="all")
    out = await lumbar.send(ann, "/stretch")
    while not any("Session complete" in m.text_or_caption for m in out):
        out = await lumbar.press(ann, "Done")
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # 11:00 Berlin, stretch due
    report = await lumbar.dispatch()
    assert (report.sent, report.skipped_done) == (0, 1)
    texts = []
    for hour in (11, 15, 19):  # water at 12:00, 16:00, 20:00 Berlin: four a day from 08:00
        lumbar.clock.set(datetime(2026, 3, 2, hour, 0, 5, tzinfo=UTC))
        report = await lumbar.dispatch()
        texts.append(lumbar.server.last_bot_message(ann).text)
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert "glass" in str(lumbar.server.buttons(lumbar.server.last_bot_message(ann)))


async def a_stretch_nudge(lumbar: Lumbar, user: FakeUser) -> None:
    """A user with a finished check gets the 11:00 (Berlin) stretch nudge."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock())
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    assert (await lumbar.dispatch()).sent == 1
    lumbar.find_button(user, "In an hour")


async def stretch_due(lumbar: Lumbar, user: FakeUser) -> datetime | None:
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(user.id)}
    return rows["stretch"].due_at


async def test_snooze_schedules_nothing_for_a_blocked_user(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await a_stretch_nudge(lumbar, ann)
    due = await stretch_due(lumbar, ann)
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == ann.id)
            .values(red_flag="soon", red_flag_ids=["weight_loss"], cleared_ids=[])
        )
    out = await lumbar.press(ann, "In an hour")
    assert len(out) == 1 and "⚠️" in (out[0].text or "")
    assert "remind you in an hour" not in (out[0].text or "")
    assert await stretch_due(lumbar, ann) == due  # not moved to an hour from now


async def test_snooze_respects_reminders_turned_off_or_paused(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await a_stretch_nudge(lumbar, ann)
    message, data = lumbar.find_button(ann, "In an hour")
    now = lumbar.clock()
    async with lumbar.services.transaction() as uow:
        await uow.nudges.save_settings(ann.id, now=now, stretch_enabled=False)
        await uow.nudges.schedule(ann.id, "stretch", None)
    out = await lumbar.press(ann, "In an hour")
    assert "reminders are off" in (out[-1].text or "")
    assert await stretch_due(lumbar, ann) is None
    async with lumbar.services.transaction() as uow:
        await uow.nudges.save_settings(
            ann.id, now=now, stretch_enabled=True, paused_until=now + timedelta(days=1)
        )
    out = await lumbar.press_data(ann, message.message_id, data)  # the same old nudge
    assert "paused until Tue 11:00" in (out[-1].text or "")  # Berlin time
    assert await stretch_due(lumbar, ann) is None


async def test_snooze_during_a_safety_check_returns_to_the_check(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await a_stretch_nudge(lumbar, ann)
    due = await stretch_due(lumbar, ann)
    question = await lumbar.send(ann, "/triage")
    message, data = next(
        (m, d)
        for m in reversed(lumbar.server.bot_messages(ann))
        for row in lumbar.server.buttons(m)
        for t, d in row
        if t == "In an hour" and d is not None
    )
    out = await lumbar.press_data(ann, message.message_id, data)
    assert "safety questions first" in (out[0].text or "")
    assert out[-1].text == question[-1].text
    assert await stretch_due(lumbar, ann) == due
