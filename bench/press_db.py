"""Benchmark 7, a press's database work: CPU time and instructions per press, by stage.

``bench.updates`` measures the whole bot, on a host whose speed drifts by up to 1.7x
between runs minutes apart (bench/README, sixth round), so a change worth a few percent
of a press cannot be told from noise there. This bench isolates what a card press asks
of the database layer, with no Telegram and no neighbours on the event loop: the unit of
work the handler opens, the press's joined read, the answer stored. Each stage presses a
fresh workout each time (a user with a profile, a streak and six cards):

- "transaction": session, BEGIN, ``SELECT 1``, COMMIT, close: what every update pays;
- "read": the same with the press's read (``for_press``) instead of ``SELECT 1``;
- "press, advance + record_answer": the read, then the compare-and-set and the answer as
  two statements (every press before the seventh round; SQLite still does this);
- "press, answer": the read, then ``WorkoutRepository.answer`` (one statement on
  PostgreSQL);
- "asyncpg alone" (PostgreSQL): BEGIN, ``SELECT 1``, COMMIT on a bare asyncpg connection,
  the round trips without SQLAlchemy.

Two measures. CPU time (``time.process_time``, the stages interleaved round by round,
median per press) still drifts with the host. ``--instructions`` runs this module again
under valgrind's callgrind at two sizes per stage and reports the difference per press:
the instructions this process executed (PostgreSQL's are its own processes'), the same
within about 1 % from run to run. It needs valgrind and takes a minute or two a stage.

``python -m bench.press_db [--backend postgresql|sqlite] [--presses N] [--rounds R]
[--instructions]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.common import T0, Table, emit, log, print_machine
from bench.fill import admin, drop_pg, dsn, pg_url
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_to_head
from db.models import Profile, Streak, User
from db.repositories.workouts import WorkoutRepository

USERS = 200
PLAN = [
    {"exercise_id": name, "variant_id": None, "dosage": {"reps": 10, "sets": 2}}
    for name in ("cat_cow", "pelvic_tilt", "bridge", "bird_dog", "dead_bug", "child_pose")
]
DAY = date(2026, 3, 2)
PG_DATABASE = "lumbar_bench_press_db"

Sessions = async_sessionmaker[AsyncSession]
Stage = Callable[[Sessions, int], Awaitable[None]]


async def _transaction(sessions: Sessions, workout_id: int) -> None:
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT 1"))


async def _read(sessions: Sessions, workout_id: int) -> None:
    async with sessions() as session, session.begin():
        assert await WorkoutRepository(session).for_press(workout_id) is not None


async def _press_two(sessions: Sessions, workout_id: int) -> None:
    async with sessions() as session, session.begin():
        repo = WorkoutRepository(session)
        row = await repo.for_press(workout_id)
        assert row is not None
        assert await repo.advance(workout_id, 0, 1)
        await repo.record_answer(workout_id, row.workout.user_id, 0, "cat_cow", None, "done", T0)


async def _press(sessions: Sessions, workout_id: int) -> None:
    async with sessions() as session, session.begin():
        repo = WorkoutRepository(session)
        row = await repo.for_press(workout_id)
        assert row is not None
        user_id = row.workout.user_id
        assert await repo.answer(workout_id, user_id, 0, ("cat_cow", None), "done", T0)


class _Bare:
    """One asyncpg connection, opened on first use (its connect is not counted)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None

    async def __call__(self, sessions: Sessions, workout_id: int) -> None:
        if self.conn is None:
            self.conn = await asyncpg.connect(dsn(self.url))
        async with self.conn.transaction():
            await self.conn.fetchval("SELECT 1")


def stages(backend: str, url: str) -> dict[str, Stage]:
    """The stages this backend runs, by the name the table shows."""
    found: dict[str, Stage] = {
        "transaction": _transaction,
        "read": _read,
        "press, advance + record_answer": _press_two,
        "press, answer": _press,
    }
    if backend == "postgresql":
        found["asyncpg alone"] = _Bare(url)
    return found


async def _database(backend: str, folder: Path) -> str:
    """A migrated database with the users, their profiles and streaks."""
    if backend == "postgresql":
        await drop_pg(PG_DATABASE)
        await admin(f'CREATE DATABASE "{PG_DATABASE}"')
        url = pg_url(PG_DATABASE)
    else:
        url = f"sqlite+aiosqlite:///{folder / 'press.sqlite3'}"
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            for n in range(1, USERS + 1):
                session.add(User(id=n, time_zone="Europe/Berlin", created_at=T0, updated_at=T0))
            await session.flush()
            for n in range(1, USERS + 1):
                session.add(_profile(n))
                session.add(Streak(user_id=n, current=3, best=5, last_on=DAY, updated_at=T0))
    finally:
        await engine.dispose()
    return url


def _profile(user_id: int) -> Profile:
    return Profile(
        user_id=user_id,
        red_flag="none",
        red_flag_ids=[],
        contraindication_ids=[],
        pain_now=3,
        pain_duration="weeks",
        experience="some",
        equipment=[],
        phase="gentle",
        completed_at=T0,
    )


