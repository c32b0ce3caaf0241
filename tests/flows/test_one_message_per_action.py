"""One chat message per user action: Telegram's ~30 messages a second per bot is the budget.

`/today` sends the first card with the session's intro heading its caption (one photo,
no separate intro), unless the intro carries advice worth keeping in view (severe pain);
the feeling answer is said on the summary it answers, in place, except Worse, whose
warning signs arrive as a message of their own; a resumed session says where it stands
on the card it resumes with. Checked as the user sees the chat and as the Bot API
saw the calls.
"""

from __future__ import annotations

from bot.emulator import FakeUser, StoredMessage
from bot.emulator.flood import makes_message
from db.models import Workout
from tests.flows.conftest import CARD_KINDS, Lumbar
from tests.seeding import seed_finished_triage

CARD_BUTTONS = ["✅ Done", "⏭ Skip", "🤕 It hurts"]
FEELINGS = ["Better", "Same", "Worse"]


async def seeded(lumbar: Lumbar, user: FakeUser) -> None:
    """A user whose check is done and clear (pain 2), who wrote to the bot before.

    The baseline check-in after the check is answered already, so that no question of
    its own follows the feeling answer.
    """
    lumbar.server.private_chat(user)
    now = lumbar.clock()
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, now)
        baseline = await uow.checkins.start(user.id, "baseline", now.date(), now, "building")
        await uow.checkins.complete(baseline.id, now)


def labels(lumbar: Lumbar, message: StoredMessage) -> list[str]:
    return [text for row in lumbar.server.buttons(message) for text, _ in row]


def shown(message: StoredMessage) -> str:
    return message.text_or_caption


def chat_calls(lumbar: Lumbar, user: FakeUser, since: int) -> list[str]:
    """The chat-bound calls (sends and edits) made into this user's chat since ``since``."""
    return [
        call.method
        for call in lumbar.server.calls[since:]
        if str(call.params.get("chat_id")) == str(user.id)
        and (makes_message(call.method) or call.method.startswith(("editMessage", "delete")))
    ]


def messages_sent(lumbar: Lumbar, user: FakeUser, since: int) -> list[str]:
    """The calls since ``since`` that put a new message in this user's chat."""
    return [m for m in chat_calls(lumbar, user, since) if makes_message(m)]


async def to_the_summary(lumbar: Lumbar, user: FakeUser) -> StoredMessage:
    """Start today's session and press Done on every card; the summary asking the feeling."""
    (card,) = await lumbar.send(user, "/today")
    while "How does your back feel now?" not in shown(card):
        (card,) = await lumbar.press(user, "Done")
    assert labels(lumbar, card) == FEELINGS
    return card


async def a_summary(lumbar: Lumbar) -> tuple[FakeUser, StoredMessage, str]:
    """Ann, seeded, at the end of a session: the summary and what it says before any answer."""
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    summary = await to_the_summary(lumbar, ann)
    return ann, summary, shown(summary)


async def stored_feeling(lumbar: Lumbar, user: FakeUser) -> Workout:
    async with lumbar.services.transaction() as uow:
        (workout,) = await uow.workouts.recent(user.id, lumbar.clock.now.date())
    return workout


