"""A step whose answer was stored but whose drawing never went out can be picked up again.

The Bot API refuses the edit here (as if the process had died right after the
transaction). The session's message still shows the card that was answered; pressing
it again draws what follows, once, and never stores the answer twice; `/today` asks a
lost "how does your back feel?". The same update delivered again after a real crash
does the same (tests/e2e/test_kill_and_restart.py).
"""

from __future__ import annotations

from bot.emulator import StoredMessage
from tests.flows.conftest import CARD_KINDS, Lumbar

LOST = "Bad Request: the reply was lost"


def text_of(message: StoredMessage) -> str:
    return message.caption or message.text or ""


def card_count(card: StoredMessage) -> int:
    return int(text_of(card).split("Card 1 of ")[1].split()[0])


def the_card(lumbar: Lumbar, user: object) -> StoredMessage:
    (card,) = [m for m in lumbar.server.bot_messages(user) if m.kind in CARD_KINDS]  # type: ignore[arg-type]
    return card


async def stored_outcomes(lumbar: Lumbar, user_id: int) -> list[str]:
    async with lumbar.services.transaction() as uow:
        (workout,) = await uow.workouts.recent(user_id, lumbar.clock.now.date())
    return [r.outcome for r in workout.results]


async def test_a_lost_next_card_is_drawn_when_the_card_is_pressed_again(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    started = await lumbar.press(ann, "Start my first session")
    first = next(m for m in started if m.kind in CARD_KINDS)
    total = card_count(first)
    message, done = lumbar.find_button(ann, "Done")
    lumbar.server.fail("editMessageMedia", 400, description=LOST)
    out = await lumbar.press(ann, "Done")
    assert "went wrong" in " ".join(text_of(m) for m in out).lower()
    assert "Card 1 of" in text_of(the_card(lumbar, ann))  # still card 1 on screen
    assert await stored_outcomes(lumbar, ann.id) == ["done"]

    await lumbar.press_data(ann, message.message_id, done)  # the same card again
    assert f"Card 2 of {total}" in text_of(the_card(lumbar, ann))
    assert await stored_outcomes(lumbar, ann.id) == ["done"]  # stored once

    await lumbar.press_data(ann, message.message_id, done)  # and once more: nothing moves
    assert f"Card 2 of {total}" in text_of(the_card(lumbar, ann))
    assert await stored_outcomes(lumbar, ann.id) == ["done"]


async def test_a_lost_feeling_question_is_asked_at_the_next_today(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    started = await lumbar.press(ann, "Start my first session")
    first = next(m for m in started if m.kind in CARD_KINDS)
    for _ in range(card_count(first) - 1):
        await lumbar.press(ann, "Done")
    lumbar.server.fail("editMessageCaption", 400, description=LOST)  # the summary is refused
    out = await lumbar.press(ann, "Done")
    assert not any("How does your back feel" in text_of(m) for m in out)

    out = await lumbar.send(ann, "/today")
    texts = [text_of(m) for m in out]
    # The same words the card would have shown, the question and its buttons included.
    assert "Session complete" in texts[-1] and "Streak: 1 day" in texts[-1], texts
    assert texts[-1].endswith("How does your back feel now?")
    assert lumbar.server.buttons(the_card(lumbar, ann)) == []  # the old card is closed
    asked = out[-1]
    out = await lumbar.press(ann, "Better")
    # The thanks joins the question asked again, in place: no message of its own.
    assert not any("Great to hear" in text_of(m) for m in out)
    assert text_of(asked).startswith(texts[-1])
    assert text_of(asked).endswith("→ Better\n\nGreat to hear! See you tomorrow.")
    assert lumbar.server.buttons(asked) == []

    out = await lumbar.send(ann, "/today")  # asked once: now the day is simply done
    assert "already finished" in text_of(out[0])


async def test_a_lost_gentler_offer_is_drawn_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    await lumbar.press(ann, "Start my first session")
    message, hurt = lumbar.find_button(ann, "It hurts")
    lumbar.server.fail("editMessageCaption", 400, description=LOST)
    await lumbar.press(ann, "It hurts")
    assert await stored_outcomes(lumbar, ann.id) == ["hurt"]
    assert "Card 1 of" in text_of(the_card(lumbar, ann))

    for _ in range(2):  # pressed again, and once more
        await lumbar.press_data(ann, message.message_id, hurt)
        card = the_card(lumbar, ann)
        assert "let's stop" in text_of(card)
        assert "Next exercise" in str(lumbar.server.buttons(card))
    assert await stored_outcomes(lumbar, ann.id) == ["hurt"]
