"""The Bot API misbehaves (429, 5xx, 400, timeouts, dropped connections) during real use.

The bot must retry what is safe to retry, tell the user when something could not be
sent, lose no answer, and keep polling. Faults come from the emulator, so the bot sees
exactly what python-telegram-bot would raise against Telegram.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.emulator import errors
from tests.faults.harness import (
    Lumbar,
    labels,
    press_until,
    saying,
    seed_profile,
    send_until,
    start_session,
    texts,
)
from tests.flows.conftest import CARD_KINDS

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

APOLOGY = "Sorry, something went wrong on my side"


def statuses(lumbar: Lumbar, method: str, since: int = 0) -> list[int]:
    return [c.status for c in lumbar.server.calls[since:] if c.method == method]


def photos(lumbar: Lumbar, user_id: int) -> list[str]:
    return [m.caption or "" for m in lumbar.server.bot_messages(user_id) if m.kind in CARD_KINDS]


async def test_429_during_triage_is_waited_out_and_the_question_comes_once(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.send(ann, "/start")
    lumbar.server.fail("sendMessage", 429, retry_after=1)
    mark = len(lumbar.server.calls)
    out = await press_until(lumbar, ann, "Yes, I'm 16 to 49", saying("Where are you?"))
    # The question (after one 429), then the hint with the location button.
    assert statuses(lumbar, "sendMessage", mark) == [429, 200, 200]
    assert sum(m.text_or_caption.count("Where are you?") for m in out) == 1
    assert APOLOGY not in texts(out)


async def test_5xx_on_a_card_is_retried_and_the_card_arrives_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.fail("editMessageMedia", 502, times=2)
    mark = len(lumbar.server.calls)
    out = await press_until(lumbar, ann, "Done", saying("Card 2 of"))
    assert statuses(lumbar, "editMessageMedia", mark) == [502, 502, 200]
    cards = [m for m in out if m.kind in CARD_KINDS]
    assert len(cards) == 1 and "Card 2 of" in (cards[0].caption or "")
    assert APOLOGY not in texts(out)


async def test_a_dropped_connection_is_retried(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.send(ann, "/start")
    lumbar.server.drop("sendMessage")
    out = await press_until(lumbar, ann, "Yes, I'm 16 to 49", saying("Where are you?"))
    faults = [c.fault for c in lumbar.server.calls_to("sendMessage")]
    assert faults[-3:] == ["drop", None, None]  # the question once, then the location hint
    assert sum("Where are you?" in m.text_or_caption for m in out) == 1


async def test_a_send_that_keeps_failing_is_told_and_nothing_is_lost(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.fail("editMessageMedia", 500, times=10)
    out = await press_until(
        lumbar, ann, "Done", saying(APOLOGY)
    )  # the user is told; the next card itself could not be drawn
    assert not [m for m in out if m.kind in CARD_KINDS]
    lumbar.server.clear_faults()
    out = await lumbar.send(ann, "/today")
    assert "continue where you left off (card 2 of" in texts(out)
    assert "Card 2 of" in (out[-1].caption or "")
    async with lumbar.services.transaction() as uow:
        workout = await uow.workouts.open_for_day(ann.id, "today", lumbar.clock.now.date())
        assert workout is not None
        results = await uow.workouts.results(workout.id)
    assert [r.outcome for r in results] == ["done"]


async def test_not_modified_and_query_too_old_are_shrugged_off(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.fail("editMessageCaption", 400, description=errors.NOT_MODIFIED)
    lumbar.server.fail("answerCallbackQuery", 400, description=errors.QUERY_TOO_OLD)
    out = await lumbar.press(ann, "Done")
    assert APOLOGY not in texts(out)
    assert "Card 2 of" in (out[-1].caption or "")


async def test_a_timed_out_edit_is_retried(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.stall("editMessageMedia", 3)
    out = await press_until(lumbar, ann, "Done", saying("Card 2 of"))
    # Stalled past the read timeout, then retried: Telegram had applied the first, so the
    # second is "not modified", which is fine.
    assert len(lumbar.server.calls_to("editMessageMedia")) == 2
    assert APOLOGY not in texts(out)
    assert "Card 2 of" in (out[-1].caption or "")
    assert len(photos(lumbar, ann.id)) == 1  # one card message, redrawn


async def test_a_timed_out_send_is_not_repeated_and_the_user_is_told(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seed_profile(lumbar, ann)
    # /today's one message: the first card, the session's intro heading its caption.
    lumbar.server.stall("sendPhoto", 3)
    out = await send_until(lumbar, ann, "/today", saying(APOLOGY))
    intros = [m for m in out if "Today's session" in m.text_or_caption]
    assert len(intros) == 1  # Telegram took it late; sending again would show it twice
    assert len(lumbar.server.calls_to("sendPhoto")) == 1
    assert APOLOGY in texts(out)
    out = await lumbar.send(ann, "/today")
    assert "continue where you left off (card 1 of" in texts(out)
    assert out[-1].kind in CARD_KINDS


async def test_polling_goes_on_through_getupdates_faults(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    lumbar.server.fail("getUpdates", 502)
    lumbar.server.drop("getUpdates")
    lumbar.server.fail("getUpdates", 429, retry_after=1)
    lumbar.server.send_text(ann, "/help")
    found = await lumbar.server.wait_for_bot_messages(ann, timeout=15)
    assert "/today" in found[0].text_or_caption
    assert not lumbar.server.faults  # every fault was met on the way
    await lumbar.server.settle(quiet=0.3)
    again = await lumbar.send(ann, "/help")  # polling goes on
    assert "/today" in again[0].text_or_caption


async def test_a_fault_during_a_button_press_still_answers_the_press(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.fail("editMessageMedia", 500, times=10)
    message, data = lumbar.find_button(ann, "Done")
    query_id = lumbar.server.press(ann, message.message_id, data)
    await lumbar.server.wait_for(lambda: APOLOGY in texts(lumbar.server.new_bot_messages(ann)), 20)
    await lumbar.server.settle(quiet=0.3, timeout=20)
    assert query_id in lumbar.server.callback_answers  # no endless spinner on the button


# --- nudges


async def _due_stretch(lumbar: Lumbar, name: str = "Ann") -> int:
    user = lumbar.user(name=name)
    await seed_profile(lumbar, user)  # Berlin; the stretch nudge is due at 11:00 local
    lumbar.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    return user.id


def stretch_nudges(lumbar: Lumbar, user_id: int) -> int:
    return sum("Stretch now" in str(labels(lumbar, m)) for m in lumbar.server.bot_messages(user_id))


async def test_a_nudge_through_429_and_5xx_is_sent_once(lumbar: Lumbar) -> None:
    user_id = await _due_stretch(lumbar)
    lumbar.server.fail("sendMessage", 502, chat_id=user_id)
    lumbar.server.fail("sendMessage", 429, retry_after=1, chat_id=user_id)
    report = await lumbar.dispatch()
    assert report.sent == 1 and report.retried == 0
    assert stretch_nudges(lumbar, user_id) == 1
    assert (await lumbar.dispatch()).sent == 0


async def test_a_nudge_that_cannot_be_sent_now_is_sent_later_once(lumbar: Lumbar) -> None:
    user_id = await _due_stretch(lumbar)
    lumbar.server.fail("sendMessage", 500, times=10, chat_id=user_id)
    report = await lumbar.dispatch()
    assert report.sent == 0 and report.retried == 1
    lumbar.server.clear_faults()
    lumbar.clock.advance(seconds=31)
    report = await lumbar.dispatch()
    assert report.sent == 1
    assert stretch_nudges(lumbar, user_id) == 1


async def test_a_timed_out_nudge_is_not_sent_twice(lumbar: Lumbar) -> None:
    user_id = await _due_stretch(lumbar)
    lumbar.server.stall("sendMessage", 3, chat_id=user_id)
    await lumbar.dispatch()
    lumbar.clock.advance(seconds=31)
    await lumbar.dispatch()
    lumbar.clock.advance(minutes=5)
    await lumbar.dispatch()
    assert stretch_nudges(lumbar, user_id) == 1


async def test_a_user_who_blocked_the_bot_mid_session_gets_no_apology(
    lumbar: Lumbar, caplog: pytest.LogCaptureFixture
) -> None:
    ann = lumbar.user(name="Ann")
    await start_session(lumbar, ann)
    lumbar.server.fail("sendPhoto", 403, description=errors.BLOCKED)
    mark = len(lumbar.server.calls)
    out = await lumbar.press(ann, "Done")
    assert not [m for m in out if m.kind != "photo" and "Sorry" in m.text_or_caption]
    assert not [c for c in lumbar.server.calls[mark:] if c.method == "sendMessage"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
