"""Issue 18, a shorter start: from /start to the first card in ten actions or fewer.

Without weakening the screen: every flag is still shown and answered, an answered
question shows its answer, only the current question has live buttons, a late Yes on
an old copy still stops exercise, and "not sure" gets the reasons and the buttons again.
"""

from __future__ import annotations

from bot.callbacks import TriageAnswer, decode
from bot.coach.triage import Access
from bot.emulator import FakeUser, StoredMessage
from bot.handlers.common import exercise_access
from tests.flows.conftest import Lumbar

MOST_ACTIONS = 10


def live_triage_questions(lumbar: Lumbar, user: FakeUser) -> list[StoredMessage]:
    """Bot messages that show safety-check buttons now."""
    return [
        m
        for m in lumbar.server.bot_messages(user)
        if any(isinstance(decode(data), TriageAnswer) for row in m.buttons for _, data in row)
    ]


def texts(out: list[StoredMessage]) -> str:
    return "\n".join(m.text_or_caption for m in out)


async def test_a_user_without_flags_reaches_the_first_card_in_ten_actions(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    transcript: list[str] = []
    actions = 0

    def note(action: str, out: list[StoredMessage]) -> None:
        transcript.append(f"USER: {action}")
        for message in out:
            labels = " | ".join(label for row in message.buttons for label, _ in row)
            shown = message.text_or_caption if message.kind == "text" else message.caption or ""
            head = f"BOT ({message.kind}): " + shown.replace("\n", " ⏎ ")
            transcript.append(head + (f"  [{labels}]" if labels else ""))

    async def send(text: str) -> list[StoredMessage]:
        nonlocal actions
        actions += 1
        out = await lumbar.send(ann, text)
        note(f"types {text!r}", out)
        return out

    async def press(label: str) -> list[StoredMessage]:
        nonlocal actions
        actions += 1
        out = await lumbar.press(ann, label)
        note(f"taps {label!r}", out)
        return out

    await send("/start")
    await press("Yes, I'm 16 to 49")
    await send("Berlin")
    for _ in lumbar.services.library.rules.groups:
        await press("None of these")
    await press("2")
    await press("Some weeks")
    out = await press("Start my first session")
    print("\n" + "\n".join(transcript) + f"\n\n{actions} actions from /start to the first card")
    assert out[-1].kind == "photo" and "Card 1 of" in (out[-1].caption or "")
    assert actions <= MOST_ACTIONS
    # Every flag for this age was shown and answered No.
    shown = {f.id for f in lumbar.services.library.rules.flags if f.when is None}
    text = texts(lumbar.server.bot_messages(ann))
    for flag in lumbar.services.library.rules.flags:
        if flag.id in shown:
            assert flag.question.replace("<b>", "").replace("</b>", "") in text
    # The numbering is true: four groups, numbered one to four, never more.
    for n in range(1, 5):
        assert f"Safety check {n} of 4." in text
    assert "of 7" not in text and "One more safety question" not in text


async def test_an_answered_question_shows_the_answer_and_loses_its_buttons(
    lumbar: Lumbar,
) -> None:
    bea = lumbar.user(8101, name="Bea")
    await lumbar.send(bea, "/start")
    welcome, _ = lumbar.find_button(bea, "Yes, I'm 50 or over")
    await lumbar.press(bea, "Yes, I'm 50 or over")
    assert "Hi Bea" in (welcome.text or "") and (welcome.text or "").endswith(
        "→ Yes, I'm 50 or over"
    )
    assert welcome.buttons == []
    where, _ = lumbar.find_button(bea, "Pick from a list")
    await lumbar.send(bea, "Lisbon")
    assert (where.text or "").startswith("Where are you?")
    assert (where.text or "").endswith("→ Lisbon") and where.buttons == []
    group, _ = lumbar.find_button(bea, "Numb genitals or bottom")
    await lumbar.press(bea, "None of these")
    assert (group.text or "").startswith("Safety check 1 of 4.")
    assert (group.text or "").endswith("→ None of these") and group.buttons == []
    await lumbar.press(bea, "None of these")
    soon, _ = lumbar.find_button(bea, "This pain is new")  # asked from 50
    await lumbar.press(bea, "None of these")
    assert (soon.text or "").startswith("Safety check 3 of 4.")
    history, _ = lumbar.find_button(bea, "I'm pregnant")
    await lumbar.press(bea, "Herniated disc")  # a tick redraws the group in place
    assert history.buttons and "✅ Herniated disc" in str(history.buttons)
    await lumbar.press(bea, "Done")
    assert (history.text or "").endswith("→ Herniated disc") and history.buttons == []
    pain, _ = lumbar.find_button(bea, "10")
    await lumbar.press(bea, "3")
    assert (pain.text or "").endswith("→ 3/10")
    assert len(live_triage_questions(lumbar, bea)) == 1


async def test_free_text_or_a_new_copy_never_leaves_two_live_questions(lumbar: Lumbar) -> None:
    cal = lumbar.user(8102, name="Cal")
    await lumbar.triage(cal, until="time_zone")
    await lumbar.send(cal, "Berlin")
    await lumbar.press(cal, "None of these")
    first, _ = lumbar.find_button(cal, "Fever or very unwell")
    for text in ("hello", "what does this mean?", "/start", "/today", "/cancel", "/start"):
        await lumbar.send(cal, text)
        live = live_triage_questions(lumbar, cal)
        assert len(live) == (0 if text == "/cancel" else 1), (text, [m.text for m in live])
        assert first not in live
    assert first.buttons == []
    # An old copy pressed: answered as passed, and still one live question.
    _, none = lumbar.find_button(cal, "None of these")
    out = await lumbar.press_data(cal, first.message_id, none)
    assert len(live_triage_questions(lumbar, cal)) == 1, texts(out)
    # The time-zone question with its list, a town not found, and the plan screen too.
    await lumbar.press(cal, "None of these")
    await lumbar.press(cal, "None of these")
    await lumbar.send(cal, "7")  # a typed pain score answers the pain question
    assert "How long have you had" in texts(lumbar.server.new_bot_messages(cal)) or any(
        "How long have you had" in (m.text or "") for m in live_triage_questions(lumbar, cal)
    )
    await lumbar.press(cal, "A few days")
    for text in ("ok", "/start"):
        await lumbar.send(cal, text)
        live = live_triage_questions(lumbar, cal)
        assert len(live) == 1 and (live[0].text or "").startswith("Your plan is ready.")


async def test_a_town_not_found_offers_the_list_and_one_live_question(lumbar: Lumbar) -> None:
    dan = lumbar.user(8103, name="Dan")
    await lumbar.triage(dan, until="time_zone")
    out = await lumbar.send(dan, "Xyzzyville")
    assert "couldn't find" in texts(out) and "Europe" in str(out[-1].buttons)
    assert len(live_triage_questions(lumbar, dan)) == 1
    await lumbar.press(dan, "Europe")
    out = await lumbar.press(dan, "Lisbon")
    assert "Europe/Lisbon" in texts(out)
    assert "Safety check 1 of 4." in texts(out)
    assert len(live_triage_questions(lumbar, dan)) == 1


async def test_a_late_yes_on_an_old_copy_stops_exercise_like_an_on_time_yes(
    lumbar: Lumbar,
) -> None:
    eli = lumbar.user(8104, name="Eli")
    await lumbar.send(eli, "/start")
    await lumbar.press(eli, "Yes, I'm 16 to 49")
    await lumbar.send(eli, "Berlin")
    old, yes = lumbar.find_button(eli, "Bladder or bowel trouble")
    await lumbar.send(eli, "/start")  # a new copy: the old one loses its buttons
    assert old.buttons == []
    for _ in lumbar.services.library.rules.groups:
        await lumbar.press(eli, "None of these")
    await lumbar.press(eli, "2")
    await lumbar.press(eli, "Some weeks")
    out = await lumbar.press(eli, "Start my first session")
    card = out[-1]
    assert card.kind == "photo" and card.buttons
    # The old copy's Yes, pressed late (a client that still shows it): it counts.
    out = await lumbar.press_data(eli, old.message_id, yes)
    said = texts(out)
    assert "🚨" in said and "Please get medical help now." in said
    assert card.buttons == []  # the open card is closed
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(eli.id)
        access = await exercise_access(uow, eli.id)
    assert profile is not None and "bladder_bowel" in profile.red_flag_ids
    assert profile.red_flag == "emergency" and access is Access.BLOCKED
    for command in ("/today", "/stretch"):
        reply = await lumbar.send(eli, command)
        assert not [m for m in reply if m.kind == "photo"], command


async def test_a_late_yes_during_the_check_stops_it_and_leaves_nothing_live(
    lumbar: Lumbar,
) -> None:
    fay = lumbar.user(8105, name="Fay")
    await lumbar.triage(fay, until="time_zone")
    await lumbar.send(fay, "Berlin")
    old, yes = lumbar.find_button(fay, "Both legs affected")
    await lumbar.press(fay, "None of these")
    await lumbar.press(fay, "None of these")  # now at group 3
    out = await lumbar.press_data(fay, old.message_id, yes)
    assert "🚨" in texts(out)
    assert live_triage_questions(lumbar, fay) == []
    async with lumbar.services.transaction() as uow:
        assert await exercise_access(uow, fay.id) is Access.BLOCKED


async def test_not_sure_at_a_safety_question_gets_the_reasons_and_the_buttons(
    lumbar: Lumbar,
) -> None:
    gus = lumbar.user(8106, name="Gus")
    await lumbar.triage(gus, until="time_zone")
    await lumbar.send(gus, "Berlin")
    await lumbar.press(gus, "None of these")
    asked, _ = lumbar.find_button(gus, "Had cancer before")
    out = await lumbar.send(gus, "dunno")
    why = out[0].text or ""
    rules = lumbar.services.library.rules
    group = next(g for g in rules.groups if g.id == "today")
    for flag in group.flags:
        assert flag.label in why and flag.why.split(",")[0] in why
    assert "None of these" in why
    assert (out[-1].text or "").startswith("Safety check 2 of 4.")
    labels = [label for row in out[-1].buttons for label, _ in row]
    assert labels[-1] == "None of these" and "Had cancer before" in labels
    assert asked.buttons == [] and len(live_triage_questions(lumbar, gus)) == 1


async def test_the_one_tap_confirm_stores_the_default_plan_and_reminders(
    lumbar: Lumbar,
) -> None:
    hal = lumbar.user(8107, name="Hal")
    out = await lumbar.triage(hal, experience="I'm new to exercise", start=False)
    plan = out[0].text or ""
    assert "Experience: I'm new to exercise" in plan
    assert "Reminders: stretch at 11:00 and 15:30 on workdays; water reminders off" in plan
    async with lumbar.services.transaction() as uow:
        assert await uow.profiles.get(hal.id) is None  # nothing is saved before the tap
        assert await uow.nudges.get_settings(hal.id) is None
    out = await lumbar.press(hal, "Start my first session")
    assert out[-1].kind == "photo"
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(hal.id)
        settings = await uow.nudges.get_settings(hal.id)
        nudges = {n.kind: n for n in await uow.nudges.for_user(hal.id)}
        state = await uow.triage.get_state(hal.id)
    assert state is None
    assert profile is not None and profile.experience == "new" and profile.equipment == []
    assert profile.pain_now == 2 and profile.pain_duration == "weeks"
    assert settings is not None and settings.enabled and settings.stretch_enabled
    assert list(settings.stretch_times) == ["11:00", "15:30"]
    assert not settings.water_enabled
    # 09:00 UTC on Monday 2 March is 10:00 in Berlin: the first stretch nudge is 11:00 local.
    assert nudges["stretch"].due_at is not None
    assert nudges["stretch"].due_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert "water" not in nudges or nudges["water"].due_at is None


async def test_the_plan_can_be_changed_before_the_tap(lumbar: Lumbar) -> None:
    ida = lumbar.user(8108, name="Ida")
    out = await lumbar.triage(ida, start=False)  # experience "Now and then" was changed
    plan = out[0]
    await lumbar.press(ida, "✏️ Equipment")
    assert (plan.text or "").startswith("What do you have at home?")  # the same message
    await lumbar.press(ida, "Fascia roller")
    await lumbar.press(ida, "Done")
    await lumbar.press(ida, "✏️ Reminders")
    await lumbar.press(ida, "Stretch and water")
    assert (plan.text or "").startswith("Your plan is ready.")
    assert "Equipment: Fascia roller" in (plan.text or "")
    assert "Experience: Now and then" in (plan.text or "")
    assert "water four times a day" in (plan.text or "")
    assert len(live_triage_questions(lumbar, ida)) == 1
    await lumbar.press(ida, "Start my first session")
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ida.id)
        settings = await uow.nudges.get_settings(ida.id)
    assert profile is not None and profile.experience == "some"
    assert profile.equipment == ["roller"]
    assert settings is not None and settings.water_enabled and settings.stretch_enabled


async def test_under_16_on_the_welcome_keeps_nothing(lumbar: Lumbar) -> None:
    kim = lumbar.user(8109, name="Kim")
    await lumbar.send(kim, "/start")
    out = await lumbar.press(kim, "I'm under 16")
    assert "aged 16 and over" in texts(out)
    async with lumbar.services.transaction() as uow:
        assert await uow.users.get(kim.id) is None
        assert await uow.triage.get_state(kim.id) is None
