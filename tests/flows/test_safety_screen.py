"""Issue 14: the safety screen cannot be walked past, explains itself and keeps watching.

Each test names the hole it closes; every one of them failed before the screen was rebuilt.
"""

from __future__ import annotations

import html

from bot.emulator import FakeUser, StoredMessage
from tests.flows.conftest import CARD_KINDS, Lumbar
from tests.seeding import seed_finished_triage


def texts(messages: list[StoredMessage]) -> str:
    return "\n".join(m.text or m.caption or "" for m in messages)


def photos(messages: list[StoredMessage]) -> list[StoredMessage]:
    return [m for m in messages if m.kind in CARD_KINDS]


async def seeded(lumbar: Lumbar, user: FakeUser, zone: str = "Europe/London") -> None:
    """A user who finished a clean check earlier (consent given, zone known)."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock(), zone=zone)


async def redo_to_group(lumbar: Lumbar, user: FakeUser, group_index: int) -> list[StoredMessage]:
    """/triage, the age, then "None of these" up to the group with this index."""
    await lumbar.send(user, "/triage")
    out = await lumbar.press(user, "16 to 49")
    for _ in range(group_index):
        out = await lumbar.press(user, "None of these")
    return out


async def clear_with_doctor(lumbar: Lumbar, user: FakeUser) -> list[StoredMessage]:
    """A doctor has examined me → yes → nothing is new or worse."""
    await lumbar.press(user, "A doctor has examined me")
    await lumbar.press(user, "Yes, I was examined")
    return await lumbar.press(user, "No, nothing is new or worse")


async def test_emergency_transcript_for_a_user_in_london(lumbar: Lumbar) -> None:
    """Hole 3 and the note's transcript: what was reported, why, 999, and no button."""
    lee = lumbar.user(7001, name="Lee")
    await lumbar.send(lee, "/start")
    await lumbar.press(lee, "16 to 49")
    await lumbar.send(lee, "London")
    out = await lumbar.press(lee, "Numb genitals or bottom")
    said = texts(out)
    print("\n--- emergency transcript (Europe/London) ---\n" + said)
    assert said.startswith("🚨 Please get medical help now.")
    assert "You told me about: numbness around your genitals or bottom." in said
    assert "cauda equina syndrome" in said
    assert "Call 999 or go to the nearest emergency department now" in said
    assert "soon" not in said
    assert all(not lumbar.server.buttons(m) for m in out)  # no clearance button
    # Within the hour, nothing offers a clearance either.
    lumbar.clock.advance(minutes=30)
    again = await lumbar.send(lee, "/start")
    assert "Call 999" in texts(again)
    assert all(not lumbar.server.buttons(m) for m in again)


async def test_a_clearance_covers_only_what_was_reported_so_far(lumbar: Lumbar) -> None:
    """Hole 1: after a clearance, a Yes to another flag stops the check again."""
    max_ = lumbar.user(7002, name="Max")
    await seeded(lumbar, max_)
    out = await redo_to_group(lumbar, max_, 1)
    out = await lumbar.press(max_, "After a fall or accident")
    assert "Please see a doctor today." in texts(out)
    out = await clear_with_doctor(lumbar, max_)
    assert "Safety check 2 of 4" in texts(out)  # the rest of the group, still to answer
    assert "After a fall or accident" not in str(lumbar.server.buttons(out[-1]))
    out = await lumbar.press(max_, "Had cancer before")
    said = texts(out)
    assert "Please see a doctor today." in said
    assert "cancer in the past and new back pain" in said
    assert not photos(await lumbar.send(max_, "/today"))
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(max_.id)
    assert profile is not None
    assert set(profile.red_flag_ids) == {"trauma", "cancer_history"}
    assert profile.cleared_ids == ["trauma"]


async def test_an_emergency_is_cleared_only_on_a_later_visit(lumbar: Lumbar) -> None:
    """Hole 1 and 3: an emergency clears after the hour, then a new Yes stops again."""
    ida = lumbar.user(7003, name="Ida")
    await seeded(lumbar, ida)
    await redo_to_group(lumbar, ida, 0)
    await lumbar.press(ida, "Bladder or bowel trouble")
    lumbar.clock.advance(hours=5)
    out = await lumbar.send(ida, "/start")
    assert "A doctor has examined me" in str([lumbar.server.buttons(m) for m in out])
    out = await clear_with_doctor(lumbar, ida)
    assert "Safety check 1 of 4" in texts(out)
    out = await lumbar.press(ida, "Both legs affected")
    assert "🚨 Please get medical help now." in texts(out)
    assert "pain, numbness or weakness in both legs" in texts(out)
    assert not photos(await lumbar.send(ida, "/stretch"))


