"""A step whose answer was stored but whose reply never went out can be picked up again.

The Bot API refuses the reply here (as if the process had died right after the
transaction): pressing the card again a while later sends what is missing, once;
`/today` asks a lost "how does your back feel?". The same update delivered again
after a crash resumes at once (tests/e2e/test_kill_and_restart.py).
"""

from __future__ import annotations

from bot.emulator import StoredMessage
from tests.flows.conftest import Lumbar

LOST = "Bad Request: the reply was lost"


def text_of(message: StoredMessage) -> str:
    return message.caption or message.text or ""


def card_count(card: StoredMessage) -> int:
    return int(text_of(card).split("Card 1 of ")[1].split()[0])


async def stored_outcomes(lumbar: Lumbar, user_id: int) -> list[str]:
    async with lumbar.services.transaction() as uow:
        (workout,) = await uow.workouts.recent(user_id, lumbar.clock.now.date())
    return [r.outcome for r in workout.results]


async def test_a_lost_next_card_comes_when_the_card_is_pressed_again(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    first = next(m for m in await lumbar.press(ann, "Start my first session") if m.kind == "photo")
    total = card_count(first)
    message, done = lumbar.find_button(ann, "Done")
    lumbar.server.fail("sendPhoto", 400, description=LOST)
    out = await lumbar.press(ann, "Done")
    assert not [m for m in out if m.kind == "photo"]  # card 2 did not go out
    assert "went wrong" in " ".join(text_of(m) for m in out).lower()
    assert await stored_outcomes(lumbar, ann.id) == ["done"]

    # Pressed again at once, it may be a double tap whose first press is still on its way
    # (on another replica): nothing more is sent.
    out = await lumbar.press_data(ann, message.message_id, done)
    assert not [m for m in out if m.kind == "photo"]
    lumbar.clock.advance(seconds=31)
    out = await lumbar.press_data(ann, message.message_id, done)  # a while later: resumed
    cards = [m for m in out if m.kind == "photo"]
    assert len(cards) == 1 and f"Card 2 of {total}" in text_of(cards[0])
    assert await stored_outcomes(lumbar, ann.id) == ["done"]  # stored once

    out = await lumbar.press_data(ann, message.message_id, done)  # and once more: stale
    assert not [m for m in out if m.kind == "photo"]
    assert (
        "earlier message"
        in lumbar.server.callback_answers[
            lumbar.server.calls_to("answerCallbackQuery")[-1].params["callback_query_id"]
        ].text
    )


async def test_a_lost_feeling_question_is_asked_at_the_next_today(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    first = next(m for m in await lumbar.press(ann, "Start my first session") if m.kind == "photo")
    for _ in range(card_count(first) - 1):
        await lumbar.press(ann, "Done")
    lumbar.server.fail("sendMessage", 400, description=LOST)  # the summary is refused
    out = await lumbar.press(ann, "Done")
    assert not any("How does your back feel" in text_of(m) for m in out)

    out = await lumbar.send(ann, "/today")
    texts = [text_of(m) for m in out]
    assert any("Session complete" in t and "Streak: 1 day" in t for t in texts), texts
    assert texts[-1].startswith("How does your back feel")
    out = await lumbar.press(ann, "Better")
    assert "Great to hear" in text_of(out[-1])

    out = await lumbar.send(ann, "/today")  # asked once: now the day is simply done
    assert "already finished" in text_of(out[0])


async def test_a_lost_gentler_offer_comes_back_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await lumbar.press(ann, "Start my first session")
    message, hurt = lumbar.find_button(ann, "It hurts")
    lumbar.server.fail("sendMessage", 400, description=LOST)
    await lumbar.press(ann, "It hurts")
    assert await stored_outcomes(lumbar, ann.id) == ["hurt"]

    lumbar.clock.advance(seconds=31)
    out = await lumbar.press_data(ann, message.message_id, hurt)
    offers = [m for m in out if "Next exercise" in str(lumbar.server.buttons(m))]
    assert len(offers) == 1, [text_of(m) for m in out]
    card = next(m for m in lumbar.server.chat(ann) if m.message_id == message.message_id)
    assert text_of(card).count("🤕") == 1  # marked once, as it hurt

    out = await lumbar.press_data(ann, message.message_id, hurt)  # the offer is live: stale
    assert not out
    assert await stored_outcomes(lumbar, ann.id) == ["hurt"]
