"""The playground without a browser: its endpoints, the shared clock, persistence, the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.playground import PageServer, Playground, PlaygroundClock
from bot.playground.web import STATIC
from db.repositories.users import UserRepository
from tests.playground.conftest import START, Running

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
    """/start and "Yes, let's start": before that nothing about the user is stored."""
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
    assert "Yes, let's start" in labels


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
    assert any("First, where are you?" in text for text in texts), texts[-1]


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