async def test_something_new_since_the_doctor_keeps_the_block(lumbar: Lumbar) -> None:
    """The clearance asks whether anything is new or worse; a Yes clears nothing."""
    uma = lumbar.user(7004, name="Uma")
    await seeded(lumbar, uma)
    await redo_to_group(lumbar, uma, 2)
    await lumbar.press(uma, "Losing weight")
    await lumbar.press(uma, "A doctor has examined me")
    out = await lumbar.press(uma, "Yes, I was examined")
    assert "weight loss without trying" in texts(out)
    out = await lumbar.press(uma, "Yes, something is new or worse")
    assert "Please see a doctor soon." in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(uma.id)
    assert profile is not None and profile.cleared_ids == []


async def test_an_old_clearance_button_does_not_clear_a_later_flag(lumbar: Lumbar) -> None:
    """A confirm button from before a new report is stale: it clears nothing."""
    ola = lumbar.user(7005, name="Ola")
    await seeded(lumbar, ola)
    out = await redo_to_group(lumbar, ola, 1)
    second_group = out[-1]
    _, fever = lumbar.find_button(ola, "Fever or very unwell")
    await lumbar.press(ola, "None of these")
    await lumbar.press(ola, "Losing weight")
    await lumbar.press(ola, "A doctor has examined me")
    await lumbar.press(ola, "Yes, I was examined")
    old, confirm = lumbar.find_button(ola, "No, nothing is new or worse")
    # Before confirming, a new report arrives: a late Yes on the second group's message.
    out = await lumbar.press_data(ola, second_group.message_id, fever)
    assert "Please see a doctor today." in texts(out)
    out = await lumbar.press_data(ola, old.message_id, confirm)
    assert "That question has passed" in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ola.id)
    assert profile is not None and profile.cleared_ids == []
    assert set(profile.red_flag_ids) == {"weight_loss", "fever_unwell"}


async def test_a_redo_is_no_way_around_a_clearance(lumbar: Lumbar) -> None:
    """An open flag comes along into /triage: the redo stops at once with its advice."""
    ned = lumbar.user(7013, name="Ned")
    await lumbar.triage(ned, flags=["saddle_numbness"], city="London")
    await lumbar.send(ned, "/triage")
    out = await lumbar.press(ned, "16 to 49")
    assert "🚨 Please get medical help now." in texts(out)
    assert "None of these" not in str([lumbar.server.buttons(m) for m in out])
    assert not photos(await lumbar.send(ned, "/today"))
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ned.id)
    assert profile is not None and profile.red_flag_ids == ["saddle_numbness"]


async def test_cards_on_screen_stop_working_after_a_block(lumbar: Lumbar) -> None:
    """Hole 2: /today, /triage, bladder trouble, then Done on the earlier card: no card 2."""
    pia = lumbar.user(7006, name="Pia")
    await seeded(lumbar, pia)
    first = photos(await lumbar.send(pia, "/today"))
    assert first, "today's first card"
    card, done = first[0], ""
    for row in lumbar.server.buttons(card):
        for label, data in row:
            if "Done" in label and data:
                done = data
    await redo_to_group(lumbar, pia, 0)
    out = await lumbar.press(pia, "Bladder or bowel trouble")
    assert "🚨" in texts(out)
    assert lumbar.server.buttons(card) == []  # closed the moment the flag was reported
    out = await lumbar.press_data(pia, card.message_id, done)
    assert not photos(out)
    assert not any("Card 2" in (m.caption or "") for m in lumbar.server.bot_messages(pia))
    assert not photos(await lumbar.send(pia, "/today"))


async def test_emergency_stays_an_emergency_on_later_visits(lumbar: Lumbar) -> None:
    """Hole 5: a later /today from an emergency user is not "see a doctor soon"."""
    ray = lumbar.user(7007, name="Ray")
    await lumbar.triage(ray, flags=["tummy_pain"], city="London")
    lumbar.clock.advance(days=1)
    out = await lumbar.send(ray, "/today")
    said = texts(out)
    assert "🚨 Please get medical help now." in said
    assert "Call 999" in said
    assert "soon" not in said
    sue = lumbar.user(7008, name="Sue")
    await lumbar.triage(sue, flags=["thin_bones"])
    said = texts(await lumbar.send(sue, "/today"))
    assert said.lower().count("doctor soon") == 1


async def test_a_redo_keeps_each_answer_and_today_resumes_it(lumbar: Lumbar) -> None:
    """Hole 6: a fracture ticked halfway through /triage, then /today: no session."""
    tom = lumbar.user(7009, name="Tom")
    await seeded(lumbar, tom)
    await redo_to_group(lumbar, tom, 3)
    await lumbar.press(tom, "Broken bone in my spine")
    await lumbar.press(tom, "Done")
    out = await lumbar.send(tom, "/today")
    assert not photos(out)
    assert "How strong is your back pain" in texts(out) or "Doctor first" in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(tom.id)
    assert profile is not None and profile.contraindication_ids == ["spine_fracture"]
    assert not photos(await lumbar.send(tom, "/stretch"))


