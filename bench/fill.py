"""Fill benchmark databases fast (set-based SQL, no ORM) and cache them under bench/.data/.

SQLite is filled with recursive CTEs inside one transaction; PostgreSQL with
``INSERT ... SELECT FROM generate_series`` (foreign-key triggers off while filling,
sequences moved past the inserted ids, then ANALYZE as autovacuum would). The schema
always comes from the project's own migrations, so the bot finds its database at head.

A filled database is cached under a name that includes the fill version and the
Alembic head; a run works on a copy (SQLite: a file copy; PostgreSQL: CREATE DATABASE
... TEMPLATE), so reruns start from the same state.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench.common import DATA, PG_ADMIN_URL, T0, log
from db.migrate import upgrade_to_head

FILL_VERSION = 1
USER_BASE = 10_000_000
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Moscow",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "UTC",
)
PHASES = ("gentle", "building", "strengthening")
# Exercise ids of a typical five-card "building" session (the history's plan and answers).
HISTORY_EXERCISES = ("forward_bend", "bird_dog", "prone_leg_lift", "superman", "glute_bridge")


@dataclass(frozen=True)
class FillSpec:
    """What a benchmark database holds; every user finished triage (has a profile)."""

    name: str
    users: int
    workouts_per_user: int = 0  # finished /today sessions in the past, one every other day
    cards_per_workout: int = 5  # answers (exercise_result rows) per past session
    reminder_every: int = 0  # every n-th user has reminders: 2 nudge rows spread over 24 h
    due_now: bool = False  # one nudge per user, all due within the minute before T0
    both_kinds: bool = False  # with due_now: stretch and water both due (same chat twice)
    # Every user answered the baseline check-in yesterday: a returning user, whose feeling
    # answer asks nothing more (the baseline is asked once per safety check, after the
    # first session; a crowd of first sessions would ask it on every one).
    baseline_done: bool = False

    @property
    def key(self) -> str:
        """Cache name: changes with the spec, the fill code and the schema."""
        return (
            f"{self.name}_u{self.users}_w{self.workouts_per_user}_c{self.cards_per_workout}"
            f"_r{self.reminder_every}_d{int(self.due_now)}{'b' if self.both_kinds else ''}"
            f"{'_k' if self.baseline_done else ''}"
            f"_v{FILL_VERSION}_{alembic_head()}"
        ).lower()

    @property
    def results(self) -> int:
        """How many exercise_result rows the fill makes."""
        return self.users * self.workouts_per_user * self.cards_per_workout


def alembic_head() -> str:
    """The newest migration revision (part of every cache name)."""
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return (head or "none")[:12]


def user_id(index: int) -> int:
    """The Telegram id of the index-th filled user (0-based)."""
    return USER_BASE + index


def history_plan() -> str:
    """A real plan (the coach's) cut to the history's five cards, as stored JSON."""
    from bot.coach.plan import build_today
    from bot.coach.triage import Experience, PainDuration, Phase, TriageAnswers, allowed_exercises
    from content.loader import load_library
    from content.schema import Equipment

    library = load_library()
    answers = TriageAnswers(
        red_flags=frozenset(),
        contraindications=frozenset(),
        pain_now=2,
        pain_duration=PainDuration.WEEKS,
        experience=Experience.SOME,
        equipment=frozenset({Equipment.MAT}),
        cleared=frozenset(),
    )
    allowed = allowed_exercises(answers, Phase.BUILDING, library.exercises)
    plan = build_today(allowed, day=T0.date(), levels={}, resting=frozenset(), phase=Phase.BUILDING)
    cards = [card.to_json() for card in plan.cards]
    by_id = {card["exercise_id"]: card for card in cards}
    chosen = [by_id.get(eid, {**cards[0], "exercise_id": eid}) for eid in HISTORY_EXERCISES]
    return json.dumps(chosen[:5])


def _case(expr: str, values: tuple[str, ...]) -> str:
    arms = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
    return f"CASE ({expr}) % {len(values)} {arms} END"


Steps = list[tuple[str, str]]


# --- the steps, shared by both backends -----------------------------------------------------
@dataclass(frozen=True)
class _Dialect:
    """What SQLite and PostgreSQL spell differently; the fill's steps are otherwise one SQL."""

    name: str  # as the progress log names the backend
    user: str  # the user table ("user" is reserved on PostgreSQL)
    true: str
    wake: str  # wake_start and wake_end, 08:00 and 21:00, as stored
    bigint: str  # the cast that keeps id products from overflowing
    ts: Callable[[str], str]  # T0 plus an expression of seconds, as stored
    series: Callable[[int], tuple[str, str]]  # (prefix, FROM source) of rows i = 0 .. n - 1
    history: Callable[[FillSpec, str], Steps]  # workout and exercise_result from a plan


def _user_steps(spec: FillSpec, sql: _Dialect) -> Steps:
    """Users with profiles, reminder settings and queued nudges."""
    created = sql.ts("-86400 * 30")
    prefix, source = sql.series(spec.users)
    steps: Steps = [
        (
            "user",
            f"{prefix}INSERT INTO {sql.user} (id, language, time_zone, created_at, updated_at,"
            f" consent_at) SELECT {USER_BASE} + i, 'en', {_case('i', ZONES)}, {created},"
            f" {created}, {created} FROM {source}",
        ),
        (
            "profile",
            "INSERT INTO profile (user_id, red_flag, red_flag_ids, contraindication_ids,"
            " pain_now, pain_duration, experience, equipment, phase, completed_at)"
            f" SELECT id, 'none', '[]', '[]', 2, 'weeks', 'some', '[\"mat\"]',"
            f" {_case('id', PHASES)}, created_at FROM {sql.user}",
        ),
    ]
    if spec.baseline_done:
        steps.append(
            (
                "checkin",
                "INSERT INTO checkin (user_id, kind, local_on, started_at, completed_at, skipped,"
                " pain, function, activities, phase)"
                f" SELECT id, 'baseline', '{(T0 - timedelta(days=1)).date().isoformat()}',"
                f" {sql.ts('-86400')}, {sql.ts('-86400 + 120')}, NOT {sql.true}, 2, 3, '{{}}',"
                f" 'building' FROM {sql.user}",
            )
        )
    if spec.reminder_every or spec.due_now:
        every = 1 if spec.due_now else spec.reminder_every
        on = sql.true
        steps.append(
            (
                "nudge_settings",
                "INSERT INTO nudge_settings (user_id, enabled, stretch_enabled, stretch_times,"
                " stretch_days, water_enabled, water_interval_minutes, wake_start, wake_end,"
                f' updated_at) SELECT id, {on}, {on}, \'["11:00", "15:30"]\', 31, {on}, 120,'
                f" {sql.wake}, created_at FROM {sql.user}"
                f" WHERE (id - {USER_BASE}) % {every} = 0",
            )
        )
    if spec.due_now:
        kinds = ["'stretch'", "'water'"] if spec.both_kinds else [_case("id", ("stretch", "water"))]
        for kind in kinds:
            steps.append(
                (
                    f"nudge {kind}",
                    f"INSERT INTO nudge (user_id, kind, due_at, attempts) SELECT id, {kind},"
                    f" {sql.ts('-1 - (id % 60)')}, 0 FROM {sql.user} ORDER BY id",
                )
            )
    elif spec.reminder_every:
        for kind, mult, shift in (("stretch", 7919, 0), ("water", 104729, 43200)):
            due = sql.ts(f"((user_id * {mult}{sql.bigint}) + {shift}) % 86400")
            steps.append(
                (
                    f"nudge {kind}",
                    f"INSERT INTO nudge (user_id, kind, due_at, attempts) SELECT user_id,"
                    f" '{kind}', {due}, 0 FROM nudge_settings ORDER BY user_id",
                )
            )
    return steps


def _streak_steps(spec: FillSpec, sql: _Dialect) -> Steps:
    """Streaks and exercise levels that follow from the workouts just inserted."""
    return [
        (
            "streak_day",
            "INSERT INTO streak_day (user_id, day_on, sessions)"
            " SELECT user_id, local_on, 1 FROM workout ORDER BY id",
        ),
        (
            "streak",
            "INSERT INTO streak (user_id, current, best, last_on, updated_at)"
            f" SELECT user_id, 1, {spec.workouts_per_user}, max(local_on), max(finished_at)"
            " FROM workout GROUP BY user_id",
        ),
        (
            "exercise_progress",
            "INSERT INTO exercise_progress (user_id, exercise_id, level, updated_at)"
            f" SELECT id, 'bird_dog', 1, created_at FROM {sql.user} UNION ALL"
            f" SELECT id, 'glute_bridge', 0, created_at FROM {sql.user}",
        ),
    ]


def _steps(spec: FillSpec, sql: _Dialect) -> Steps:
    """Every step of the fill, in order, as (label, SQL)."""
    steps = _user_steps(spec, sql)
    if spec.workouts_per_user:
        plan = history_plan().replace("'", "''")
        steps += sql.history(spec, plan) + _streak_steps(spec, sql)
    return steps


# --- SQLite ---------------------------------------------------------------------------------
def _sqlite_ts(seconds_expr: str) -> str:
    """A UTCDateTime literal as SQLAlchemy stores it on SQLite, T0 + seconds."""
    base = T0.strftime("%Y-%m-%d %H:%M:%S")
    return f"(strftime('%Y-%m-%d %H:%M:%S', '{base}', ({seconds_expr}) || ' seconds') || '.000000')"


def _seq(name: str, count: int) -> str:
    return (
        f"WITH RECURSIVE {name}(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM {name} "
        f"WHERE i + 1 < {count})"
    )


def _sqlite_history(spec: FillSpec, plan: str) -> Steps:
    n, w_per, cards = spec.users, spec.workouts_per_user, spec.cards_per_workout
    t0_day = T0.date().isoformat()
    day = f"date('{t0_day}', '-' || (1 + 2 * (i % {w_per}) + (i / {w_per}) % 3) || ' days')"
    started = f"(({day}) || ' 08:00:00.000000')"
    finished = f"(({day}) || ' 08:12:00.000000')"
    return [
        (
            "workout",
            f"{_seq('s', n * w_per)} INSERT INTO workout (id, user_id, kind, local_on,"
            " started_at, finished_at, ended_early, plan, position, hurts, feeling)"
            f" SELECT i + 1, {USER_BASE} + i / {w_per}, 'today', {day}, {started},"
            f" {finished}, 0, '{plan}', {cards}, 0,"
            " CASE i % 4 WHEN 0 THEN NULL WHEN 3 THEN 'same' ELSE 'better' END FROM s",
        ),
        (
            "exercise_result",
            f"{_seq('s', n * w_per * cards)} INSERT INTO exercise_result (id, workout_id,"
            " user_id, position, exercise_id, outcome, answered_at)"
            f" SELECT i + 1, i / {cards} + 1, {USER_BASE} + i / {cards * w_per}, i % {cards},"
            f" {_case(f'i % {cards}', HISTORY_EXERCISES)},"
            " CASE WHEN i % 17 = 0 THEN 'skipped' ELSE 'done' END,"
            f" (date('{t0_day}', '-' || (1 + 2 * ((i / {cards}) % {w_per})"
            f" + (i / {cards * w_per}) % 3) || ' days') || ' 08:0' || (i % {cards})"
            " || ':00.000000') FROM s",
        ),
    ]


SQLITE = _Dialect(
    name="sqlite",
    user="user",
    true="1",
    wake="'08:00:00.000000', '21:00:00.000000'",
    bigint="",
    ts=_sqlite_ts,
    series=lambda n: (f"{_seq('s', n)} ", "s"),
    history=_sqlite_history,
)


def _fill_sqlite_tables(conn: sqlite3.Connection, spec: FillSpec) -> None:
    for label, sql in _steps(spec, SQLITE):
        started_at = time.perf_counter()
        conn.execute(sql)
        log(f"  sqlite {label}: {time.perf_counter() - started_at:.1f} s")


def fill_sqlite(path: Path, spec: FillSpec) -> None:
    """Make a migrated SQLite file at ``path`` holding ``spec``."""
    path.unlink(missing_ok=True)
    asyncio.run(upgrade_to_head(f"sqlite+aiosqlite:///{path}"))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("BEGIN")
        _fill_sqlite_tables(conn, spec)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


# --- PostgreSQL -----------------------------------------------------------------------------
def dsn(url: str) -> str:
    """A libpq-style DSN for asyncpg from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the benchmark server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_ts(seconds_expr: str) -> str:
    return f"(TIMESTAMPTZ '{T0.isoformat()}' + ({seconds_expr}) * INTERVAL '1 second')"


def _pg_history(spec: FillSpec, plan: str) -> Steps:
    n, w_per, cards = spec.users, spec.workouts_per_user, spec.cards_per_workout
    t0_day = f"DATE '{T0.date().isoformat()}'"
    day = f"({t0_day} - (1 + 2 * (i % {w_per}) + (i / {w_per}) % 3)::int)"
    return [
        (
            "workout",
            "INSERT INTO workout (id, user_id, kind, local_on, started_at, finished_at,"
            " ended_early, plan, position, hurts, feeling)"
            f" SELECT i + 1, {USER_BASE} + i / {w_per}, 'today', {day},"
            f" ({day} + TIME '08:00') AT TIME ZONE 'UTC',"
            f" ({day} + TIME '08:12') AT TIME ZONE 'UTC',"
            f" false, '{plan}'::json, {cards}, 0,"
            " CASE i % 4 WHEN 0 THEN NULL WHEN 3 THEN 'same' ELSE 'better' END"
            f" FROM generate_series(0::bigint, {n * w_per - 1}) AS i",
        ),
        (
            "exercise_result",
            "INSERT INTO exercise_result (id, workout_id, user_id, position, exercise_id,"
            " outcome, answered_at)"
            f" SELECT i + 1, i / {cards} + 1, {USER_BASE} + i / {cards * w_per},"
            f" i % {cards}, {_case(f'i % {cards}', HISTORY_EXERCISES)},"
            " CASE WHEN i % 17 = 0 THEN 'skipped' ELSE 'done' END,"
            f" (({t0_day} - (1 + 2 * ((i / {cards}) % {w_per})"
            f" + (i / {cards * w_per}) % 3)::int)"
            f" + TIME '08:00') AT TIME ZONE 'UTC' + (i % {cards}) * INTERVAL '1 minute'"
            f" FROM generate_series(0::bigint, {n * w_per * cards - 1}) AS i",
        ),
    ]


POSTGRESQL = _Dialect(
    name="postgresql",
    user='"user"',
    true="true",
    wake="TIME '08:00', TIME '21:00'",
    bigint="::bigint",
    ts=_pg_ts,
    series=lambda n: ("", f"generate_series(0, {n - 1}) AS i"),
    history=_pg_history,
)


def _pg_steps(spec: FillSpec) -> Steps:
    return _steps(spec, POSTGRESQL)


async def _fill_pg(url: str, spec: FillSpec) -> None:
    await upgrade_to_head(url)
    conn = await asyncpg.connect(dsn(url))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # no FK triggers
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            await conn.execute("SET LOCAL work_mem = '64MB'")
            for label, sql in _pg_steps(spec):
                started_at = time.perf_counter()
                await conn.execute(sql)
                log(f"  postgresql {label}: {time.perf_counter() - started_at:.1f} s")
            for table in ("workout", "exercise_result", "nudge", "water_log"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        started_at = time.perf_counter()
        await conn.execute("ANALYZE")
        log(f"  postgresql analyze: {time.perf_counter() - started_at:.1f} s")
    finally:
        await conn.close()


async def admin(*statements: str) -> None:
    """Run statements on the server's admin database, outside a transaction."""
    conn = await asyncpg.connect(dsn(PG_ADMIN_URL))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def pg_comment(database: str) -> str | None:
    """The database's comment (a finished fill writes "filled" there), or None if absent."""
    conn = await asyncpg.connect(dsn(PG_ADMIN_URL))
    try:
        row = await conn.fetchrow(
            "SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database"
            " WHERE datname = $1",
            database,
        )
    finally:
        await conn.close()
    if row is None:
        return None
    return str(row["note"] or "")


async def drop_pg(database: str) -> None:
    """Drop a benchmark database, even with connections left open."""
    await admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# --- cache and working copies ---------------------------------------------------------------
def cached_sqlite(spec: FillSpec) -> Path:
    """The pristine filled SQLite file for ``spec``, filling it on first use."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{spec.key}.sqlite3"
    if path.exists():
        return path
    log(f"filling SQLite {path.name} ({spec.users:,} users, {spec.results:,} results)")
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    fill_sqlite(partial, spec)
    partial.replace(path)
    log(f"filled SQLite in {time.perf_counter() - started:.1f} s")
    return path


async def cached_pg(spec: FillSpec) -> str:
    """The name of the pristine filled PostgreSQL database for ``spec``."""
    name = f"lumbar_bench_{spec.key}"[:63]
    if await pg_comment(name) == "filled":
        return name
    await drop_pg(name)
    await admin(f'CREATE DATABASE "{name}"')
    log(f"filling PostgreSQL {name} ({spec.users:,} users, {spec.results:,} results)")
    started = time.perf_counter()
    await _fill_pg(pg_url(name), spec)
    await admin(f"COMMENT ON DATABASE \"{name}\" IS 'filled'")
    log(f"filled PostgreSQL in {time.perf_counter() - started:.1f} s")
    return name


@dataclass
class WorkingCopy:
    """A database a run may change, copied from the cache; ``drop()`` removes it."""

    backend: str
    url: str
    fill_seconds: float
    copy_seconds: float
    _path: Path | None = None
    _database: str | None = None

    async def drop(self) -> None:
        """Remove the copy (the cached fill stays)."""
        if self._path is not None:
            for suffix in ("", "-wal", "-shm"):
                await asyncio.to_thread(Path(str(self._path) + suffix).unlink, missing_ok=True)
        if self._database is not None:
            await drop_pg(self._database)


async def working_copy(spec: FillSpec, backend: str, tag: str) -> WorkingCopy:
    """A fresh copy of the filled database for one run."""
    started = time.perf_counter()
    if backend == "sqlite":
        source = await asyncio.to_thread(cached_sqlite, spec)
        filled = time.perf_counter() - started
        target = DATA / f"run-{tag}.sqlite3"
        for suffix in ("-wal", "-shm"):
            await asyncio.to_thread(Path(str(target) + suffix).unlink, missing_ok=True)
        started = time.perf_counter()
        await asyncio.to_thread(shutil.copyfile, source, target)
        return WorkingCopy(
            backend,
            f"sqlite+aiosqlite:///{target}",
            filled,
            time.perf_counter() - started,
            _path=target,
        )
    source_db = await cached_pg(spec)
    filled = time.perf_counter() - started
    target_db = f"lumbar_bench_run_{tag}"[:63]
    await drop_pg(target_db)
    started = time.perf_counter()
    await admin(f'CREATE DATABASE "{target_db}" TEMPLATE "{source_db}"')
    return WorkingCopy(
        backend, pg_url(target_db), filled, time.perf_counter() - started, _database=target_db
    )
