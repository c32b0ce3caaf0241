"""Triage through the emulator: to a plan, to emergency advice, and back after a restart."""

from __future__ import annotations

from tests.flows.conftest import Lumbar


async def test_triage_ends_in_profile_plan_and_reminders(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    out = await lumbar.triage(ann, pain=3, experience="Now and then", equipment=["Exercise mat"])
    summary = out[-1].text or ""
    assert "All set" in summary
    assert "Pain now: 3/10" in summary
    assert "Europe/Berlin" in summary
    assert "building" in summary
    assert "Start my first session" in str(lumbar.server.buttons(out[-1]))
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
        user = await uow.users.get(ann.id)
        nudges = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
        state = await uow.triage.get_state(ann.id)
    assert profile is not None and profile.red_flag == "none"
    assert profile.pain_now == 3 and profile.experience == "some"
    assert profile.equipment == ["mat"] and profile.phase == "building"
    assert user is not None and user.time_zone == "Europe/Berlin" and user.consent_at is not None
    assert state is None
    # 09:00 UTC on Monday 2 March is 10:00 in Berlin: the next stretch nudge is 11:00 local.
    assert nudges["stretch"].due_at is not None
    assert nudges["stretch"].due_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert nudges["water"].due_at is not None


async def test_emergency_red_flag_stops_everything(lumbar: Lumbar) -> None:
    bob = lumbar.user(2002, name="Bob")
    out = await lumbar.triage(bob, red_flags=[1])  # new trouble controlling bladder or bowel
    texts = " ".join(m.text or "" for m in out)
    assert "medical help now" in texts
    after = await lumbar.send(bob, "/today")
    assert not any(m.kind == "photo" for m in after)
    assert "doctor" in (after[0].text or "")
    after = await lumbar.send(bob, "/stretch")
    assert not any(m.kind == "photo" for m in after)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(bob.id)
        nudges = await uow.nudges.for_user(bob.id)
    assert profile is not None and profile.red_flag == "emergency"
    assert all(n.due_at is None for n in nudges)


async def test_stale_triage_button_gets_current_question(lumbar: Lumbar) -> None:
    cy = lumbar.user(3003, name="Cy")
    await lumbar.send(cy, "/start")
    await lumbar.press(cy, "Yes, let's start")
    first_question = lumbar.server.last_bot_message(cy)
    _, stale_data = lumbar.find_button(cy, "No")
    await lumbar.press(cy, "No")
    assert lumbar.server.buttons(first_question) == []  # answered: its buttons are gone
    out = await lumbar.press_data(cy, first_question.message_id, stale_data)
    assert any("Safety check 2 of" in (m.text or "") for m in out)
    async with lumbar.services.transaction() as uow:
        state = await uow.triage.get_state(cy.id)
    assert state is not None and len(state.answers["red_flags"]) == 1


async def test_free_text_during_triage_gets_a_re_ask(lumbar: Lumbar) -> None:
    dee = lumbar.user(4004, name="Dee")
    await lumbar.send(dee, "/start")
    await lumbar.press(dee, "Yes, let's start")
    out = await lumbar.send(dee, "my back hurts a lot")
    assert "buttons" in (out[0].text or "")
    assert "Safety check 1 of" in (out[-1].text or "")


async def test_time_zone_from_typed_city_and_local_time(lumbar: Lumbar) -> None:
    eve = lumbar.user(5005, name="Eve")
    await lumbar.triage(
        eve, pain=0, duration="Some weeks", experience="Regularly", equipment=(), until="time_zone"
    )
    out = await lumbar.send(eve, "Atlantis")
    assert "couldn't find" in (out[0].text or "")
    out = await lumbar.send(eve, "tokyo")
    assert "Asia/Tokyo" in (out[0].text or "")


async def test_shared_location_sets_the_time_zone_offline(lumbar: Lumbar) -> None:
    fay = lumbar.user(6006, name="Fay")
    await lumbar.triage(
        fay, pain=1, duration="A few days", experience="I'm new", equipment=(), until="time_zone"
    )
    assert lumbar.server.reply_keyboard(fay) is not None  # the location button is offered
    lumbar.server.send_location(fay, -33.87, 151.21)  # Sydney
    await lumbar.server.settle(quiet=0.3)
    texts = [m.text or "" for m in lumbar.server.new_bot_messages(fay)]
    assert any("Australia/Sydney" in t for t in texts)
    async with lumbar.services.transaction() as uow:
        user = await uow.users.get(fay.id)
    assert user is not None and user.time_zone == "Australia/Sydney"