async def test_the_summary_names_conditions_and_gives_their_advice(lumbar: Lumbar) -> None:
    """Hole 7: no question pasted as a condition, no "All set!" for a blocked user."""
    vic = lumbar.user(7010, name="Vic")
    out = await lumbar.triage(vic, flags=["herniated_disc"])
    summary = lumbar.summary(out).text or ""
    assert summary.startswith("⚠️ Doctor first.")
    assert "You told me about: a herniated (slipped) disc." in summary
    assert "Have you been diagnosed" not in summary and "All set" not in summary
    assert "A doctor has examined me" in str(lumbar.server.buttons(lumbar.summary(out)))
    assert not photos(await lumbar.send(vic, "/today"))
    out = await clear_with_doctor(lumbar, vic)
    assert "gentlest plan" in texts(out)
    assert photos(await lumbar.press(vic, "Start my first session"))


async def test_routine_and_pregnancy_notes_keep_the_plan(lumbar: Lumbar) -> None:
    wes = lumbar.user(7011, name="Wes")
    out = await lumbar.triage(wes, flags=["inflammatory_pattern", "pregnant"])
    summary = lumbar.summary(out).text or ""
    assert "Worth mentioning to your GP." in summary
    assert "axial spondyloarthritis" in summary
    assert "midwife or a physiotherapist" in summary
    cards = photos(await lumbar.send(wes, "/today"))
    assert cards
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(wes.id)
    assert profile is not None and profile.pregnant and profile.note_ids == ["inflammatory_pattern"]


async def test_a_late_yes_on_an_old_copy_counts(lumbar: Lumbar) -> None:
    """Safety first: a red-flag Yes pressed on an answered question is not thrown away."""
    zoe = lumbar.user(7012, name="Zoe")
    await seeded(lumbar, zoe)
    out = await redo_to_group(lumbar, zoe, 0)
    first_group = out[-1]
    _, yes = lumbar.find_button(zoe, "Throbbing in my tummy")
    await lumbar.press(zoe, "None of these")
    out = await lumbar.press_data(zoe, first_group.message_id, yes)
    assert "🚨 Please get medical help now." in texts(out)
    assert "a throbbing feeling in your tummy" in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(zoe.id)
    assert profile is not None and "throbbing_tummy" in profile.red_flag_ids


async def test_every_rules_text_reaches_a_user(lumbar: Lumbar) -> None:
    """Every string of rules.yaml is sent by some path: screens, stops, summaries, /help.

    Each flag's label and reason are checked word for word, flag by flag, in
    ``test_red_flag_table.py``; this test covers everything else.
    """
    rules = lumbar.services.library.rules
    users = [lumbar.user(7100, name="Help")]
    await lumbar.send(users[0], "/help")
    kid = lumbar.user(7300, name="Kid")
    users.append(kid)
    await lumbar.send(kid, "/start")
    await lumbar.press(kid, "Under 16")
    walker = lumbar.user(7301, name="Walk")  # every question and button, then the advice
    users.append(walker)
    await lumbar.triage(
        walker, age="50 or over", pain=3, experience="I'm new", equipment=["Fascia roller"]
    )
    await lumbar.send(walker, "/triage")  # a redo asks the age on its own
    for index, flags in enumerate(
        (["bladder_bowel"], ["fever_unwell"], ["weight_loss"], ["spine_fracture"])
    ):
        user = lumbar.user(7302 + index, name="Tier")
        users.append(user)
        await lumbar.triage(user, flags=flags)
    notes = lumbar.user(7310, name="Notes")
    users.append(notes)
    await lumbar.triage(notes, flags=["inflammatory_pattern", "pregnant"])
    # Everything the bot sent or drew, buttons included (answered questions lose theirs).
    sent = [
        str(call.params.get("text") or call.params.get("caption") or "")
        + str(call.params.get("reply_markup") or "")
        for call in lumbar.server.api_calls()
    ]

    def flat(text: str) -> str:
        return " ".join(html.unescape(text.replace("<b>", "").replace("</b>", "")).split())

    everything = flat("\n".join(sent))
    strings = [
        *rules.sources,
        rules.age_question,
        rules.under_16,
        *rules.avoid_when_in_pain,
        *rules.avoid_as_beginner,
        *rules.during_exercise,
        rules.roller_rule,
    ]
    for words in rules.tiers.values():
        strings += [words.headline, *words.advice.split("{number}")]
    for group in rules.groups:
        strings.append(group.intro)
        for flag in group.flags:
            strings += [flag.question, flag.button]
    missing = [s for s in strings if flat(s) not in everything]
    assert missing == []
