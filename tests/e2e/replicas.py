"""Two `python -m bot` replicas in webhook mode behind a real HAProxy, on one PostgreSQL database.

The emulator POSTs updates to HAProxy's frontend as Telegram would; HAProxy spreads them
over the replicas, checks ``GET /healthz`` on each, retries a request whose replica
refused the connection or died on it (``retry-on``, ``option redispatch``). The tests
SIGKILL a replica, start it again, and read HAProxy's view of it from its stats socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.emulator import BotApiServer
from tests.e2e.process import BotProcess, Deployment

HAPROXY_CANDIDATES = ("haproxy", "/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
HOOK_PATH = "/lumbar/hook"
SECRET = "replica-secret_0123456789"


def find_haproxy() -> str | None:
    """The haproxy binary (Debian puts it in /usr/sbin, outside a user's PATH), or None."""
    for candidate in HAPROXY_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Timings:
    """How fast HAProxy notices a replica going and coming (milliseconds, counts)."""

    check_ms: int = 250  # one health check per replica this often
    fall: int = 2  # this many failed checks mark it down
    rise: int = 2  # this many good ones bring it back
    connect_ms: int = 200  # also the pause before a retry (min(this, 1 s))
    server_s: int = 20  # a replica must answer within this (the handler's whole run)
    retries: int = 3


def haproxy_config(
    *,
    frontend_port: int,
    backends: dict[str, int],
    stats_socket: Path,
    timings: Timings = Timings(),
) -> str:
    """The test balancer: deploy/haproxy.cfg's rules, with loopback ports and fast checks."""
    t = timings
    servers = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in backends.items())
    return f"""\
global
    log stdout format raw local0 info
    stats socket {stats_socket} mode 600 level admin
    maxconn 1024

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect {t.connect_ms}ms
    timeout client 30s
    timeout server {t.server_s}s
    timeout http-request 5s
    timeout http-keep-alive 5s
    # A replica that refused the connection, died with the request (empty answer) or
    # is stopping (503): the same request goes to the other one at once.
    retries {t.retries}
    option redispatch 1
    retry-on conn-failure empty-response 503

frontend telegram
    bind 127.0.0.1:{frontend_port}
    default_backend lumbar

backend lumbar
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter {t.check_ms}ms fastinter {t.check_ms}ms downinter {t.check_ms}ms fall {t.fall} rise {t.rise}
{servers}
"""  # noqa: E501


