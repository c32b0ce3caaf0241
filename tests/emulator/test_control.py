"""The JSON control API drives the emulator from another process, standalone too."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import aiohttp
import pytest

from bot.emulator import BotApiServer
from tests.emulator.conftest import TOKEN, App


async def control(
    http: aiohttp.ClientSession, url: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """Call the control API; GET without a body, POST with one; return the result."""
    if body is None:
        response = await http.get(url + path)
    else:
        response = await http.post(url + path, json=body)
    payload = await response.json()
    assert payload["ok"], payload
    return payload["result"]


async def test_control_api_acts_and_reads_for_another_process(
    server: BotApiServer, app: App
) -> None:
    url = server.control_url
    async with aiohttp.ClientSession() as http:
        await control(http, url, "/users", {"id": 42, "first_name": "Ann"})
        await control(http, url, "/act/send_text", {"user_id": 42, "text": "/start"})
        await control(http, url, "/settle", {"quiet": 0.1})
        chat = await control(http, url, "/chats/42")
        card = chat["messages"][-1]
        assert card["from_bot"] and card["content"]["text"] == "Hello there & welcome"

        await control(
            http,
            url,
            "/faults",
            {
                "kind": "fail",
                "method": "editMessageText",
                "status": 400,
                "description": "Bad Request: nope",
            },
        )
        assert [f["status"] for f in await control(http, url, "/faults")] == [400]
        press = {"user_id": 42, "message_id": card["message_id"], "callback_data": "s1:done"}
        first = await control(http, url, "/act/press", press)
        await control(http, url, "/settle", {"quiet": 0.1})
        chat = await control(http, url, "/chats/42")
        assert chat["messages"][-1]["content"]["text"] == "Hello there & welcome"
        second = await control(http, url, "/act/press", press)
        await control(http, url, "/settle", {"quiet": 0.1})
        chat = await control(http, url, "/chats/42")
        assert chat["messages"][-1]["content"]["text"] == "You chose s1:done"
        assert chat["messages"][-1]["history"][0]["content"]["text"] == "Hello there & welcome"
        calls = await control(http, url, "/calls?method=editMessageText")
        assert [c["status"] for c in calls] == [400, 200]
        answers = await control(http, url, "/callback_answers")
        assert {first["callback_query_id"], second["callback_query_id"]} == set(answers)

        bad = await http.post(
            url + "/act/press",
            json={"user_id": 42, "message_id": card["message_id"], "callback_data": "nope"},
        )
        assert bad.status == 400 and "no button 'nope'" in (await bad.json())["error"]
        missing = await http.post(url + "/act/teleport", json={"user_id": 42})
        assert missing.status == 404


@pytest.mark.e2e
async def test_standalone_process_serves_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(10):
            base_url = (await process.stdout.readline()).decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        origin = base_url.removesuffix("/bot")
        async with aiohttp.ClientSession() as http:
            me = await control(http, origin + "/_emulator", "/me")
            answer = await (await http.get(f"{base_url}{TOKEN}/getMe")).json()
            assert answer == {"ok": True, "result": me} and me["id"] == 123456
            refused = await http.get(f"{base_url}1:WRONG/getMe")
            assert refused.status == 401
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
