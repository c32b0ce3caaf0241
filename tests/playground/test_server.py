"""The playground without a browser: its endpoints, the shared clock, persistence, the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.coach.language import choose_language
from bot.nudge_schedule import reschedule
from bot.playground import PageServer, Playground, PlaygroundClock
from bot.playground.web import STATIC
from db.repositories.users import UserRepository
from tests.playground.conftest import START, Running
from tests.seeding import seed_finished_triage

ROOT = Path(__file__).resolve().parents[2]


async def start_as(running: Running, user_id: int = 1001) -> dict[str, object]:
    """Send /start through the page's endpoint and return the bot's answer."""
    sent = await running.post("/_emulator/act/send_text", {"user_id": user_id, "text": "/start"})
    assert sent["ok"], sent
    await running.settle()
    chat = await running.get(f"/_emulator/chats/{user_id}")
    bot_messages = [m for m in chat["result"]["messages"] if m["from_bot"]]
    assert bot_messages, chat
    return dict(bot_messages[-1])


async def agree_as(running: Running, user_id: int = 1001) -> None:
    """/start and "Yes, I'm 16 to 49": before that nothing about the user is stored."""
    welcome = await start_as(running, user_id)
    data = welcome["reply_markup"]["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    await running.post(
        "/_emulator/act/press",
        {"user_id": user_id, "message_id": welcome["message_id"], "callback_data": data},
    )
    await running.settle()


async def test_start_through_the_page_gets_the_welcome_with_buttons(running: Running) -> None:
    info = await running.get("/api/info")
    assert [u["first_name"] for u in info["result"]["users"]] == ["Ann"]
    assert "today" in [c["command"] for c in info["result"]["commands"]]

    welcome = await start_as(running)
    assert "Hi Ann" in welcome["content"]["text"]  # type: ignore[index]
    markup = welcome["reply_markup"]
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]  # type: ignore[index]
    assert "Yes, I'm 16 to 49" in labels


async def test_pressing_a_button_through_the_page_reaches_the_bot(running: Running) -> None:
    welcome = await start_as(running)
    markup = welcome["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    pressed = await running.post(
        "/_emulator/act/press",
        {"user_id": 1001, "message_id": welcome["message_id"], "callback_data": data},
    )
    query_id = pressed["result"]["callback_query_id"]
    await running.settle()
    answers = await running.get("/_emulator/callback_answers")
    assert query_id in answers["result"], "the bot answered the press (no endless spinner)"
    chat = await running.get("/_emulator/chats/1001")
    texts = [m["content"].get("text", "") for m in chat["result"]["messages"] if m["from_bot"]]
    assert any("Where are you?" in text for text in texts), texts[-1]


async def test_advancing_the_clock_moves_the_emulator_and_the_bot_together(
    running: Running,
) -> None:
    playground = running.playground
    bot_before = playground.services.clock()
    emulator_before = playground.server.now()
    moved = await running.post("/api/clock", {"advance": 3600})
    assert moved["ok"], moved
    bot_step = (playground.services.clock() - bot_before).total_seconds()
    emulator_step = playground.server.now() - emulator_before
    assert 3600 <= bot_step < 3660
    assert 3600 <= emulator_step < 3660
    assert abs(playground.services.clock().timestamp() - playground.server.now()) < 1
    # The control API's own clock move moves the one clock too.
    await running.post("/_emulator/clock", {"advance": 86400})
    assert playground.services.clock() - bot_before >= timedelta(days=1, hours=1)
    # And what the user sees is dated by it: the message lands on the next day.
    sent = await running.post("/_emulator/act/send_text", {"user_id": 1001, "text": "hello"})
    assert datetime.fromtimestamp(sent["result"]["date"], UTC).date() == START.date() + timedelta(1)


async def seed_user(
    running: Running,
    user_id: int,
    zone: str,
    *,
    baseline_days_ago: int | None = None,
    stretch_times: list[str] | None = None,
    done_today: bool = False,
    water_due_at: datetime | None = None,
) -> None:
    """A user who finished the safety check at START (reminders on), plus what a test needs."""
    playground = running.playground
    user = playground.server.users[user_id]
    await start_as(running, user_id)  # the chat exists: the bot may write to it
    async with playground.services.transaction() as uow:
        await seed_finished_triage(uow, user, START, zone=zone)
        if baseline_days_ago is not None:
            began = START - timedelta(days=baseline_days_ago)
            await uow.checkins.start(user_id, "baseline", began.date(), began, "building")
        if stretch_times is not None:
            await uow.nudges.save_settings(user_id, now=START, stretch_times=stretch_times)
        if done_today:
            await uow.streaks.save(user_id, 1, 1, START.date(), None, START)
        await reschedule(uow, user_id, START)
        if water_due_at is not None:
            await uow.nudges.schedule(user_id, "water", water_due_at)


def nudges_in_chat(running: Running, user_id: int) -> list[tuple[str, datetime]]:
    """The bot's nudges in the user's chat: (kind, told by its buttons; when it was sent)."""
    library = running.playground.services.library
    kinds = {
        library.text("btn_checkin_start"): "checkin",
        library.text("btn_nudge_snooze"): "stretch",
        library.text("btn_nudge_water"): "water",
    }
    seen = []
    for message in running.playground.server.chat(user_id):
        labels = [label for row in message.buttons for label, _ in row]
        found = [kinds[label] for label in labels if label in kinds]
        if message.from_bot and found:
            seen.append((found[0], datetime.fromtimestamp(message.date, UTC)))
    return seen


def at(day: int, hhmm: str, zone: str = "Europe/Berlin") -> datetime:
    """A March 2026 wall time in `zone`, as UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 3, day, hours, minutes, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def assert_sent_at(seen: list[tuple[str, datetime]], expected: list[tuple[str, datetime]]) -> None:
    """Each nudge arrived in order, dated by the simulated clock at its own due time."""
    assert [kind for kind, _ in seen] == [kind for kind, _ in expected], seen
    for (kind, when), (_, due) in zip(seen, expected, strict=True):
        assert due <= when < due + timedelta(seconds=30), (kind, when, due)


