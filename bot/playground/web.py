"""The page's HTTP side: static files, the emulator's control API, and playground extras.

Everything is same-origin on one loopback port, so the page needs no CORS and no token:

``GET  /``                          the chat page (``static/index.html``)
``GET  /static/...``                its CSS and JS
``/_emulator/...``                  the emulator's JSON control API (``bot.emulator.control``)
``GET  /api/info``                  bot, users, the bot's languages, the command menu (the
                                    default one, and ``menus`` by Telegram language code)
``POST /api/users``                 ``{"name", "language_code"?}`` adds a simulated user whose
                                    Telegram app is in that language (default ``en``; empty:
                                    none); answers the user
``GET  /api/clock?user_id=``        simulated time in UTC and in the user's zone
``POST /api/clock``                 ``{"user_id"?, "advance"?: seconds}``,
                                    ``{"user_id", "local": "HH:MM"}`` or
                                    ``{"user_id", "next_nudge": true}``; the clock stops at
                                    each moment a nudge falls due to run the nudge
                                    dispatcher, and the answer is the new time with the
                                    user's ``nudges`` (sent, skipped and why),
                                    ``nudges_sent`` and a one-line ``summary``
``GET  /api/files/{file_id}``       a photo or document the bot sent (``?download=1`` as a
                                    file)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.emulator import control
from bot.playground.runtime import Playground

STATIC = Path(__file__).resolve().parent / "static"
PLAYGROUND_KEY = web.AppKey("playground", Playground)
NO_CACHE = {"Cache-Control": "no-store"}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, headers=NO_CACHE)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="a JSON body is expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return body


def _user_id(value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("user_id must be a number")
    return int(value)


async def index(request: web.Request) -> web.StreamResponse:
    """Serve the chat page."""
    return web.FileResponse(STATIC / "index.html", headers=NO_CACHE)


async def info(request: web.Request) -> web.StreamResponse:
    """Tell the page who the bot and the users are, and what the command menu holds."""
    playground = request.app[PLAYGROUND_KEY]
    server = playground.server
    menu = server.commands.get(("default", ""), [])
    menus = {
        language: listed
        for (scope, language), listed in server.commands.items()
        if scope == "default"
    }
    return _ok(
        {
            "bot": server.me_json(),
            "users": [u.to_json() for u in server.users.values()],
            "languages": playground.languages(),
            "commands": menu,
            "menus": menus,
        }
    )


async def add_user(request: web.Request) -> web.StreamResponse:
    """Add a simulated user."""
    body = await _body(request)
    language = body.get("language_code", "en")
    try:
        if language is not None and not isinstance(language, str):
            raise ValueError("language_code must be text")
        user = request.app[PLAYGROUND_KEY].add_user(str(body.get("name", "")), language)
    except ValueError as error:
        return _error(400, str(error))
    return _ok(user.to_json())


async def clock(request: web.Request) -> web.StreamResponse:
    """Show or move the shared clock; a move delivers the nudges that fall due."""
    playground = request.app[PLAYGROUND_KEY]
    try:
        if request.method == "GET":
            view = await playground.clock_view(_user_id(request.query.get("user_id")))
            return _ok(view.to_json())
        body = await _body(request)
        user_id = _user_id(body.get("user_id"))
        if body.get("next_nudge"):
            if user_id is None:
                return _error(400, "jumping to the next nudge needs a user_id")
            view = await playground.jump_to_next_nudge(user_id)
        elif "local" in body:
            if user_id is None:
                return _error(400, "jumping to a local time needs a user_id")
            view = await playground.jump_to_local(user_id, str(body["local"]))
        else:
            view = await playground.advance(float(body.get("advance", 0)), user_id)
    except ValueError as error:
        return _error(400, str(error))
    return _ok(view.to_json())


async def file(request: web.Request) -> web.StreamResponse:
    """Serve a file the bot sent, without exposing the token-bearing Bot API file URL."""
    stored = request.app[PLAYGROUND_KEY].server.files.get(request.match_info["file_id"])
    if stored is None:
        return _error(404, "no such file")
    headers = {"Cache-Control": "private, max-age=3600"}
    if request.query.get("download"):
        name = (stored.file_name or stored.file_path.rsplit("/", 1)[-1]).replace('"', "")
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.Response(body=stored.data, content_type=stored.served_type.strip(), headers=headers)


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Forbid anything the page did not ship itself: no remote scripts, styles or frames."""
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def build_web_app(playground: Playground) -> web.Application:
    """The page, its API and the emulator's control API on one aiohttp application."""
    app = web.Application(middlewares=[security_headers])
    app[PLAYGROUND_KEY] = playground
    app.router.add_get("/", index)
    app.router.add_get("/api/info", info)
    app.router.add_post("/api/users", add_user)
    app.router.add_route("GET", "/api/clock", clock)
    app.router.add_route("POST", "/api/clock", clock)
    app.router.add_get("/api/files/{file_id}", file)
    control.add_routes(app, playground.server)
    app.router.add_static("/static/", STATIC, append_version=False)
    return app


class PageServer:
    """Serves the page on loopback; port 0 picks a free one."""

    def __init__(self, playground: Playground, host: str = "127.0.0.1", port: int = 0) -> None:
        self.playground = playground
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The page address."""
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> None:
        """Listen; the port is known afterwards."""
        runner = web.AppRunner(
            build_web_app(self.playground), access_log=None, handle_signals=False
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the listener and any open long polls."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
