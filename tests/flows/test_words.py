"""Screens that tell the truth (issue 18, "Words"): what a user reads, through the emulator.

Real plurals; human labels instead of stored values; one dose per card; one length for
the quick stretch; 🪶 (not 📈) for an exercise made easier; typed pain answered with
today's advice (a doctor for a blocked user); no "see you tomorrow" while today's
session is still open. Users start from a profile written straight to the database (as
a finished check leaves it: pain 2, building phase, an exercise mat, in Berlin), so
these tests do not depend on the wording of the safety check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import update

from bot.coach.plan import stretch_minutes
from bot.emulator import FakeUser, StoredMessage
from db.models import Profile
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage

# "1 days", "1 sessions": a singular count with a plural word, or a "(s)" for the reader.
WRONG_PLURAL = re.compile(
    r"\b1 (?:days|sessions|exercises|minutes|glasses|reps|sets|breaths|times|hours)\b|\(s\)"
)
PAIN = "my back really hurts today, should I still exercise?"
IDLE = "I mostly work with buttons"


async def seeded(lumbar: Lumbar, user: FakeUser) -> None:
    """A user whose check is done and clear, as if they had written to the bot before."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock())


def text_of(messages: Sequence[StoredMessage]) -> str:
    return "\n".join(m.text or m.caption or "" for m in messages)


def labels(lumbar: Lumbar, messages: Sequence[StoredMessage]) -> list[str]:
    return [text for m in messages for row in lumbar.server.buttons(m) for text, _ in row]


def everything_read(lumbar: Lumbar, user: FakeUser) -> str:
    """Every text, caption and button the user was ever shown, in every version."""
    seen: list[str] = []
    for message in lumbar.server.bot_messages(user):
        contents = [message.content, *(version.content for version in message.history)]
        seen += [str(c.get("text") or c.get("caption") or "") for c in contents]
        seen += labels(lumbar, [message])
    return "\n".join(seen)


async def finish(lumbar: Lumbar, user: FakeUser, out: list[StoredMessage]) -> str:
    """Press Done on every card of the session just started; the summary's caption."""
    while "How does your back feel" not in text_of(out):
        out = await lumbar.press(user, "Done")
    return text_of(out)


async def test_a_quick_stretch_says_one_dose_per_card_and_leaves_today_open(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    minutes = stretch_minutes(lumbar.services.library.exercises)
    out = await lumbar.send(ann, "/stretch")
    (card,) = out  # the intro heads the first card's caption
    intro = card.caption or ""
    assert intro.startswith(f"Quick stretch: 3 exercises, about {minutes} minutes.")
    captions = []
    while True:
        caption = out[-1].caption or ""
        captions.append(caption)
        if "How does your back feel" in caption:
            break
        out = await lumbar.press(ann, "Done")
    bend, cobra, cat_cow, summary = captions
    # The dose is said once: today's, and the full dose as the goal when today's is less.
    assert "Today: 5 deep breaths" in bend and "Goal:" not in bend
    assert "Hold the stretch and breathe deeply." in bend
    assert "Goal: 10 reps, hold 3 breaths" in cobra
    assert re.search(r"Today: \d reps, hold 3 breaths", cobra)
    assert "Goal: 3 sets × 10 reps" in cat_cow and re.search(r"Today: \d reps\n", cat_cow)
    for caption in (bend, cobra, cat_cow):
        assert caption.count("Today:") == 1 and "repetitions" not in caption
        assert "3 sets." not in caption
    assert "Streak: 1 day · Best: 1 day" in summary
    # Only a quick stretch so far: today's session is still open, not "see you tomorrow".
    out = await lumbar.press(ann, "Better")
    thanks = text_of(out)
    assert "Great to hear! Today's session is still open" in thanks and "/today" in thanks
    assert "tomorrow" not in thanks.lower()
    assert not WRONG_PLURAL.search(everything_read(lumbar, ann))


async def test_after_todays_session_the_counts_read_as_words(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "/today")
    assert re.match(r"Today's session: \d exercises, about \d+ minutes\.", out[0].caption or "")
    summary = await finish(lumbar, ann, out)
    assert "Streak: 1 day · Best: 1 day" in summary
    out = await lumbar.press(ann, "Same")
    assert "Thanks — steady is good. See you tomorrow." in text_of(out)
    out = await lumbar.send(ann, "/progress")
    progress = text_of(out)
    assert "Streak: 1 day (best 1)" in progress and "This week: 1 session\n" in progress
    # A quick stretch after the day's session: nothing is open any more.
    out = await finish(lumbar, ann, await lumbar.send(ann, "/stretch"))
    out = await lumbar.press(ann, "Better")
    assert "Great to hear! See you tomorrow." in text_of(out)
    assert "still open" not in text_of(out)
    assert not WRONG_PLURAL.search(everything_read(lumbar, ann))


async def test_the_quick_stretch_has_one_length_everywhere(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    minutes = stretch_minutes(lumbar.services.library.exercises)
    said = f"about {minutes} minutes"
    out = await lumbar.send(ann, "/help")
    assert f"/stretch — a quick stretch ({said})" in text_of(out)
    assert "3–5" not in text_of(out)
    # The default menu (English); each other language has one of its own.
    menus = lumbar.server.calls_to("setMyCommands")
    (menu,) = [call for call in menus if not call.params.get("language_code")]
    assert f"A quick stretch (about {minutes} min)" in str(menu.params)
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # 11:00 in Berlin
    report = await lumbar.dispatch()
    assert report.sent == 1
    nudge = lumbar.server.new_bot_messages(ann)
    assert f"Stretch now ({minutes} min)" in labels(lumbar, nudge)
    out = await lumbar.send(ann, "/stretch")
    assert said in (out[0].caption or "").split("\n\n")[0]  # the intro, heading the card


async def test_settings_use_the_checks_words_not_stored_values(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == ann.id)
            .values(equipment=["roller", "mat"], phase="strengthening")
        )
    out = await lumbar.send(ann, "/settings")
    text = text_of(out)
    lib = lumbar.services.library
    mat, roller = lib.text("equipment_mat"), lib.text("equipment_roller")
    assert f"Equipment: {mat}, {roller}\n" in text + "\n"  # the check's order and labels
    assert "Phase: strengthening" in text
    assert "Equipment: mat" not in text and "roller," not in text
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile).where(Profile.user_id == ann.id).values(equipment=[])
        )
    out = await lumbar.send(ann, "/settings")
    assert f"Equipment: {lib.text('equipment_nothing')}" in text_of(out)
    assert "Equipment: none" not in text_of(out)


