"""The real `python -m bot` process, started against an in-process Bot API emulator.

The tests start it, stop it with SIGTERM or SIGKILL, start it again on the same
database, and read everything it printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.pool import NullPool

from bot.emulator import BotApiServer, FakeUser, StoredMessage
from bot.uow import UnitOfWork
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_to_head
from db.models import Nudge
from tests.seeding import EVERY_DAY, seed_finished_triage

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAE-lumbar-e2e-token_0123456789abcdefXY"
START_TIMEOUT = 60.0
QUIET = 0.3


def base_env(**extra: str) -> dict[str, str]:
    """A clean environment: nothing from the caller's TELEGRAM_*, DATABASE_URL or WEBHOOK_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    }
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """One run of `python -m bot`, with its output collected line by line."""

    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        run = cls(proc)
        assert proc.stdout is not None and proc.stderr is not None
        run._readers = [asyncio.create_task(run._read(s)) for s in (proc.stdout, proc.stderr)]
        return run

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """Wait for the process to end; returns its exit code."""
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await asyncio.gather(*self._readers)
        return code

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """Send a signal and wait for the exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await self.wait(timeout)

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        assert await self.stop(signal.SIGKILL) == -signal.SIGKILL

    async def ensure_gone(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            with contextlib.suppress(Exception):
                await self.wait(10)


async def ready(
    server: BotApiServer,
    since: int,
    receiving: str = "getUpdates",
    timeout: float = START_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Wait until a freshly started bot set its commands and receives updates."""

    def started() -> bool:
        methods = [c.method for c in server.calls[since:]]
        return "setMyCommands" in methods and receiving in methods

    await server.wait_for(started, timeout, what="the bot process receiving updates")


@dataclass
class Deployment:
    """The emulator, a SQLite file and the environment to start the bot on them."""

    server: BotApiServer
    workdir: Path
    cache_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    runs: list[BotProcess] = field(default_factory=list)

    @property
    def db_path(self) -> Path:
        return self.workdir / "lumbar.sqlite3"

    @property
    def db_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db_path}"

    def env(self, **extra: str) -> dict[str, str]:
        settings = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": self.server.base_url,
            "DATABASE_URL": self.db_url,
            "CACHE_DIR": str(self.cache_dir),
            "NUDGE_INTERVAL_SECONDS": "3600",
        }
        return base_env(**{**settings, **self.extra_env, **extra})

    async def start(self, receiving: str = "getUpdates", **extra: str) -> BotProcess:
        """Start `python -m bot` and wait until it polls (or set its webhook)."""
        mark = len(self.server.calls)
        run = await BotProcess.start(self.env(**extra), self.workdir)
        self.runs.append(run)
        try:
            await ready(self.server, mark, receiving)
        except BaseException:
            await run.ensure_gone()
            raise AssertionError(f"the bot did not start:\n{run.output}") from None
        return run

    async def send(self, user: FakeUser, text: str) -> list[StoredMessage]:
        self.server.send_text(user, text)
        await self.server.settle(quiet=QUIET, timeout=20)
        return self.server.new_bot_messages(user)

    async def press(self, user: FakeUser, label: str) -> list[StoredMessage]:
        message, data = self.find_button(user, label)
        self.server.press(user, message.message_id, data)
        await self.server.settle(quiet=QUIET, timeout=20)
        return self.server.new_bot_messages(user)

    def find_button(self, user: FakeUser, label: str) -> tuple[StoredMessage, str]:
        for message in reversed(self.server.bot_messages(user)):
            for row in message.buttons:
                for text, data in row:
                    if label.lower() in text.lower() and data is not None:
                        return message, data
        raise AssertionError(f"no button {label!r}")

    async def stalled(self, method: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Wait until a call of `method` is held by a stall fault (the bot is mid-update)."""
        await self.server.wait_for(
            lambda: any(c.method == method and c.fault == "stall" for c in self.server.calls),
            timeout,
            what=f"a stalled {method}",
        )

    async def kill_during_stall(self, run: BotProcess) -> None:
        """SIGKILL the process, then let the emulator finish the call it was holding.

        Like Telegram, the emulator completes a stalled call even though nobody waits
        for the answer any more; the next process starts once that has happened.
        """
        await run.kill()
        self.server.clear_faults()
        await self.server.wait_for(
            lambda: self.server.activity.inflight == 0, 30, what="the stalled call to end"
        )

    # --- the database, read and written beside the bot

    async def migrate(self) -> None:
        await upgrade_to_head(self.db_url)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        engine = create_engine(self.db_url, poolclass=NullPool)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                yield UnitOfWork(session)
        finally:
            await engine.dispose()

    async def seed_user(self, user: FakeUser, *, nudge_due_in: timedelta | None = None) -> None:
        """A user who finished triage (profile, Berlin, reminders), as the bot stores them.

        They stretch every day, so a due nudge does not depend on the weekday of the run.
        """
        self.server.private_chat(user)
        now = datetime.now(UTC)
        async with self.transaction() as uow:
            await seed_finished_triage(uow, user, now, stretch_days=EVERY_DAY)
            if nudge_due_in is not None:
                await uow.nudges.schedule(user.id, "stretch", now + nudge_due_in)
                await uow.nudges.schedule(user.id, "water", None)

    async def expire_leases(self) -> None:
        """As if the nudge leases of a dead process had run out (two minutes later)."""
        async with self.transaction() as uow:
            await uow.session.execute(
                update(Nudge)
                .where(Nudge.claimed_until.is_not(None))
                .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
            )
