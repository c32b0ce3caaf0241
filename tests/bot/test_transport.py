"""The aiohttp transport against a local server: answers, uploads, timeouts, failures.

The exception types matter more than anything else here: ``bot/retry.py`` repeats a send
after a ``NetworkError`` but never after a ``TimedOut`` (Telegram may have delivered it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import NOT_SENT, AiohttpRequest

TOKEN = "123456789:AAE-transport-test-token_0123456789abc"
# The four timeouts as PTB passes them when a Bot method was called without any.
DEFAULTS = dict.fromkeys(
    ("read_timeout", "write_timeout", "connect_timeout", "pool_timeout"), BaseRequest.DEFAULT_NONE
)


@dataclass
class Api:
    """A tiny Bot API stand-in; ``url(method)`` puts the token in the path as Telegram does."""

    base: str
    release: asyncio.Event
    seen: list[dict[str, object]] = field(default_factory=list)

    def url(self, method: str) -> str:
        return f"{self.base}/bot{TOKEN}/{method}"


def _ok(result: object) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def _params(request: web.Request) -> dict[str, str]:
    """The call's parameters as the Bot API reads them: from a form, or from a JSON object
    whose string members are taken as they are and any other member as its JSON text."""
    if request.content_type == "application/json":
        body = await request.json()
        assert isinstance(body, dict)
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    return {key: str(value) for key, value in (await request.post()).items()}


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    release = asyncio.Event()
    state = Api("", release)

    async def echo(request: web.Request) -> web.Response:
        state.seen.append(
            {"content_type": request.content_type, "ua": request.headers["User-Agent"]}
        )
        return _ok(await _params(request))

    async def upload(request: web.Request) -> web.Response:
        parts: dict[str, object] = {}
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, aiohttp.BodyPartReader)
            data = await part.read()
            if part.filename is None:
                parts[str(part.name)] = data.decode()
            else:
                parts[str(part.name)] = {
                    "filename": part.filename,
                    "mime": part.headers.get("Content-Type"),
                    "hex": data.hex(),
                }
        state.seen.append({"content_type": request.content_type})
        return _ok(parts)

    async def slow(request: web.Request) -> web.Response:
        await request.read()
        delay = float(request.query.get("delay", "5"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), delay)
        return _ok(True)

    async def get_updates(request: web.Request) -> web.Response:
        # A long poll that answers after 80 % of the poll time: within PTB's read window
        # (read_timeout + timeout), far past the bare read timeout.
        form = await _params(request)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), 0.8 * float(form["timeout"]))
        return _ok([])

    async def hang_up(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        request.transport.close()  # as the emulator's "drop" fault does
        return web.Response(status=500)

    async def flood(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3"}
        return web.json_response({**body, "parameters": {"retry_after": 3}}, status=429)

    async def get_me(request: web.Request) -> web.Response:
        return _ok({"id": 123456789, "is_bot": True, "first_name": "Lumbar", "username": "lb"})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/echo", echo)
    app.router.add_post(f"/bot{TOKEN}/upload", upload)
    app.router.add_post(f"/bot{TOKEN}/slow", slow)
    app.router.add_post(f"/bot{TOKEN}/getUpdates", get_updates)
    app.router.add_post(f"/bot{TOKEN}/hangUp", hang_up)
    app.router.add_post(f"/bot{TOKEN}/flood", flood)
    app.router.add_post(f"/bot{TOKEN}/getMe", get_me)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield state
    finally:
        release.set()
        await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(
        connection_pool_size=4, read_timeout=1.0, write_timeout=1.0, connect_timeout=1.0
    )
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def params(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(key, value) for key, value in values.items()])


def assert_no_token(error: BaseException) -> None:
    """Neither the message nor the repr of a raised error may carry the token (or the URL)."""
    for text in (str(error), repr(error), getattr(error, "message", "")):
        assert TOKEN not in text and "/bot" not in text


def free_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def raises(
    kind: type[Exception], call: Callable[[], object], *, within: float
) -> NetworkError:
    """Await the call, expect exactly ``kind`` (not a subclass) within some seconds."""
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        result = call()
        assert asyncio.iscoroutine(result)
        await asyncio.wait_for(result, within + 5)  # a hang fails here, not forever
    assert type(caught.value) is kind
    assert time.monotonic() - started < within
    assert_no_token(caught.value)
    return caught.value


# --- answers ---------------------------------------------------------------------------


async def test_a_json_call_returns_status_and_body(api: Api, transport: AiohttpRequest) -> None:
    status, body = await transport.do_request(
        api.url("echo"), "POST", params(chat_id=42, text="hej", reply_markup={"a": [1]})
    )
    assert status == 200
    assert json.loads(body)["result"] == {
        "chat_id": "42",
        "text": "hej",
        "reply_markup": '{"a": [1]}',
    }
    assert api.seen[-1]["content_type"] == "application/json"
    assert str(api.seen[-1]["ua"]).startswith("python-telegram-bot")


async def test_a_caption_arrives_unchanged_whatever_its_characters(
    api: Api, transport: AiohttpRequest
) -> None:
    # The body is JSON now (it was a form): HTML, quotes, non-Latin letters, emoji and
    # line breaks must reach the Bot API exactly as PTB handed them over.
    caption = 'Rücken & <b>Hüfte</b> "5×" — спина 🤕\n\nnext'
    status, body = await transport.do_request(
        api.url("echo"), "POST", params(chat_id=-100, caption=caption, parse_mode="HTML")
    )
    assert status == 200
    assert json.loads(body)["result"] == {
        "chat_id": "-100",
        "caption": caption,
        "parse_mode": "HTML",
    }


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_an_error_status_is_returned_for_ptb_to_map(
    api: Api, transport: AiohttpRequest
) -> None:
    status, _ = await transport.do_request(api.url("flood"), "POST", params(chat_id=1))
    assert status == 429
    with pytest.raises(RetryAfter):
        await transport.post(api.url("flood"), params(chat_id=1))


async def test_a_multipart_upload_arrives_with_its_bytes_and_fields(
    api: Api, transport: AiohttpRequest
) -> None:
    picture = bytes(range(256)) * 64
    handle = io.BytesIO(b"export \xc3\xa9 data")
    handle.seek(0, io.SEEK_END)  # a handle already read once (a retry) is rewound
    data = params(
        chat_id=7,
        caption="Übung 1",
        photo=InputFile(picture, filename="card.png"),
        document=InputFile(handle, filename="lumbar-export.json", read_file_handle=False),
    )
    assert data.contains_files
    status, body = await transport.do_request(api.url("upload"), "POST", data)
    assert status == 200
    parts = json.loads(body)["result"]
    assert parts["chat_id"] == "7" and parts["caption"] == "Übung 1"
    photo = next(v for v in parts.values() if isinstance(v, dict) and v["filename"] == "card.png")
    assert bytes.fromhex(photo["hex"]) == picture and photo["mime"] == "image/png"
    document = next(
        v for v in parts.values() if isinstance(v, dict) and v["filename"] == "lumbar-export.json"
    )
    assert bytes.fromhex(document["hex"]) == b"export \xc3\xa9 data"
    assert api.seen[-1]["content_type"] == "multipart/form-data"


async def test_a_bot_polls_and_calls_through_it(api: Api) -> None:
    """PTB adds the poll time to the read timeout of getUpdates; the transport honours it."""
    bot = Bot(
        TOKEN,
        base_url=f"{api.base}/bot",
        request=AiohttpRequest(read_timeout=0.3),
        get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=0.3),
    )
    async with bot:  # initialize() calls getMe
        assert bot.username == "lb"
        assert await bot.get_updates(timeout=1) == ()  # answered after 0.8 s > 0.3 s


# --- timeouts --------------------------------------------------------------------------


async def test_a_slow_answer_past_the_read_timeout_times_out(
    api: Api, transport: AiohttpRequest
) -> None:
    error = await raises(
        TimedOut,
        lambda: transport.do_request(
            api.url("slow?delay=5"), "POST", params(x=1), read_timeout=0.3
        ),
        within=2,
    )
    assert error.message == "Timed out"


async def test_a_per_call_read_timeout_beats_the_default(
    api: Api, transport: AiohttpRequest
) -> None:
    slow = api.url("slow?delay=0.5")
    status, _ = await transport.do_request(slow, "POST", params(x=1), read_timeout=2)
    assert status == 200
    short = AiohttpRequest(read_timeout=0.2)
    try:
        await raises(TimedOut, lambda: short.do_request(slow, "POST", params(x=1)), within=2)
        status, _ = await short.do_request(slow, "POST", params(x=1), read_timeout=None)
        assert status == 200
    finally:
        await short.shutdown()


async def test_a_full_pool_times_out_without_sending(api: Api) -> None:
    # aiohttp's acquisition timeout is pool + connect: keep both short.
    one = AiohttpRequest(
        connection_pool_size=1, read_timeout=5, pool_timeout=0.2, connect_timeout=0.1
    )
    try:
        busy = asyncio.create_task(one.do_request(api.url("slow?delay=5"), "POST", params(x=1)))
        await asyncio.sleep(0.2)
        error = await raises(
            TimedOut, lambda: one.do_request(api.url("echo"), "POST", params(x=1)), within=2
        )
        assert error.message == NOT_SENT
        api.release.set()
        assert (await busy)[0] == 200
    finally:
        await one.shutdown()


async def test_an_upload_into_a_stalled_connection_ends(transport: AiohttpRequest) -> None:
    """aiohttp bounds no write; the whole-call backstop still ends a stuck upload."""
    stuck = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await stuck.wait()

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/bot{TOKEN}/sendDocument"
    data = params(chat_id=1, document=InputFile(b"x" * (64 << 20), filename="big.bin"))
    try:
        await raises(
            TimedOut,
            lambda: transport.do_request(
                url, "POST", data, read_timeout=0.2, write_timeout=0.3, pool_timeout=0.1
            ),
            within=5,
        )
    finally:
        stuck.set()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def test_timeouts_map_onto_aiohttp() -> None:
    request = AiohttpRequest(read_timeout=15, write_timeout=30, connect_timeout=10, pool_timeout=2)
    default: dict[str, object] = dict(DEFAULTS)
    plain = request._timeout(files=False, **default)
    assert (plain.sock_read, plain.sock_connect, plain.connect, plain.total) == (15, 10, 12, 57)
    upload = request._timeout(files=True, **default)
    assert upload.total == 2 + 10 + 20 + 15  # media_write_timeout, as HTTPXRequest
    explicit = request._timeout(files=True, **{**default, "write_timeout": 1, "read_timeout": 40})
    assert (explicit.sock_read, explicit.total) == (40, 2 + 10 + 1 + 40)
    unbounded = request._timeout(files=False, **{**default, "read_timeout": None})
    assert unbounded.sock_read is None and unbounded.total is None and unbounded.connect == 12


# --- failures --------------------------------------------------------------------------


async def test_a_dropped_connection_is_a_network_error_not_a_timeout(
    api: Api, transport: AiohttpRequest
) -> None:
    error = await raises(
        NetworkError,
        lambda: transport.do_request(api.url("hangUp"), "POST", params(chat_id=1)),
        within=2,
    )
    assert error.message.startswith("aiohttp.")


async def test_a_refused_connection_is_a_network_error(transport: AiohttpRequest) -> None:
    url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/sendMessage"
    error = await raises(
        NetworkError, lambda: transport.do_request(url, "POST", params(chat_id=1)), within=2
    )
    assert error.message == "aiohttp.ClientConnectorError"


# --- life cycle ------------------------------------------------------------------------


async def test_initialize_is_idempotent_and_shutdown_closes(
    api: Api, transport: AiohttpRequest
) -> None:
    session = transport._session
    await transport.initialize()
    assert transport._session is session and transport.is_open
    await transport.shutdown()
    assert not transport.is_open and session is not None and session.closed
    await transport.shutdown()  # twice is fine


async def test_a_call_after_shutdown_reopens_the_session(
    api: Api, transport: AiohttpRequest
) -> None:
    await transport.shutdown()
    status, _ = await transport.do_request(api.url("echo"), "POST", params(x=1))
    assert status == 200 and transport.is_open


async def test_the_first_call_opens_the_session(api: Api) -> None:
    lazy = AiohttpRequest()
    assert not lazy.is_open and lazy.read_timeout == 5.0
    try:
        status, _ = await lazy.do_request(api.url("echo"), "POST", params(x=1))
        assert status == 200 and lazy.is_open
    finally:
        await lazy.shutdown()


def test_a_pool_needs_a_connection() -> None:
    with pytest.raises(ValueError, match="connection_pool_size"):
        AiohttpRequest(connection_pool_size=0)