async def test_an_exercise_made_easier_is_not_marked_as_progress(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await finish(lumbar, ann, await lumbar.send(ann, "/today"))
    out = await lumbar.press(ann, "Worse")  # every exercise of the session one level down
    text = text_of(out)
    lines = [line for line in text.splitlines() if "next time" in line]
    assert lines, text
    assert all(line.startswith("🪶 ") and "gentler for now" in line for line in lines)
    assert "📈" not in text and "See you tomorrow" not in text


async def test_typed_pain_gets_todays_advice_and_the_gentle_way_in(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    lib = lumbar.services.library
    minutes = stretch_minutes(lib.exercises)
    for typed in (PAIN, "pain is bad", "hurts a lot"):
        out = await lumbar.send(ann, typed)
        text = text_of(out)
        assert IDLE not in text
        assert text.startswith("Sorry your back hurts today.")
        assert f"quick stretch takes about {minutes} minutes (/stretch)" in text
        assert "take today's session slowly (/today)" in text
        assert lib.rules.avoid_when_in_pain[0] in text  # what to leave out: the article's
        assert "please see a doctor" in text and "emergency" in text
        assert labels(lumbar, out) == ["Quick stretch", "Start today's session"]
    out = await lumbar.send(ann, "what's new?")
    assert IDLE in text_of(out)
    # Once today's session is done, the quick stretch alone.
    await finish(lumbar, ann, await lumbar.send(ann, "/today"))
    await lumbar.press(ann, "Same")
    out = await lumbar.send(ann, "my back is sore")
    assert f"A quick stretch of about {minutes} minutes can ease it" in text_of(out)
    assert "/today" not in text_of(out) and labels(lumbar, out) == ["Quick stretch"]


async def test_typed_warning_signs_and_a_blocked_users_pain_get_a_doctor(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "my back hurts and my legs feel numb")
    text = text_of(out)
    assert "may need a doctor" in text and "call 112" in text  # Berlin: Germany's number
    assert "/stretch" not in text and "/today" not in text and labels(lumbar, out) == []
    # A user with an open red flag is not pointed to any exercise.
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == ann.id)
            .values(
                red_flag="soon",
                red_flag_ids=["weight_loss"],
                cleared_ids=[],
                flagged_at=lumbar.clock(),
            )
        )
    out = await lumbar.send(ann, PAIN)
    text = text_of(out)
    headline = lumbar.services.library.rules.tiers
    assert any(tier.headline in text for tier in headline.values())
    assert "/stretch" not in text and "/today" not in text
    assert not {"Quick stretch", "Start today's session"} & set(labels(lumbar, out))


async def test_start_after_todays_session_says_it_is_done(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "/start")
    assert re.search(r"Ready for today's session\? It takes about \d+ minutes\.", text_of(out))
    assert "10–20" not in text_of(out)
    await finish(lumbar, ann, await lumbar.send(ann, "/today"))
    await lumbar.press(ann, "Better")
    out = await lumbar.send(ann, "/start")
    text = text_of(out)
    assert "Ready for today's session" not in text
    assert "You've done today's session" in text and "The next one is tomorrow" in text
    assert labels(lumbar, out) == ["Quick stretch"]
