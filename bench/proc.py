"""Start the bot under test in its own process and talk to it (see bench.botproc)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bench.botproc import BotConfig
from bench.common import ARTIFACTS, REPO


class BotProcess:
    """A running ``python -m bench.botproc``; its stderr goes to test-artifacts/bench/."""

    def __init__(self, config: BotConfig, name: str) -> None:
        self.config = config
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.ready: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 120.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Start it and wait until it polls; return its ready line (start-up seconds, RSS)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        log_path = ARTIFACTS / f"bot-{self.name}.log"
        stderr = await asyncio.to_thread(Path(log_path).open, "wb")
        with stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.botproc",
                self.config.to_arg(),
                cwd=REPO,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=64 * 1024 * 1024,
            )
        self.ready = await asyncio.wait_for(self._read(), timeout)
        if self.ready.get("event") != "ready":
            raise RuntimeError(f"bot {self.name} did not start: {self.ready}; see {log_path}")
        return self.ready

    async def _read(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            code = await self.process.wait()
            return {"event": "exit", "code": code}
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, cmd: str, timeout: float = 900.0, **args: Any) -> dict[str, Any]:  # noqa: ASYNC109
        """Send one command and wait for its answer."""
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._read(), timeout)

    async def stop(self) -> None:
        """Ask it to quit; kill it if it does not."""
        if self.process is None or self.process.returncode is not None:
            return
        try:
            await self.ask("quit", timeout=30)
            await asyncio.wait_for(self.process.wait(), 30)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.process.kill()
            await self.process.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
