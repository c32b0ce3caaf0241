"""JSON control API, so another process (a test, the playground page) can drive the emulator.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}`` (HTTP 400
for a bad request or an impossible user action, 404 for an unknown action or chat, 408 when a
wait timed out). Bodies are JSON objects. Messages are returned in the view form of
``StoredMessage.view()``: message_id, chat_id, date, from_bot, kind, content (the Bot API
message fields: text, entities, caption, photo, ...), reply_markup, reply_to, edit_date,
deleted, silent and history (earlier versions).

``GET  /_emulator/state``                 bot, users, chats, pending update count, uploads, version
``GET  /_emulator/me``                    the bot's User, exactly as getMe answers
``POST /_emulator/users``                 ``{"id", "first_name"?, "language_code"?, "username"?,
                                          "last_name"?}`` registers a user
``POST /_emulator/act/<action>``          act as a user (actions listed below)
``GET  /_emulator/chats/<chat_id>``       ``{"chat": Chat + blocked/bot_status/reply_keyboard,
                                          "messages": [view...]}``
``GET  /_emulator/calls?since=N&method=M`` recorded calls from index N (method, params without
                                          file bytes, status, at, description, fault)
``GET  /_emulator/updates?since=N``        every update ever queued, from index N
``GET  /_emulator/faults``                pending faults
``POST /_emulator/faults``                ``{"kind": "fail", "method", "status", "times"?,
                                          "retry_after"?, "description"?, "chat_id"?}``,
                                          ``{"kind": "stall", "method", "seconds", "times"?}`` or
                                          ``{"kind": "drop", "method", "times"?}``
``DELETE /_emulator/faults``              clear all faults
``POST /_emulator/settle``                ``{"quiet"?: 0.15, "timeout"?: 10}`` waits like settle()
``POST /_emulator/wait_bot_messages``     ``{"user_id", "count"?: 1, "timeout"?: 5}`` answers the
                                          new bot messages since the user's last action
``POST /_emulator/clock``                 ``{"advance": seconds}`` moves the server clock forward
``POST /_emulator/flood``                 ``{"overall"?: 30, "per_chat"?: 1, "chat_burst"?: 4,
                                          "per_group"?: 20}`` turns flood control on, like
                                          Telegram's (``bot.emulator.flood``): calls past these
                                          limits get 429 with retry_after (null: no such
                                          limit); ``{"off": true}`` turns it off
``GET  /_emulator/commands``              ``[{"scope", "language_code", "commands"}]``
``GET  /_emulator/callback_answers``      ``{query_id: {text, show_alert, url, cache_time}}``
``GET  /_emulator/changes?since=V&timeout=S`` long-polls until the state version passes V;
                                          answers ``{"version"}`` (for a live page)
``GET  /_emulator/webhook?since=N``       ``{"info": getWebhookInfo's answer, "deliveries":
                                          [{update_id, attempt, started, finished, status,
                                          error}...] from index N}`` (every POST to the bot)

Actions for ``/_emulator/act/<action>``: ``user_id`` names the user; the other keys are the
keyword arguments of the Python method of the same name. ``send_text{text, reply_to?}``,
``send_location{latitude, longitude}``, ``send_contact{phone_number?}``,
``send_sticker{emoji?}``, ``send_photo{width?, height?, caption?}``, ``send_voice{duration?}``,
``send_document{file_name?}``, ``tap{text, latitude?, longitude?}`` (a reply-keyboard button),
``edit_text{message_id, new_text}``, ``press{message_id, callback_data, chat_id?, force?}``
(answers ``{"callback_query_id"}``), ``block{}``, ``unblock{}``,
``add_bot_to_group{group_id, title?, admin?}``, ``remove_bot_from_group{group_id}``,
``send_group_text{group_id, text}``; and ``channel_post{channel_id, text}`` without user_id.
block, unblock and remove_bot_from_group answer the update they queued; the others answer the
created message in view form.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.errors import EmulatorTimeoutError, ScenarioError
from bot.emulator.flood import FloodControl
from bot.emulator.state import StoredMessage

if TYPE_CHECKING:
    from bot.emulator.server import BotApiServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER_ACTIONS = frozenset(
    {
        "send_text",
        "send_location",
        "send_contact",
        "send_sticker",
        "send_photo",
        "send_voice",
        "send_document",
        "tap",
        "edit_text",
        "press",
        "block",
        "unblock",
        "add_bot_to_group",
        "remove_bot_from_group",
        "send_group_text",
    }
)
PREFIX = "/_emulator"


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _render(value: Any) -> Any:
    if isinstance(value, StoredMessage):
        return value.view()
    if isinstance(value, str):
        return {"callback_query_id": value}
    return value


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("a JSON object is expected")
    return body


def _guard(handler: Handler) -> Handler:
    """Turn usage errors into JSON error answers instead of 500s."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except EmulatorTimeoutError as error:
            return _error(408, str(error))
        except (ScenarioError, TypeError, ValueError, KeyError) as error:
            return _error(400, f"{type(error).__name__}: {error}")

    return wrapped


