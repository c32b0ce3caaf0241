"""Bad configurations stop `python -m bot` with one line on stderr and the README's exit code."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.emulator import BotApiServer
from tests.e2e.process import TOKEN, BotProcess, base_env

pytestmark = pytest.mark.e2e

DB_PASSWORD = "pg-secret-4711"
HOOK_SECRET = "hook-secret_0123456789"


class Setup:
    """What one bad start needs: the emulator, a folder to run in, sockets to keep open."""

    def __init__(self, server: BotApiServer, workdir: Path, stack: contextlib.ExitStack) -> None:
        self.server = server
        self.workdir = workdir
        self.stack = stack
        self.where = f"127.0.0.1:{server.port}"

    def busy_port(self) -> int:
        """A port on 127.0.0.1 that another program is listening on."""
        sock = self.stack.enter_context(socket.socket())
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        return int(sock.getsockname()[1])


Case = Callable[[Setup], tuple[dict[str, str], str]]


def sync_driver(s: Setup) -> tuple[dict[str, str], str]:
    url = f"postgresql+psycopg2://lumbar:{DB_PASSWORD}@127.0.0.1:1/lumbar"
    return {"DATABASE_URL": url}, (
        "configuration error: DATABASE_URL must use an async driver:"
        " postgresql+asyncpg:// (or plain postgresql://)"
    )


def sync_sqlite_driver(s: Setup) -> tuple[dict[str, str], str]:
    return {"DATABASE_URL": f"sqlite+pysqlite:///{s.workdir / 'x.sqlite3'}"}, (
        "configuration error: DATABASE_URL must use an async driver:"
        " sqlite+aiosqlite:// (or plain sqlite://)"
    )


def bad_connect_timeout(s: Setup) -> tuple[dict[str, str], str]:
    url = f"postgresql://lumbar:{DB_PASSWORD}@127.0.0.1:1/lumbar?connect_timeout=abc"
    return {"DATABASE_URL": url}, (
        "configuration error: DATABASE_URL option connect_timeout must be a number of seconds"
    )


def unknown_url_option(s: Setup) -> tuple[dict[str, str], str]:
    url = f"postgresql://lumbar:{DB_PASSWORD}@127.0.0.1:1/lumbar?application_name=lumbar"
    return {"DATABASE_URL": url}, (
        "configuration error: DATABASE_URL option application_name is not supported"
    )


def env_file_not_utf8(s: Setup) -> tuple[dict[str, str], str]:
    (s.workdir / ".env").write_bytes(b"LOG_LEVEL=INFO\n# caf\xe9 latin-1\n")
    return {}, "configuration error: .env is not UTF-8 text"


def webhook_port_in_use(s: Setup) -> tuple[dict[str, str], str]:
    port = s.busy_port()
    env = {
        "WEBHOOK_URL": "https://example.org/lumbar/hook",
        "WEBHOOK_SECRET": HOOK_SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    return env, (
        f"cannot listen on 127.0.0.1:{port} for webhook (WEBHOOK_LISTEN, WEBHOOK_PORT):"
        " Address already in use"
    )


def wrong_base_url_path(s: Setup) -> tuple[dict[str, str], str]:
    return {"TELEGRAM_BASE_URL": f"{s.server.origin}/wrong/bot"}, (
        "configuration error: TELEGRAM_BASE_URL looks wrong:"
        f" the server at {s.where} answered 404 Not Found"
        " to getMe (the URL normally ends in /bot)"
    )


def cache_dir_not_writable(s: Setup) -> tuple[dict[str, str], str]:
    (s.workdir / "a-file").write_text("not a folder")
    cache = s.workdir / "a-file" / "cache"  # works as root too, unlike chmod
    return {"CACHE_DIR": str(cache)}, (
        f"configuration error: CACHE_DIR {cache} cannot be written: Not a directory"
    )


def infinite_rate(s: Setup) -> tuple[dict[str, str], str]:
    return {"RATE_LIMIT_PER_SECOND": "inf"}, (
        "configuration error: RATE_LIMIT_PER_SECOND Input should be a finite number"
    )


def nan_rate(s: Setup) -> tuple[dict[str, str], str]:
    return {"RATE_LIMIT_PER_SECOND": "nan"}, (
        "configuration error: RATE_LIMIT_PER_SECOND Input should be a finite number"
    )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        pytest.param(sync_driver, 2, id="sync-driver"),
        pytest.param(sync_sqlite_driver, 2, id="sync-sqlite-driver"),
        pytest.param(bad_connect_timeout, 2, id="connect-timeout-abc"),
        pytest.param(unknown_url_option, 2, id="unknown-url-option"),
        pytest.param(env_file_not_utf8, 2, id="env-not-utf8"),
        pytest.param(webhook_port_in_use, 6, id="webhook-port-in-use"),
        pytest.param(wrong_base_url_path, 2, id="base-url-404"),
        pytest.param(cache_dir_not_writable, 2, id="cache-dir-unwritable"),
        pytest.param(infinite_rate, 2, id="rate-inf"),
        pytest.param(nan_rate, 2, id="rate-nan"),
    ],
)
async def test_a_bad_configuration_is_one_line_and_its_exit_code(
    emulator: BotApiServer, tmp_path: Path, case: Case, code: int
) -> None:
    with contextlib.ExitStack() as stack:
        env, says = case(Setup(emulator, tmp_path, stack))
        full = base_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=emulator.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'lumbar.sqlite3'}",
            CACHE_DIR=str(tmp_path / "cache"),
            NUDGE_INTERVAL_SECONDS="3600",
        )
        run = await BotProcess.start({**full, **env}, tmp_path)
        try:
            assert await run.wait(30) == code, run.output
        finally:
            await run.ensure_gone()
    assert run.lines == [f"lumbar: {says}"]
    for secret in (TOKEN, DB_PASSWORD, HOOK_SECRET):
        assert secret not in run.output


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers; yields its port."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # read nothing, answer nothing, keep the connection open

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_bot_api_that_never_answers_fails_the_start_within_the_bound(
    tmp_path: Path,
) -> None:
    async with silent_server() as port:
        env = base_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'lumbar.sqlite3'}",
            CACHE_DIR=str(tmp_path / "cache"),
        )
        started = time.monotonic()
        run = await BotProcess.start(env, tmp_path)
        try:
            code = await run.wait(20)
        finally:
            await run.ensure_gone()
        took = time.monotonic() - started
    assert code == 5, run.output
    assert took < 15, f"took {took:.1f} s"
    assert run.lines == [
        f"lumbar: the Bot API server at 127.0.0.1:{port} did not answer getMe within 10 s"
    ]
    assert TOKEN not in run.output
