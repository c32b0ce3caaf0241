"""Shared bits of the benchmarks: paths, the fake token, clocks, statistics, databases."""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / ".data"
ARTIFACTS = REPO / "test-artifacts" / "bench"
TOKEN = "123456789:AAE-lumbar-bench-token_0123456789abcdef"  # fake, only the local emulator
# A Monday morning; Europe/Berlin users are at 10:00 local, awake and before their 11:00 stretch.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class TickingClock:
    """Simulated UTC time that ticks in real time from ``start`` and can jump forward."""

    def __init__(self, start: datetime = T0) -> None:
        self._origin = time.monotonic()
        self._start = start

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, seconds: float) -> None:
        """Jump forward (an hour of nudges in an instant)."""
        self._start += timedelta(seconds=seconds)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table."""
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


@dataclass
class Table:
    """A small text table printed as Markdown, so figures paste into the README."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]

    def render(self) -> str:
        """Markdown with a bold title line."""
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.header) + " |"]
        lines.append("|" + "|".join(" --- " for _ in self.header) + "|")
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in self.rows]
        return "\n".join(lines)


def emit(tables: Iterable[Table], name: str, extra: dict[str, Any] | None = None) -> None:
    """Print the tables and keep them (with raw figures) under test-artifacts/bench/.

    ``BENCH_TAG=x`` in the environment names the copies ``<name>-x`` (e.g. for a run with
    patches), so they do not replace the plain run's.
    """
    if os.environ.get("BENCH_TAG"):
        name = f"{name}-{os.environ['BENCH_TAG']}"
    rendered = [table.render() for table in tables]
    text = "\n\n".join(rendered)
    print("\n" + text + "\n", flush=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.md").write_text(text + "\n")
    record = {"when": datetime.now(UTC).isoformat(), "machine": machine(), **(extra or {})}
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


def _first_line(path: str, key: str) -> str:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def postgres_version() -> str:
    """The server's version string, or why it is unknown."""
    try:
        out = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "test",
                "-tAc",
                "SHOW server_version",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "not reachable"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import sqlalchemy
    import telegram

    mem_kb = _first_line("/proc/meminfo", "MemTotal").split()[0]
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": _first_line("/proc/cpuinfo", "model name"),
        "ram": f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "python-telegram-bot": telegram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


def print_machine() -> None:
    """Print the machine description first, as every benchmark does."""
    info = machine()
    print("machine: " + "; ".join(f"{key} {value}" for key, value in info.items()), flush=True)


def proc_status(pid: int | None = None) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process in KiB, from /proc."""
    path = f"/proc/{pid or 'self'}/status"
    found: dict[str, int] = {}
    try:
        with open(path) as handle:
            for line in handle:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(line.split()[1])
    except OSError:
        pass
    return found


def proc_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def settle_collector() -> None:
    """Collect, then freeze what the benchmark's process holds, before a measured stretch.

    The emulator shares its process with the simulated users and the samples. Its full
    collections there grew to 80-120 ms, and a call that arrived meanwhile was stamped when
    the collection ended: a press p99 of 64-73 ms at 100 a second was this process's pause,
    not the bot's (9-10 ms in the runs without one). Frozen, the heap built so far is no
    longer walked by each collection during the stretch.
    """
    gc.collect()
    gc.freeze()


def log(message: str) -> None:
    """Progress on stderr, so stdout keeps only figures."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU seconds used so far by each running PostgreSQL server process, by pid.

    Per process, so ``postgres_cpu_since`` can leave out one that ended in between: a
    plain sum went down (a negative share) whenever a backend closed.
    """
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        if name.startswith("postgres"):
            used[int(entry.name)] = proc_cpu_seconds(int(entry.name))
    return used


def postgres_cpu_since(before: dict[int, float]) -> float:
    """CPU seconds PostgreSQL used since ``before``, by the processes running now.

    A process that ended in between is left out (its last share is lost, a little low);
    one that began in between counts from zero.
    """
    now = postgres_cpu_seconds()
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in now.items())
