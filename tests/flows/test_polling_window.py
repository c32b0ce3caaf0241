"""While one user's update is held up, the others are served and it is not decoded again.

The poller confirms an update to Telegram only once it was handled, so each getUpdates
answer repeats the ones still in flight. Only the new ones are decoded
(``bot.polling_window``); the one in flight is read once and answered once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import bot.transport
from bot.delivery import ledger_of
from tests.flows.conftest import CARD_KINDS, Lumbar
from tests.flows.test_one_message_per_action import seeded


async def test_an_update_in_flight_is_decoded_once_while_others_are_served(
    lumbar: Lumbar, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, quick = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    await seeded(lumbar, slow)
    await seeded(lumbar, quick)
    decoded: list[list[int]] = []
    real = bot.transport.new_updates

    def spy(payload: bytes, first: int) -> dict[str, Any] | None:
        got = real(payload, first)
        if got is not None:
            decoded.append([int(u["update_id"]) for u in got["result"]])
        return got

    monkeypatch.setattr(bot.transport, "new_updates", spy)
    lumbar.server.stall("sendPhoto", 1.5, chat_id=slow.id)  # Ann's first card is held up
    lumbar.server.send_text(slow, "/today")
    held = int(lumbar.server.all_updates[-1]["update_id"])
    await lumbar.server.wait_for(lambda: lumbar.server.calls_to("sendPhoto"), timeout=10)
    polls_before = len(lumbar.server.calls_to("getUpdates"))

    lumbar.server.send_text(quick, "/today")
    bob = await lumbar.server.wait_for(
        lambda: [m for m in lumbar.server.bot_messages(quick) if m.kind in CARD_KINDS], timeout=10
    )
    assert "Card 1 of" in (bob[0].caption or "")
    assert not [m for m in lumbar.server.bot_messages(slow) if m.kind in CARD_KINDS]  # still held

    ann = await lumbar.server.wait_for(
        lambda: [m for m in lumbar.server.bot_messages(slow) if m.kind in CARD_KINDS], timeout=10
    )
    assert len(ann) == 1 and "Card 1 of" in (ann[0].caption or "")
    # Telegram sent Ann's update back with every poll while it was in flight, the polls
    # spaced out to 40 ms once nothing new came (150 in the 1.5 s at a steady 10 ms)...
    polls = len(lumbar.server.calls_to("getUpdates")) - polls_before
    assert 2 <= polls <= 50, polls
    # ...and it was decoded once, from the answer that first brought it.
    assert sum(ids.count(held) for ids in decoded) == 1
    assert len(lumbar.server.bot_messages(quick)) == 1  # Bob's card, once


async def test_an_answer_the_poller_cannot_use_only_pauses_polling(
    lumbar: Lumbar, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ann = lumbar.user(1001, "Ann")
    await seeded(lumbar, ann)
    real = bot.transport.new_updates
    broken = [True]

    def once_unreadable(payload: bytes, first: int) -> dict[str, Any] | None:
        if broken and b"update_id" in payload:
            broken.clear()
            raise ValueError("unreadable")
        return real(payload, first)

    monkeypatch.setattr(bot.transport, "new_updates", once_unreadable)
    lumbar.server.send_text(ann, "/today")
    cards = await lumbar.server.wait_for(
        lambda: [m for m in lumbar.server.bot_messages(ann) if m.kind in CARD_KINDS], timeout=15
    )
    assert not broken  # the first answer that held Ann's update could not be read...
    assert len(cards) == 1 and "Card 1 of" in (cards[0].caption or "")  # ...she was served
    assert "getUpdates failed (ValueError)" in caplog.text


async def test_a_handled_update_is_confirmed_at_the_next_poll_and_only_one_held_back_is_written(
    lumbar: Lumbar,
) -> None:
    """Telegram forgets a confirmed update, so only one it could send again needs a ledger row.

    Bob's /today is handled while Ann's older one is still in flight: the offset cannot
    pass Ann's, so Bob's id is written. Ann's own id is confirmed by the next answered
    poll (Bob's next message ends it at once), before the ledger's write comes round, and
    is never written. Then the poller waits at Telegram instead of asking again every few
    milliseconds.
    """
    slow, quick = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    await seeded(lumbar, slow)
    await seeded(lumbar, quick)
    ledger_of(lumbar.app).every = 0.5  # the write comes well after the next poll
    lumbar.server.stall("sendPhoto", 1.5, chat_id=slow.id)
    lumbar.server.send_text(slow, "/today")
    ann_id = int(lumbar.server.all_updates[-1]["update_id"])
    await lumbar.server.wait_for(lambda: lumbar.server.calls_to("sendPhoto"), timeout=10)
    lumbar.server.send_text(quick, "/today")
    bob_id = int(lumbar.server.all_updates[-1]["update_id"])
    await lumbar.server.wait_for(
        lambda: [m for m in lumbar.server.bot_messages(quick) if m.kind in CARD_KINDS], timeout=10
    )
    await lumbar.server.wait_for(
        lambda: [m for m in lumbar.server.bot_messages(slow) if m.kind in CARD_KINDS], timeout=10
    )
    lumbar.server.send_text(quick, "/help")
    await lumbar.server.wait_for(
        lambda: any("/today" in (m.text or "") for m in lumbar.server.bot_messages(quick)),
        timeout=5,
    )
    await lumbar.server.wait_for(lambda: not lumbar.server.pending, timeout=2)  # confirmed
    await asyncio.sleep(0.8)  # the ledger's writes are done
    async with lumbar.services.transaction() as uow:
        assert await uow.updates.handled([ann_id, bob_id]) == {bob_id}
    polls = len(lumbar.server.calls_to("getUpdates"))
    await asyncio.sleep(0.5)
    assert len(lumbar.server.calls_to("getUpdates")) - polls <= 1  # one long poll, waiting
    assert len(lumbar.server.bot_messages(slow)) == 1  # each answered once
    assert len([m for m in lumbar.server.bot_messages(quick) if m.kind in CARD_KINDS]) == 1