async def _workouts(sessions: Sessions, count: int) -> list[int]:
    """Fresh workouts at their first card, one per press (made outside the measurement)."""
    async with sessions() as session, session.begin():
        repo = WorkoutRepository(session)
        return [(await repo.start(1 + n % USERS, "today", DAY, PLAN, T0)).id for n in range(count)]


async def measure(
    backend: str, url: str, names: list[str], presses: int, rounds: int
) -> dict[str, list[float]]:
    """CPU seconds per press for each named stage, one figure per round."""
    engine: AsyncEngine = create_engine(url, one_sqlite_connection=True)
    sessions = create_session_factory(engine)
    chosen = stages(backend, url)
    figures: dict[str, list[float]] = {name: [] for name in names}
    try:
        for stage in chosen.values():  # warm up: statements compiled, connections open
            for workout_id in await _workouts(sessions, 3):
                await stage(sessions, workout_id)
        for turn in range(rounds):
            for name in names if turn % 2 == 0 else names[::-1]:
                ids = await _workouts(sessions, presses)
                gc.collect()
                started = time.process_time()
                for workout_id in ids:
                    await chosen[name](sessions, workout_id)
                figures[name].append((time.process_time() - started) / presses)
    finally:
        bare = chosen.get("asyncpg alone")
        if isinstance(bare, _Bare) and bare.conn is not None:
            await bare.conn.close()
        await engine.dispose()
    return figures


_COLLECTED = re.compile(r"Collected : (\d+)")


def _instructions(backend: str, url: str, name: str, presses: int) -> int:
    """Instructions a process executes to start and run one stage for ``presses`` presses.

    The workouts are made here first, so the count is the stage's and start-up's only.
    """
    ids = asyncio.run(_fresh(url, presses))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.press_db",
        "--backend",
        backend,
        "--child",
        name,
        "--url",
        url,
        "--ids",
        ",".join(map(str, ids)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError("callgrind printed no instruction count")
    return int(found.group(1))


def instructions_per_press(backend: str, url: str, names: list[str]) -> dict[str, float]:
    """Per stage: (instructions at 250 presses - at 50) / 200, so start-up cancels out."""
    found: dict[str, float] = {}
    for name in names:
        small, large = (_instructions(backend, url, name, n) for n in (50, 250))
        found[name] = (large - small) / 200
        log(f"  {name}: {found[name] / 1e6:.2f} M instructions a press")
    return found


def _table(backend: str, cpu: dict[str, list[float]], instr: dict[str, float]) -> Table:
    rows = []
    floor = statistics.median(cpu["transaction"])
    for name, values in cpu.items():
        median = statistics.median(values)
        row: list[Any] = [
            name,
            f"{median * 1000:.3f} ms",
            f"{min(values) * 1000:.3f}-{max(values) * 1000:.3f} ms",
            f"{(median - floor) * 1000:+.3f} ms" if name != "transaction" else "",
        ]
        if instr:
            extra = instr[name] - instr["transaction"]
            row += [
                f"{instr[name] / 1e6:.2f} M",
                f"{extra / 1e6:+.2f} M" if name != "transaction" else "",
            ]
        rows.append(row)
    header = ["stage", "CPU per press (median)", "range over rounds", "beyond the transaction"]
    if instr:
        header += ["instructions per press", "beyond the transaction"]
    return Table(f"A press's database work, {backend}", header, rows)


async def _fresh(url: str, count: int) -> list[int]:
    engine = create_engine(url, one_sqlite_connection=True)
    try:
        return await _workouts(create_session_factory(engine), count)
    finally:
        await engine.dispose()


async def _child(backend: str, url: str, name: str, ids: list[int]) -> None:
    """One stage over the given workouts, for callgrind to count."""
    engine = create_engine(url, one_sqlite_connection=True)
    sessions = create_session_factory(engine)
    stage = stages(backend, url)[name]
    try:
        for workout_id in ids:
            await stage(sessions, workout_id)
    finally:
        if isinstance(stage, _Bare) and stage.conn is not None:
            await stage.conn.close()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--instructions", action="store_true", help="also count (valgrind)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ids = [int(n) for n in args.ids.split(",")]
        asyncio.run(_child(args.backend, args.url, args.child, ids))
        return
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind")
    print_machine()
    with tempfile.TemporaryDirectory() as folder:
        url = asyncio.run(_database(args.backend, Path(folder)))
        names = list(stages(args.backend, url))
        log(f"{args.backend}: {args.rounds} rounds of {args.presses} presses a stage")
        cpu = asyncio.run(measure(args.backend, url, names, args.presses, args.rounds))
        instr: dict[str, float] = {}
        if args.instructions:
            log("counting instructions under callgrind")
            instr = instructions_per_press(args.backend, url, names)
        if args.backend == "postgresql":
            asyncio.run(drop_pg(PG_DATABASE))
    emit(
        [_table(args.backend, cpu, instr)],
        f"press_db-{args.backend}",
        {"cpu_s": cpu, "instructions": instr},
    )


if __name__ == "__main__":
    main()