async def test_a_day_ahead_delivers_every_nudge_in_between_each_at_its_time(
    running: Running,
) -> None:
    # Ann in Berlin took her baseline a week ago: Monday 10:00 brings her weekly check-in.
    await seed_user(running, 1001, "Europe/Berlin", baseline_days_ago=7)
    bob = running.playground.add_user("Bob").id
    await seed_user(running, bob, "America/New_York")

    moved = (await running.post("/api/clock", {"user_id": 1001, "advance": 86400}))["result"]
    await running.settle()

    assert moved["local"].startswith("2026-03-03T09:00"), "one day on, Tuesday 09:00 in Berlin"
    assert_sent_at(
        nudges_in_chat(running, 1001),
        [
            ("checkin", at(2, "10:00")),
            ("stretch", at(2, "11:00")),
            ("water", at(2, "12:00")),
            ("stretch", at(2, "15:30")),
            ("water", at(2, "16:00")),
            ("water", at(2, "20:00")),
            ("water", at(3, "08:00")),
        ],
    )
    # The status line counts Ann's nudges only, each kind by its name.
    assert moved["summary"] == "1 weekly check-in, 2 stretch nudges and 4 water nudges delivered"
    assert moved["nudges_sent"] == 7
    # Bob's came too, at his own times in New York, as the real dispatcher sends them.
    ny = "America/New_York"
    assert_sent_at(
        nudges_in_chat(running, bob),
        [
            ("water", at(2, "08:00", ny)),
            ("stretch", at(2, "11:00", ny)),
            ("water", at(2, "12:00", ny)),
            ("stretch", at(2, "15:30", ny)),
            ("water", at(2, "16:00", ny)),
            ("water", at(2, "20:00", ny)),
        ],
    )
    labels = {(item["kind"], item["label"]) for item in moved["upcoming"]}
    assert labels == {
        ("checkin", "weekly check-in"),
        ("stretch", "stretch nudge"),
        ("water", "water nudge"),
    }
    # Nothing is left over for the dispatcher job to send (or skip) later.
    await running.post("/api/clock", {"user_id": 1001, "advance": 60})
    assert len(nudges_in_chat(running, 1001)) == 7


