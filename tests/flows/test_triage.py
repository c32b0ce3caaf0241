"""The safety check through the emulator: to a plan, to each kind of stop, and back."""

from __future__ import annotations

from tests.flows.conftest import Lumbar


async def test_check_ends_in_profile_plan_and_reminders(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    out = await lumbar.triage(
        ann, pain=3, experience="Now and then", equipment=["Exercise mat"], reminders="all"
    )
    summary_message = lumbar.summary(out)
    summary = summary_message.text or ""
    assert summary.startswith("Your plan is ready.")
    assert "All set" not in summary
    assert "Pain now: 3/10" in summary
    assert "Europe/Berlin" in summary
    assert "building" in summary
    # The article's advice for someone in pain reaches them: skip what hurts, no sit-ups.
    assert "If an exercise hurts, skip it" in summary
    assert "Crunches and sit-ups" in summary
    # Its one tap confirmed it and started the first session: the plan shows the answer.
    assert summary.endswith("→ Start my first session")
    assert lumbar.server.buttons(summary_message) == []
    assert out[-1].kind == "photo" and "Card 1 of" in (out[-1].caption or "")
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
        user = await uow.users.get(ann.id)
        nudges = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
        state = await uow.triage.get_state(ann.id)
    assert profile is not None and profile.red_flag == "none"
    assert profile.pain_now == 3 and profile.experience == "some"
    assert profile.equipment == ["mat"] and profile.phase == "building"
    assert profile.age_band == "16_49" and profile.red_flag_ids == []
    assert user is not None and user.time_zone == "Europe/Berlin" and user.consent_at is not None
    assert state is None
    # 09:00 UTC on Monday 2 March is 10:00 in Berlin: the next stretch nudge is 11:00 local.
    assert nudges["stretch"].due_at is not None
    assert nudges["stretch"].due_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert nudges["water"].due_at is not None


async def test_every_group_is_answered_explicitly(lumbar: Lumbar) -> None:
    """Each screen group lists its items, one button each, and a "None of these"."""
    cy = lumbar.user(3003, name="Cy")
    await lumbar.send(cy, "/start")
    await lumbar.press(cy, "16 to 49")
    out = await lumbar.send(cy, "London")
    rules = lumbar.services.library.rules
    for group in rules.groups:
        question = out[-1]
        labels = [label for row in lumbar.server.buttons(question) for label, _ in row]
        shown = [f for f in group.flags if f.when is None]
        assert labels[-1] == "None of these"
        assert [label.removeprefix("▫️ ") for label in labels[:-1]] == [f.button for f in shown]
        for flag in shown:
            assert flag.question.replace("<b>", "").replace("</b>", "") in (question.text or "")
        out = await lumbar.press(cy, "None of these")
    assert "How strong is your back pain" in (out[-1].text or "")
    async with lumbar.services.transaction() as uow:
        state = await uow.triage.get_state(cy.id)
    assert state is not None
    answered = {flag_id: yes for flag_id, yes in state.answers["flags"]}
    assert answered == {f.id: False for f in rules.flags if f.when is None}


async def test_new_back_pain_is_asked_only_over_50(lumbar: Lumbar) -> None:
    dan = lumbar.user(3004, name="Dan")
    out = await lumbar.triage(dan, age="50 or over", flags=["new_over_50"])
    text = out[0].text or ""
    assert "Please see a doctor soon." in text
    assert "new back pain over 50" in text
    young = lumbar.user(3005, name="Yan")
    await lumbar.triage(young, equipment=())
    assert not any(
        "This back pain is new" in (m.text or "") for m in lumbar.server.bot_messages(young)
    )


async def test_under_16_is_told_kindly_and_nothing_is_kept(lumbar: Lumbar) -> None:
    kim = lumbar.user(3006, name="Kim")
    await lumbar.send(kim, "/start")
    out = await lumbar.press(kim, "Under 16")
    assert "aged 16 and over" in (out[-1].text or "")
    after = await lumbar.send(kim, "/today")
    assert not any(m.kind == "photo" for m in after)
    async with lumbar.services.transaction() as uow:
        assert await uow.profiles.get(kim.id) is None
        assert await uow.triage.get_state(kim.id) is None


async def test_free_text_at_a_safety_question_explains_why_it_matters(lumbar: Lumbar) -> None:
    dee = lumbar.user(4004, name="Dee")
    await lumbar.triage(dee, until="time_zone")
    await lumbar.press(dee, "Pick from a list")
    await lumbar.press(dee, "Europe")
    await lumbar.press(dee, "Berlin")
    out = await lumbar.send(dee, "dunno")
    assert "Not sure? Here is why each of these matters" in (out[0].text or "")
    assert "cauda equina syndrome" in (out[0].text or "")
    assert "Safety check 1 of 4" in (out[-1].text or "")
    assert lumbar.server.buttons(out[-1])  # the question again, with its buttons


async def test_time_zone_from_typed_city_and_local_time(lumbar: Lumbar) -> None:
    eve = lumbar.user(5005, name="Eve")
    out = await lumbar.triage(eve, until="time_zone")
    assert "where are you" in (out[-2].text or out[-1].text or "").lower() or any(
        "where are you" in (m.text or "").lower() for m in out
    )
    out = await lumbar.send(eve, "Xyzzyville")  # Atlantis is a real town (South Africa)
    assert "couldn't find" in (out[0].text or "")
    out = await lumbar.send(eve, "tokyo")
    assert "Asia/Tokyo" in (out[0].text or "")
    assert "Safety check 1 of 4" in (out[-1].text or "")


async def test_shared_location_sets_the_time_zone_offline(lumbar: Lumbar) -> None:
    fay = lumbar.user(6006, name="Fay")
    await lumbar.triage(fay, until="time_zone")
    assert lumbar.server.reply_keyboard(fay) is not None  # the location button is offered
    lumbar.server.send_location(fay, -33.87, 151.21)  # Sydney
    await lumbar.server.settle(quiet=0.3)
    texts = [m.text or "" for m in lumbar.server.new_bot_messages(fay)]
    assert any("Australia/Sydney" in t for t in texts)
    async with lumbar.services.transaction() as uow:
        user = await uow.users.get(fay.id)
    assert user is not None and user.time_zone == "Australia/Sydney"