async def test_today_is_one_photo_with_the_intro_heading_the_first_card(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    mark = len(lumbar.server.calls)
    out = await lumbar.send(ann, "/today")
    (card,) = out  # one new message in the chat, nothing before it
    assert card.kind in CARD_KINDS
    caption = shown(card)
    intro, body = caption.split("\n\n", 1)
    assert intro.startswith("Today's session: ") and "minutes." in intro
    assert "If something hurts, press It hurts" in intro
    assert "Your back hurts a lot" not in caption  # no severe-pain advice for pain 2
    total = int(body.split("Card 1 of ")[1].split()[0])
    async with lumbar.services.transaction() as uow:
        workout = await uow.workouts.open_for_day(ann.id, "today", lumbar.clock.now.date())
    assert workout is not None and len(workout.plan) == total
    first = lumbar.services.library.exercise(workout.plan[0]["exercise_id"])
    assert first.name in body
    assert labels(lumbar, card) == CARD_BUTTONS
    # The Bot API saw one chat-bound call: the photo (no sendMessage for the intro).
    assert chat_calls(lumbar, ann, mark) == [f"send{card.kind.capitalize()}"]


async def test_severe_pain_keeps_the_intro_and_its_advice_as_a_message_of_its_own(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, pain=8, start=False)
    mark = len(lumbar.server.calls)
    intro, card = await lumbar.press(ann, "Start my first session")
    assert intro.kind == "text" and lumbar.server.buttons(intro) == []
    assert shown(intro).startswith("Today's session: ")
    assert "Your back hurts a lot, so today is a few minutes of gentle mobility only" in shown(
        intro
    )
    assert card.kind in CARD_KINDS and "Card 1 of " in shown(card)
    # No lead on the card: the intro and its advice stay in their message above it.
    assert "Today's session" not in shown(card) and "Your back hurts" not in shown(card)
    assert labels(lumbar, card) == CARD_BUTTONS
    assert messages_sent(lumbar, ann, mark) == ["sendMessage", f"send{card.kind.capitalize()}"]


async def test_better_is_said_on_the_summary_in_place_and_a_double_tap_changes_nothing(
    lumbar: Lumbar,
) -> None:
    ann, summary, asked = await a_summary(lumbar)
    message, better = lumbar.find_button(ann, "Better")
    assert message.message_id == summary.message_id
    mark = len(lumbar.server.calls)
    out = await lumbar.press(ann, "Better")
    pressed = lumbar.server.all_updates[-1]["update_id"]
    assert [m.message_id for m in out] == [summary.message_id]  # redrawn; nothing new
    answered = shown(summary)
    assert answered.startswith(asked)
    assert answered[len(asked) :] == "\n\n→ Better\n\nGreat to hear! See you tomorrow."
    assert any(e.get("type") == "bold" for e in summary.entities)  # → <b>Better</b>
    assert lumbar.server.buttons(summary) == []
    assert lumbar.server.new_bot_messages(ann) == []
    assert chat_calls(lumbar, ann, mark) == ["editMessageCaption"]
    workout = await stored_feeling(lumbar, ann)
    assert workout.feeling == "better" and workout.feeling_update_id == pressed

    # The same old button tapped again (a double tap arriving late): the stale answer.
    mark = len(lumbar.server.calls)
    query_id = lumbar.server.press(ann, summary.message_id, better, force=True)
    await lumbar.server.wait_for(lambda: query_id in lumbar.server.callback_answers, 10)
    await lumbar.server.settle(quiet=0.3)
    assert lumbar.server.callback_answers[query_id].text == (
        "That button is from an earlier message."
    )
    assert shown(summary) == answered and lumbar.server.buttons(summary) == []
    assert lumbar.server.new_bot_messages(ann) == []
    assert chat_calls(lumbar, ann, mark) == []  # not even a bare summary's buttons taken off
    workout = await stored_feeling(lumbar, ann)
    assert workout.feeling == "better" and workout.feeling_update_id == pressed  # once


async def test_an_unknown_button_on_a_message_shown_without_buttons_costs_no_edit(
    lumbar: Lumbar,
) -> None:
    """A stale press is answered with its toast; a message already bare is not edited again."""
    ann, summary, _ = await a_summary(lumbar)
    await lumbar.press(ann, "Better")
    assert lumbar.server.buttons(summary) == []
    mark = len(lumbar.server.calls)
    query_id = lumbar.server.press(ann, summary.message_id, "zz:old", force=True)
    await lumbar.server.wait_for(lambda: query_id in lumbar.server.callback_answers, 10)
    await lumbar.server.settle(quiet=0.3)
    assert lumbar.server.callback_answers[query_id].text == (
        "That button is from an earlier message."
    )
    assert chat_calls(lumbar, ann, mark) == []
    assert lumbar.server.new_bot_messages(ann) == []


async def test_worse_is_shown_on_the_summary_and_the_warning_signs_come_on_their_own(
    lumbar: Lumbar,
) -> None:
    ann, summary, asked = await a_summary(lumbar)
    mark = len(lumbar.server.calls)
    out = await lumbar.press(ann, "Worse")
    redrawn, thanks = out
    assert redrawn.message_id == summary.message_id
    assert shown(summary) == asked + "\n\n→ Worse"
    assert lumbar.server.buttons(summary) == []
    assert thanks.kind == "text" and thanks.message_id != summary.message_id
    assert shown(thanks).startswith("Sorry to hear that. Next time I'll make it gentler.")
    assert "🚩" in shown(thanks) and "emergency" in shown(thanks)
    assert "Sorry to hear" not in shown(summary)
    assert messages_sent(lumbar, ann, mark) == ["sendMessage"]
    assert (await stored_feeling(lumbar, ann)).feeling == "worse"


async def test_a_resumed_session_says_welcome_back_on_the_card_it_resumes_with(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    (first,) = await lumbar.send(ann, "/today")
    total = int(shown(first).split("Card 1 of ")[1].split()[0])
    await lumbar.press(ann, "Done")
    lumbar.clock.advance(hours=2)  # later the same day, without a word in between
    mark = len(lumbar.server.calls)
    out = await lumbar.send(ann, "/today")
    (card,) = out  # one new message: no separate "welcome back"
    assert card.kind in CARD_KINDS and card.message_id != first.message_id
    lead, body = shown(card).split("\n\n", 1)
    assert lead == f"Welcome back — let's continue where you left off (card 2 of {total})."
    assert f"Card 2 of {total}" in body
    assert labels(lumbar, card) == CARD_BUTTONS
    assert lumbar.server.buttons(first) == []  # the old card can no longer be pressed
    assert messages_sent(lumbar, ann, mark) == [f"send{card.kind.capitalize()}"]