async def test_a_jump_says_what_was_skipped_and_why(running: Running) -> None:
    # Ann finished today's session, and a water nudge has been waiting since 08:00: the
    # playground was not running then. The dispatcher skips both kinds, as in production.
    await seed_user(running, 1001, "Europe/Berlin", done_today=True, water_due_at=at(2, "08:00"))

    moved = (await running.post("/api/clock", {"user_id": 1001, "local": "16:00"}))["result"]
    await running.settle()

    assert moved["local"].startswith("2026-03-02T16:00")
    assert_sent_at(
        nudges_in_chat(running, 1001), [("water", at(2, "12:00")), ("water", at(2, "16:00"))]
    )
    assert moved["summary"] == (
        "2 water nudges delivered; "
        "1 water nudge skipped: more than 30 minutes late, and the bot never sends one that late; "
        "2 stretch nudges skipped: today's session was already done"
    )
    skipped = [(s["kind"], s["count"], s["reason"]) for s in moved["nudges"]["skipped"]]
    assert skipped == [("water", 1, "stale"), ("stretch", 2, "done")]


async def test_two_nudges_due_together_both_arrive_within_the_move(running: Running) -> None:
    await seed_user(running, 1001, "Europe/Berlin", stretch_times=["12:00"])
    moved = (await running.post("/api/clock", {"user_id": 1001, "next_nudge": True}))["result"]
    await running.settle()
    assert_sent_at(
        nudges_in_chat(running, 1001), [("stretch", at(2, "12:00")), ("water", at(2, "12:00"))]
    )
    assert moved["summary"] == "1 stretch nudge and 1 water nudge delivered"


async def test_a_move_with_nothing_due_says_so(running: Running) -> None:
    moved = (await running.post("/api/clock", {"user_id": 1001, "advance": 3600}))["result"]
    assert moved["summary"] == "no nudge was due" and moved["nudges_sent"] == 0
    too_far = await running.post("/api/clock", {"user_id": 1001, "advance": 8 * 86400})
    assert too_far == {"ok": False, "error": "the clock moves at most 7 days at a time"}


async def test_going_back_in_time_is_refused(running: Running) -> None:
    refused = await running.post("/api/clock", {"advance": -60})
    assert refused == {"ok": False, "error": "the playground clock only moves forward"}


async def test_jump_to_local_time_uses_the_users_zone_from_the_database(
    running: Running,
) -> None:
    await agree_as(running)
    async with running.playground.services.transaction() as uow:
        assert await UserRepository(uow.session).set_time_zone(
            1001, "America/New_York", running.playground.clock.now()
        )
    view = (await running.post("/api/clock", {"user_id": 1001, "local": "07:30"}))["result"]
    assert view["zone"] == "America/New_York"
    # 08:00 UTC on 2 March is 03:00 in New York (EST): 07:30 is later that day, 12:30 UTC.
    assert view["local"].startswith("2026-03-02T07:30")
    assert view["utc"].startswith("2026-03-02T12:30")
    shown = (await running.get("/api/clock?user_id=1001"))["result"]
    assert shown["local"].startswith("2026-03-02T07:30")


async def test_jump_to_local_time_needs_a_user(running: Running) -> None:
    refused = await running.post("/api/clock", {"local": "07:30"})
    assert refused["ok"] is False and "user_id" in refused["error"]
    bad = await running.post("/api/clock", {"user_id": 1001, "local": "7 pm"})
    assert bad["ok"] is False and "HH:MM" in bad["error"]


async def test_added_users_get_their_own_chat(running: Running) -> None:
    added = await running.post("/api/users", {"name": "  Bob  "})
    assert added["result"]["first_name"] == "Bob"
    bob = added["result"]["id"]
    assert bob != 1001
    welcome = await start_as(running, bob)
    assert "Hi Bob" in welcome["content"]["text"]  # type: ignore[index]
    assert (await running.get("/_emulator/chats/1001"))["ok"] is False, "Ann's chat is untouched"
    refused = await running.post("/api/users", {"name": "   "})
    assert refused["ok"] is False


