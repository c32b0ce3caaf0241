"""Queued faults reach a real PTB Bot as the exceptions production would raise."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.emulator import BotApiServer
from bot.emulator.flood import FloodControl, counts_against_flood, makes_message
from tests.emulator.conftest import TOKEN, App

# PTB warns about RetryAfter.retry_after becoming a timedelta; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def ann_id(server: BotApiServer) -> int:
    """A user who has written to the bot."""
    server.send_text(server.user(42), "hi")
    return 42


async def test_errors_map_to_ptb_exceptions(server: BotApiServer, bot: Bot, ann_id: int) -> None:
    server.fail("sendMessage", 429, retry_after=7)
    server.fail("sendMessage", 403)
    server.fail("sendMessage", 500, times=2)
    with pytest.raises(RetryAfter, match=r"Retry in (7 seconds|0:00:07)"):
        await bot.send_message(ann_id, "a")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ann_id, "b")
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(ann_id, "c")
    assert server.faults == []
    await bot.send_message(ann_id, "d")
    assert [c.fault for c in server.calls_to("sendMessage")] == ["fail"] * 4 + [None]
    assert [m.text for m in server.bot_messages(ann_id)] == ["d"]


async def test_faults_can_target_one_chat_and_are_consumed_in_order(
    server: BotApiServer, bot: Bot, ann_id: int
) -> None:
    server.send_text(server.user(43), "hi")
    server.fail("sendMessage", 429, chat_id=43)
    server.fail("sendMessage", 400, description="Bad Request: first", chat_id=43)
    await bot.send_message(ann_id, "to Ann")
    assert [f.status for f in server.faults] == [429, 400]
    with pytest.raises(RetryAfter):
        await bot.send_message(43, "to Bob")
    with pytest.raises(BadRequest, match="First"):
        await bot.send_message(43, "to Bob")
    await bot.send_message(43, "to Bob")


async def test_stall_times_out_the_client_but_still_takes_effect(
    server: BotApiServer, bot: Bot, ann_id: int
) -> None:
    server.stall("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(ann_id, "slow", read_timeout=0.1)
    await server.wait_for(lambda: server.bot_messages(ann_id), what="the stalled send")
    assert server.last_bot_message(ann_id).text == "slow"


async def test_drop_closes_the_connection_without_effect(
    server: BotApiServer, bot: Bot, ann_id: int
) -> None:
    server.drop("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ann_id, "lost")
    assert server.bot_messages(ann_id) == []
    assert server.calls_to("sendMessage")[0].status == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(server: BotApiServer) -> None:
    url = f"{server.base_url}{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as http:
        poll = asyncio.create_task(http.post(url, json={"timeout": 30}))
        await server.wait_for(lambda: server.activity.polling, what="a waiting poll")
        server.send_text(server.user(5), "wake up")
        async with asyncio.timeout(5):
            response = await poll
        body = await response.json()
        assert [u["message"]["text"] for u in body["result"]] == ["wake up"]

        # A second poller terminates the first, like Telegram's 409 Conflict.
        first = asyncio.create_task(http.post(url, data={"offset": "2", "timeout": "30"}))
        await server.wait_for(lambda: server.activity.polling, what="a waiting poll")
        second = await http.post(url, data={"offset": "2", "timeout": "0"})
        conflicted = await first
        assert conflicted.status == 409
        assert (await second.json()) == {"ok": True, "result": []}


async def test_get_updates_honours_offset_limit_and_allowed_updates(
    server: BotApiServer, bot: Bot
) -> None:
    ann = server.user(5)
    for text in ("one", "two", "three"):
        server.send_text(ann, text)
    batch = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in batch if u.message] == ["one", "two"]
    batch = await bot.get_updates(offset=batch[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in batch if u.message] == ["three"]

    await bot.get_updates(
        offset=batch[-1].update_id + 1, timeout=0, allowed_updates=["callback_query"]
    )
    message = await bot.send_message(
        5,
        "pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    server.send_text(ann, "ignored by allowed_updates")
    server.press(ann, message.message_id, "a")
    batch = await bot.get_updates(timeout=1)
    assert [u.callback_query.data for u in batch if u.callback_query] == ["a"]
    assert len(batch) == 1


async def test_settle_waits_for_the_bot_to_finish_answering(server: BotApiServer, app: App) -> None:
    server.stall("sendMessage", 0.3)
    server.send_text(server.user(9), "slowly")
    await server.settle()
    assert server.last_bot_message(9).text == "echo: slowly"


async def test_flood_control_answers_429_until_the_window_passes(
    server: BotApiServer, bot: Bot, ann_id: int
) -> None:
    server.send_text(server.user(43), "hi")
    server.flood = FloodControl(overall=3, per_chat=2, chat_burst=2)
    await bot.send_message(ann_id, "1")
    await bot.send_message(ann_id, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(ann_id, "3")  # per chat
    await bot.send_message(43, "4")
    with pytest.raises(RetryAfter, match=r"Retry in (1 seconds|0:00:01)"):
        await bot.send_message(43, "5")  # overall
    await bot.send_chat_action(43, "typing")  # not throttled
    server.advance_clock(1.0)
    await bot.send_message(ann_id, "6")
    assert [m.text for m in server.bot_messages(ann_id)] == ["1", "2", "6"]


def test_flood_control_allows_a_chat_a_short_burst_then_one_message_a_second() -> None:
    flood = FloodControl()  # Telegram's: 30/s overall, 1/s per chat after a burst of 4
    assert [flood.admit(7, 100.0) for _ in range(5)] == [0, 0, 0, 0, 1]
    assert flood.refused_by == "chat"
    assert flood.admit(8, 100.0) == 0  # another chat is not held up
    assert flood.admit(7, 100.5) == 1
    assert flood.admit(7, 101.0) == 0  # the bucket refills one message a second
    assert flood.admit(7, 101.0) == 1
    assert flood.admit(7, 101.0, message=False) == 0  # an edit counts toward overall only
    assert flood.admit(7, 105.0) == 0


def test_flood_control_overall_and_group_limits() -> None:
    flood = FloodControl()
    assert [flood.admit(chat, 100.0) for chat in range(1, 31)] == [0] * 30
    assert flood.admit(31, 100.5) == 1
    assert flood.refused_by == "overall"
    groups = FloodControl(overall=None, per_chat=None)  # the group's own limit alone
    assert [groups.admit(-5, 100.0 + n) for n in range(20)] == [0] * 20
    assert groups.admit(-5, 120.0) == 40  # 20 a minute: the first one leaves the window at 160
    assert groups.refused_by == "group"
    assert groups.admit(-6, 120.0) == 0
    assert groups.admit(-5, 160.0) == 0


@pytest.mark.parametrize(
    ("method", "overall", "per_chat"),
    [
        ("sendMessage", True, True),
        ("sendPhoto", True, True),
        ("copyMessage", True, True),
        ("editMessageCaption", True, False),
        ("sendChatAction", False, False),
        ("answerCallbackQuery", False, False),
    ],
)
def test_what_flood_control_counts(method: str, overall: bool, per_chat: bool) -> None:
    assert counts_against_flood(method) is overall
    assert makes_message(method) is per_chat