@dataclass
class Balancer:
    """HAProxy in the foreground, its log lines kept, its stats socket read on demand."""

    binary: str
    workdir: Path
    frontend_port: int
    backends: dict[str, int]
    timings: Timings = Timings()
    proc: asyncio.subprocess.Process | None = None
    lines: list[str] = field(default_factory=list)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def socket_path(self) -> Path:
        return self.workdir / "haproxy.sock"

    @property
    def config_path(self) -> Path:
        return self.workdir / "haproxy.cfg"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.frontend_port}{HOOK_PATH}"

    async def start(self) -> None:
        self.config_path.write_text(
            haproxy_config(
                frontend_port=self.frontend_port,
                backends=self.backends,
                stats_socket=self.socket_path,
                timings=self.timings,
            )
        )
        self.proc = await asyncio.create_subprocess_exec(
            self.binary,
            "-db",  # foreground, no daemon
            "-f",
            str(self.config_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        self._readers = [asyncio.create_task(self._read(self.proc.stdout))]
        deadline = time.monotonic() + 10
        while not self.socket_path.exists():
            if self.proc.returncode is not None or time.monotonic() > deadline:
                await self.stop()
                raise AssertionError("haproxy did not start:\n" + "\n".join(self.lines))
            await asyncio.sleep(0.05)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGUSR1)  # soft stop: finish what is in flight
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        for reader in self._readers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader, 5)

    async def command(self, line: str) -> str:
        """Send one command to the stats socket; returns the answer."""
        reader, writer = await asyncio.open_unix_connection(str(self.socket_path))
        try:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            return (await reader.read()).decode()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def stats(self) -> dict[str, dict[str, str]]:
        """Each backend server's row of ``show stat`` (status, scur: requests now...)."""
        csv = await self.command("show stat")
        header, *rows = [line for line in csv.splitlines() if line.strip()]
        names = header.lstrip("# ").split(",")
        found = {}
        for row in rows:
            values = dict(zip(names, row.split(","), strict=False))
            if values.get("pxname") == "lumbar" and values.get("svname") in self.backends:
                found[values["svname"]] = values
        return found

    async def states(self) -> dict[str, str]:
        """Each backend server's status as HAProxy sees it: UP, DOWN, "UP 1/2"..."""
        return {name: row.get("status", "") for name, row in (await self.stats()).items()}

    async def wait_busy(self, name: str, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until a request is at ``name`` right now; False if none came in ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if int((await self.stats())[name].get("scur") or 0) > 0:
                return True
            await asyncio.sleep(0.01)
        return False

    async def wait_state(self, name: str, status: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        """Wait until HAProxy reports ``name`` exactly ``status``; returns the seconds taken."""
        started = time.monotonic()
        while True:
            current = (await self.states()).get(name)
            if current == status:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"haproxy: {name} is {current!r}, not {status} in {timeout}s")
            await asyncio.sleep(0.05)


@dataclass
class PgDeployment(Deployment):
    """The e2e deployment on a PostgreSQL database instead of a SQLite file."""

    database_url: str = ""

    @property
    def db_url(self) -> str:
        return self.database_url


@dataclass
class Replica:
    """One of the replicas: its name in HAProxy, its webhook port, its current process."""

    name: str
    port: int
    run: BotProcess | None = None
    runs: list[BotProcess] = field(default_factory=list)


@dataclass
class ReplicaSet:
    """The replicas, the balancer in front of them, and the emulator behind it all."""

    deploy: PgDeployment
    balancer: Balancer
    replicas: dict[str, Replica]
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def server(self) -> BotApiServer:
        return self.deploy.server

    def env(self, replica: Replica) -> dict[str, str]:
        return self.deploy.env(
            WEBHOOK_URL=self.balancer.url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(replica.port),
            **self.extra_env,
        )

    async def start(self, *names: str, timeout: float = 60.0) -> float:  # noqa: ASYNC109
        """Start replicas together; returns the seconds until they all took traffic.

        That is: the replica's own ``GET /healthz`` answers 200 (it listens, its database
        and the Bot API answer) and HAProxy's checks of it passed ``rise`` times (UP;
        HAProxy counts a server UP before its first check, hence both).
        """
        started = time.monotonic()
        for name in names:
            replica = self.replicas[name]
            replica.run = await BotProcess.start(self.env(replica), self.deploy.workdir)
            replica.runs.append(replica.run)
            self.deploy.runs.append(replica.run)
        waiting = set(names)
        while waiting:
            states = await self.balancer.states()
            for name in sorted(waiting):
                run = self.replicas[name].run
                assert run is not None
                if run.proc.returncode is not None or time.monotonic() - started > timeout:
                    await run.ensure_gone()
                    raise AssertionError(
                        f"replica {name} is {states.get(name)!r} in HAProxy:\n{run.output}"
                    )
                if states.get(name) == "UP" and await self.healthy(name):
                    waiting.discard(name)
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def healthy(self, name: str) -> bool:
        """Whether the replica itself answers ``GET /healthz`` with 200."""
        url = f"http://127.0.0.1:{self.replicas[name].port}/healthz"
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def kill(self, name: str) -> None:
        """SIGKILL one replica: nothing of it runs any more, its connections reset."""
        run = self.replicas[name].run
        assert run is not None
        await run.kill()
        self.replicas[name].run = None

    async def stop_all(self) -> dict[str, int]:
        """SIGTERM every running replica; returns their exit codes."""
        codes = {}
        for name, replica in self.replicas.items():
            if replica.run is not None:
                codes[name] = await replica.run.stop(signal.SIGTERM)
                replica.run = None
        return codes

    def output(self) -> str:
        """Everything every replica process printed, run by run (for a failing test)."""
        parts = []
        for name, replica in self.replicas.items():
            for n, run in enumerate(replica.runs, 1):
                parts.append(f"--- replica {name}, run {n} ---\n{run.output}")
        return "\n".join(parts)