async def test_a_user_added_with_a_telegram_language_writes_in_it(running: Running) -> None:
    services = running.playground.services
    info = (await running.get("/api/info"))["result"]
    assert info["languages"] == [
        {"code": code, "name": library.text("language_name")}
        for code, library in services.libraries.items()
    ]
    assert info["menus"][""] == info["commands"]  # the default menu, then one per language
    assert set(info["menus"]) == {"", *(code for code in services.libraries if code != "en")}
    added = (await running.post("/api/users", {"name": "Lea", "language_code": "de-AT"}))["result"]
    assert added["language_code"] == "de-AT"
    await start_as(running, added["id"])
    (first,) = [u for u in running.playground.server.all_updates if "message" in u]
    assert first["message"]["from"]["language_code"] == "de-AT"
    # The welcome is in the language the bot chose for de-AT (German once its catalog is in).
    chosen = services.library_for(choose_language(None, "de-AT", services.libraries))
    chat = await running.get(f"/_emulator/chats/{added['id']}")
    welcome = next(m for m in chat["result"]["messages"] if m["from_bot"])
    expected = re.sub(r"<[^>]+>", "", chosen.text("welcome_new", name="Lea"))
    assert welcome["content"]["text"].startswith(expected[:12])
    no_language = await running.post("/api/users", {"name": "Max", "language_code": ""})
    assert "language_code" not in no_language["result"]
    refused = await running.post("/api/users", {"name": "Eve", "language_code": "<de>"})
    assert refused["ok"] is False and "language code" in refused["error"]


async def test_page_and_assets_load_nothing_from_the_internet(running: Running) -> None:
    async with running.http.get(running.url) as response:
        html = await response.text()
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert '<script src="/static/app.js"' in html
    for name in ("index.html", "app.js", "app.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"https?:|url\(\s*['\"]?https?:|@import", text), name
        async with running.http.get(running.url + f"static/{name}") as response:
            assert response.status == 200, name
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", script)


async def test_files_the_bot_sent_are_served_to_the_page(running: Running) -> None:
    await agree_as(running)
    await running.post("/_emulator/act/send_text", {"user_id": 1001, "text": "/export"})
    await running.settle()
    chat = (await running.get("/_emulator/chats/1001"))["result"]["messages"]
    documents = [m["content"]["document"] for m in chat if "document" in m["content"]]
    assert documents, [m["content"].get("text") for m in chat]
    async with running.http.get(
        running.url + f"api/files/{documents[-1]['file_id']}?download=1"
    ) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert len(await response.read()) == documents[-1]["file_size"]
    async with running.http.get(running.url + "api/files/nope") as response:
        assert response.status == 404


async def test_a_chosen_data_folder_keeps_chats_database_and_time(
    tmp_path: Path, card_cache: Path
) -> None:
    data = tmp_path / "kept"

    async def run_once(action: str) -> tuple[list[str], datetime]:
        playground = Playground(
            data, cache_dir=card_cache, clock=PlaygroundClock.starting_at(START)
        )
        page = PageServer(playground)
        await playground.start()
        try:
            await page.start()
            async with aiohttp.ClientSession() as http:
                running = Running(playground, page, http)
                if action == "first":
                    await running.post("/api/users", {"name": "Bob"})
                    await start_as(running)
                    await running.post("/api/clock", {"advance": 7200})
                else:
                    await start_as(running)
                names = [
                    u["first_name"] for u in (await running.get("/api/info"))["result"]["users"]
                ]
                texts = [
                    m["content"].get("text", "")
                    for m in (await running.get("/_emulator/chats/1001"))["result"]["messages"]
                ]
                return names + texts, playground.clock.now()
        finally:
            await playground.stop()
            await page.stop()

    first, first_end = await run_once("first")
    second, second_end = await run_once("second")
    assert second[:2] == ["Ann", "Bob"]
    assert first[2:] == second[2 : len(first)], "the earlier chat is still there"
    assert any("Hi Ann" in text for text in second[len(first) :]), "the bot knows Ann again"
    assert second_end >= first_end, "simulated time does not go back after a restart"


def temp_folders(parent: Path) -> list[Path]:
    """The playground's temporary data folders under `parent`."""
    return list(parent.glob("lumbar-playground-*"))


async def test_cli_prints_the_address_serves_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--port",
        "0",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", line), line
        assert temp_folders(tmp_path), "data lives in a temporary folder"
        async with aiohttp.ClientSession() as http, http.get(line) as response:
            assert response.status == 200
            assert "Lumbar playground" in await response.text()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0
    assert not temp_folders(tmp_path), "the temporary folder is removed"


@pytest.mark.parametrize("flag", ["--help"])
def test_playground_subcommand_is_listed(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    with pytest.raises(SystemExit):
        main(["playground", flag])
    assert "--data" in capsys.readouterr().out