def add_routes(app: web.Application, server: BotApiServer) -> None:
    """Mount the control API on an aiohttp application."""

    async def state(request: web.Request) -> web.StreamResponse:
        return _ok(server.describe())

    async def me(request: web.Request) -> web.StreamResponse:
        return _ok(server.me_json())

    async def users(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(server.user(**body).to_json())

    async def act(request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        body = await _body(request)
        if action == "channel_post":
            return _ok(_render(server.channel_post(**body)))
        if action not in USER_ACTIONS:
            return _error(404, f"unknown action {action!r}")
        user_id = int(body.pop("user_id"))
        return _ok(_render(getattr(server, action)(user_id, **body)))

    async def chat(request: web.Request) -> web.StreamResponse:
        chat_id = int(request.match_info["chat_id"])
        found = server.chats.get(chat_id)
        if found is None:
            return _error(404, f"no chat {chat_id}")
        info = {
            **found.to_json(),
            "blocked": found.blocked,
            "bot_status": found.bot_status,
            "reply_keyboard": found.reply_keyboard,
        }
        return _ok({"chat": info, "messages": [m.view() for m in server.chat(chat_id)]})

    async def calls(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        method = request.query.get("method")
        picked = [
            c.view()
            for c in server.calls[since:]
            if method is None or c.method.lower() == method.lower()
        ]
        return _ok(picked)

    async def updates(request: web.Request) -> web.StreamResponse:
        return _ok(server.all_updates[int(request.query.get("since", "0")) :])

    async def faults(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            server.clear_faults()
            return _ok(True)
        if request.method == "POST":
            body = await _body(request)
            kind = body.pop("kind")
            if kind not in ("fail", "stall", "drop"):
                raise ValueError(f"unknown fault kind {kind!r}")
            fault = getattr(server, kind)(**body)
            return _ok(fault.view())
        return _ok([f.view() for f in server.faults])

    async def settle(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        await server.settle(float(body.get("quiet", 0.15)), float(body.get("timeout", 10.0)))
        return _ok(True)

    async def wait_bot_messages(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        found = await server.wait_for_bot_messages(
            int(body["user_id"]), int(body.get("count", 1)), float(body.get("timeout", 5.0))
        )
        return _ok([m.view() for m in found])

    async def clock(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        server.advance_clock(float(body.get("advance", 0)))
        return _ok({"now": server.now()})

    async def flood(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if body.pop("off", False):
            server.flood = None
            return _ok(None)
        flood = server.flood = FloodControl(**body)
        return _ok({f.name: getattr(flood, f.name) for f in dataclasses.fields(flood) if f.init})

    async def commands(request: web.Request) -> web.StreamResponse:
        return _ok(
            [
                {"scope": scope, "language_code": language, "commands": listed}
                for (scope, language), listed in server.commands.items()
            ]
        )

    async def callback_answers(request: web.Request) -> web.StreamResponse:
        return _ok({k: dataclasses.asdict(v) for k, v in server.callback_answers.items()})

    async def changes(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        timeout = min(60.0, float(request.query.get("timeout", "25")))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while server.version <= since and not server.stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await server.next_change(remaining)
        return _ok({"version": server.version})

    async def webhook(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        pushed = server.webhook.deliveries[since:]
        return _ok({"info": server.webhook.info(), "deliveries": [d.view() for d in pushed]})

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/state", state),
        ("GET", "/me", me),
        ("POST", "/users", users),
        ("POST", "/act/{action}", act),
        ("GET", "/chats/{chat_id}", chat),
        ("GET", "/calls", calls),
        ("GET", "/updates", updates),
        ("*", "/faults", faults),
        ("POST", "/settle", settle),
        ("POST", "/wait_bot_messages", wait_bot_messages),
        ("POST", "/clock", clock),
        ("POST", "/flood", flood),
        ("GET", "/commands", commands),
        ("GET", "/callback_answers", callback_answers),
        ("GET", "/changes", changes),
        ("GET", "/webhook", webhook),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _guard(handler))
