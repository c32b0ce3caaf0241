"""`python -m bot` as a process: it answers as a user sees it, and fails to start clearly."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.emulator import BotApiServer
from tests.e2e.process import TOKEN, BotProcess, Deployment, base_env

pytestmark = pytest.mark.e2e


async def test_the_process_answers_start_and_help_and_sets_the_menu(
    deployment: Deployment,
) -> None:
    run = await deployment.start()
    ann = deployment.server.user(1001, first_name="Ann")
    out = await deployment.send(ann, "/start")
    assert "Hi Ann" in (out[0].text or "")
    labels = [label for row in out[0].buttons for label, _ in row]
    assert labels == ["Yes, I'm 16 to 49", "Yes, I'm 50 or over", "I'm under 16", "Not now"]
    out = await deployment.send(ann, "/help")
    for command in ("/today", "/stretch", "/progress", "/reminders", "/export", "/forget"):
        assert command in (out[0].text or "")
    menu = [c["command"] for c in deployment.server.commands[("default", "")]]
    assert {"today", "stretch", "progress", "reminders", "help", "forget", "export"} <= set(menu)
    assert "stats" not in menu  # admins know it; nobody else needs to see it
    assert await run.stop(signal.SIGTERM) == 0
    assert TOKEN not in run.output
    assert "Traceback" not in run.output


UNREACHABLE_DB = "postgresql+asyncpg://postgres@127.0.0.1:1/x"
OTHER_TOKEN = "987654321:AAE-someone-elses-token_0123456789abc"


@pytest.mark.parametrize(
    ("env", "code", "says"),
    [
        pytest.param({"TELEGRAM_BOT_TOKEN": None}, 2, "set TELEGRAM_BOT_TOKEN", id="no-token"),
        pytest.param({"TELEGRAM_BOT_TOKEN": "12345"}, 2, "TELEGRAM_BOT_TOKEN", id="bad-token"),
        pytest.param({"DATABASE_URL": "not a url"}, 2, "DATABASE_URL", id="bad-db-url"),
        pytest.param({"DATABASE_URL": "mysql://db/x"}, 2, "DATABASE_URL", id="other-db"),
        pytest.param(
            {"WEBHOOK_URL": "https://example.org/hook"}, 2, "WEBHOOK_SECRET", id="no-secret"
        ),
        pytest.param({"DATABASE_URL": UNREACHABLE_DB}, 4, "database", id="db-down"),
        pytest.param({"TELEGRAM_BOT_TOKEN": OTHER_TOKEN}, 3, "rejected", id="token-refused"),
    ],
)
async def test_a_failed_start_is_one_line_and_an_exit_code(
    deployment: Deployment, env: dict[str, str | None], code: int, says: str, tmp_path: Path
) -> None:
    full = deployment.env()
    for key, value in env.items():
        if value is None:
            full.pop(key)
        else:
            full[key] = value
    run = await BotProcess.start(full, tmp_path)
    assert await run.wait(60) == code
    assert len(run.lines) == 1, run.output
    assert run.lines[0].startswith("lumbar: ") and says in run.lines[0]
    for secret in (TOKEN, OTHER_TOKEN, "12345"):
        assert secret not in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("extra", "aside"),
    [
        pytest.param({}, "", id="nothing-set"),
        pytest.param({"TELEGRAM_BOT_TOKEN": ""}, "", id="empty"),
        pytest.param(
            {"BOT_TOKEN": OTHER_TOKEN},
            " (BOT_TOKEN is set, but Lumbar reads TELEGRAM_BOT_TOKEN)",
            id="another-name",
        ),
    ],
)
async def test_a_first_start_without_a_token_points_to_the_playground(
    tmp_path: Path, extra: dict[str, str], aside: str
) -> None:
    run = await BotProcess.start(base_env(**extra), tmp_path)  # an empty folder, no .env
    assert await run.wait(60) == 2  # configuration (README, bot/startup.py)
    assert run.lines == [
        f"lumbar: no bot token{aside}: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you,"
        " or try Lumbar in your browser without one: python -m bot playground"
    ]
    assert OTHER_TOKEN not in run.output
    # The command it names is there: `python -m bot playground --help` lists its options.
    shown = await asyncio.create_subprocess_exec(
        sys.executable,
        *run.lines[0].rpartition(": python ")[2].split(),
        "--help",
        cwd=tmp_path,
        env=base_env(),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await shown.communicate()
    assert shown.returncode == 0 and "--data" in out.decode()
    assert not any(tmp_path.iterdir()), "nothing was written: no database, no cache"  # noqa: ASYNC240


async def test_an_unreachable_bot_api_fails_clearly(tmp_path: Path) -> None:
    async with BotApiServer(token=TOKEN) as server:
        dead = server.base_url  # a port that was just serving and now is closed
    env = base_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=dead,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}",
    )
    run = await BotProcess.start(env, tmp_path)
    assert await run.wait(60) == 5
    assert run.lines[-1].startswith("lumbar: cannot reach the Bot API server at 127.0.0.1:")
    assert TOKEN not in run.output and "Traceback" not in run.output
