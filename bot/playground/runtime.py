"""One process, one loop: the emulator, the real bot pointed at it, and the shared clock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from bot.app import build_application, running
from bot.config import Settings
from bot.emulator import BotApiServer, FakeUser
from bot.emulator.snapshot import dump_world, load_world
from bot.playground.clock import PlaygroundClock, next_local, parse_hhmm
from bot.playground.moves import MoveReport, kind_name
from bot.scheduler import DISPATCHER_JOB, NudgeDecision, NudgeDispatcher
from bot.services import LumbarApp, Services
from db.repositories.nudges import NudgeRepository
from db.repositories.users import UserRepository

log = logging.getLogger(__name__)

TOKEN = "123456:PLAYGROUND-token-not-secret-000"  # noqa: S105 - fake, only the local emulator
FIRST_USER_ID = 1001
# What Telegram sends as a user's language_code: an IETF tag such as "de" or "de-AT".
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")
DEFAULT_USER = "Ann"
STATE_FILE = "playground.json"
FILES_DIR = "files"
AUTOSAVE_SECONDS = 5.0
POLL_TIMEOUT = 20.0
DB_FILE = "lumbar.sqlite3"
MAX_DISPATCH_ROUNDS = 50
# One move of the clock visits each moment a nudge falls due; a week holds a few dozen.
MAX_MOVE = timedelta(days=7)
MAX_STEPS = 2000


class PlaygroundServer(BotApiServer):
    """The emulator on the playground clock: its own clock control moves the shared clock."""

    def __init__(self, clock: PlaygroundClock, host: str = "127.0.0.1") -> None:
        super().__init__(
            token=TOKEN,
            host=host,
            port=0,
            clock=clock.timestamp,
            bot_username="lumbar_playground_bot",
        )
        self.playground_clock = clock

    def advance_clock(self, seconds: float) -> None:
        """Move the one clock, so the bot and the emulator never disagree about the time."""
        self.playground_clock.advance(seconds)
        self.touch()


@dataclass(frozen=True)
class ClockView:
    """What the page shows about time: UTC now, the user's zone and local now."""

    utc: datetime
    zone: str | None
    local: datetime | None
    upcoming: tuple[tuple[str, datetime], ...] = ()
    moved: MoveReport = field(default_factory=MoveReport)

    def to_json(self) -> dict[str, object]:
        """The JSON the page reads; ``summary`` is the status line after a move."""
        return {
            "utc": self.utc.isoformat(),
            "timestamp": self.utc.timestamp(),
            "zone": self.zone,
            "local": self.local.isoformat() if self.local else None,
            "upcoming": [
                {"kind": kind, "label": kind_name(kind), "due_at": due.isoformat()}
                for kind, due in self.upcoming
            ],
            "nudges_sent": self.moved.sent_count,
            "nudges": self.moved.to_json(),
            "summary": self.moved.summary(),
        }


class Playground:
    """The emulator plus the real bot on an embedded SQLite database in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        cache_dir: Path | None = None,
        clock: PlaygroundClock | None = None,
        nudge_interval_seconds: float = 5.0,
        host: str = "127.0.0.1",
        persist: bool = True,
    ) -> None:
        self.data_dir = data_dir
        self.persist = persist
        self.cache_dir = cache_dir or data_dir / "cache"
        self.clock = clock or PlaygroundClock()
        self.server = PlaygroundServer(self.clock, host)
        self.nudge_interval_seconds = nudge_interval_seconds
        self._app: LumbarApp | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._saved_version = -1
        self._autosaver: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        """The embedded database the bot uses."""
        return f"sqlite+aiosqlite:///{self.data_dir / DB_FILE}"

    @property
    def app(self) -> LumbarApp:
        """The running bot."""
        if self._app is None:
            raise RuntimeError("the playground is not started")
        return self._app

    @property
    def services(self) -> Services:
        """The bot's services (built by its post_init)."""
        return self.app.bot_data.services

    def settings(self) -> Settings:
        """Production settings, aimed at the emulator like `TELEGRAM_BASE_URL` would aim them."""
        return Settings(
            _env_file=None,
            telegram_bot_token=SecretStr(TOKEN),
            database_url=self.database_url,
            telegram_base_url=self.server.base_url,
            telegram_base_file_url=self.server.base_file_url,
            cache_dir=self.cache_dir,
            nudge_interval_seconds=self.nudge_interval_seconds,
        )

    async def start(self) -> None:
        """Start the emulator, then the bot with the same lifecycle as `run_polling`."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self.server.start()
        self._restore()
        app = build_application(self.settings(), clock=self.clock.now)
        stack = contextlib.AsyncExitStack()
        try:
            await stack.enter_async_context(running(app, poll_timeout=POLL_TIMEOUT))
        except BaseException:
            await self.server.stop()
            raise
        self._app, self._stack = app, stack
        if self.persist:
            self._autosaver = asyncio.create_task(self._autosave(), name="playground-autosave")

    async def stop(self) -> None:
        """Stop the bot (polling, jobs, database), save, then stop the emulator."""
        app, self._app = self._app, None
        stack, self._stack = self._stack, None
        if self._autosaver is not None:
            self._autosaver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosaver
            self._autosaver = None
        try:
            if stack is not None:
                await stack.aclose()
        finally:
            try:
                if app is not None:
                    self.save()
            finally:
                await self.server.stop()

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

    # --- users and what survives a restart ---------------------------------------------
    def _state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    def _restore(self) -> None:
        """Bring back the chats, files and simulated time of an earlier run in this folder."""
        path = self._state_path()
        if self.persist and path.exists():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                load_world(self.server, saved["world"], self._read_blob)
                self.clock.offset = max(self.clock.offset, float(saved["clock_offset"]))
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("starting with empty chats: %s unreadable (%s)", STATE_FILE, error)
        if not self.server.users:
            self.add_user(DEFAULT_USER)
        self._saved_version = self.server.version

    def _read_blob(self, digest: str) -> bytes:
        return (self.data_dir / FILES_DIR / digest).read_bytes()

    def save(self) -> None:
        """Write chats, files and the clock offset to the data folder (files once each)."""
        if not self.persist:
            return
        world, blobs = dump_world(self.server)
        folder = self.data_dir / FILES_DIR
        folder.mkdir(exist_ok=True)
        for digest, data in blobs.items():
            target = folder / digest
            if not target.exists():
                target.write_bytes(data)
        state = {"version": 1, "clock_offset": self.clock.offset, "world": world}
        temporary = self._state_path().with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(self._state_path())
        self._saved_version = self.server.version

    async def _autosave(self) -> None:
        """Save a few seconds after changes, so a killed process loses little."""
        while True:
            await asyncio.sleep(AUTOSAVE_SECONDS)
            if self.server.version != self._saved_version:
                try:
                    self.save()
                except OSError as error:
                    log.warning("could not save the playground: %s", error)

    def add_user(self, name: str, language_code: str | None = "en") -> FakeUser:
        """Add a simulated user with the next free id and their Telegram app's language.

        The language (``de``, ``de-AT``, ``fr``; empty: none) rides on every update of
        theirs as ``from.language_code``, as Telegram sends it.
        """
        clean = " ".join(name.split())[:64]
        if not clean:
            raise ValueError("a user needs a name")
        code = (language_code or "").strip() or None
        if code is not None and not LANGUAGE_CODE.fullmatch(code):
            raise ValueError("a language code looks like en, de or de-AT")
        user_id = max(self.server.users, default=FIRST_USER_ID - 1) + 1
        return self.server.user(user_id, first_name=clean, language_code=code)

    def languages(self) -> list[dict[str, str]]:
        """The bot's catalog languages, each with its name written in itself."""
        return [
            {"code": code, "name": library.text("language_name")}
            for code, library in self.services.libraries.items()
        ]

    # --- time ---------------------------------------------------------------------------
    async def user_zone(self, user_id: int) -> str | None:
        """The user's IANA zone as the bot stored it, None before they ever wrote."""
        async with self.services.sessions() as session:
            user = await UserRepository(session).get(user_id)
            return user.time_zone if user is not None else None

    async def upcoming_nudges(self, user_id: int) -> tuple[tuple[str, datetime], ...]:
        """The user's scheduled nudges (kind, due instant), soonest first."""
        async with self.services.sessions() as session:
            rows = await NudgeRepository(session).for_user(user_id)
        due = [(row.kind, row.due_at) for row in rows if row.due_at is not None]
        return tuple(sorted(due, key=lambda item: item[1]))

    async def clock_view(self, user_id: int | None, moved: MoveReport | None = None) -> ClockView:
        """The simulated time, in UTC and in the user's own zone, and what is due next."""
        now = self.clock.now()
        moved = moved or MoveReport()
        if user_id is None:
            return ClockView(now, None, None, moved=moved)
        zone_name = await self.user_zone(user_id)
        local = now.astimezone(_zone(zone_name)) if zone_name else None
        return ClockView(now, zone_name, local, await self.upcoming_nudges(user_id), moved)

    async def advance(self, seconds: float, user_id: int | None = None) -> ClockView:
        """Move the clock forward through every nudge due on the way, each at its own time.

        The report counts the user's nudges only (everyone's without a user).
        """
        if seconds < 0:
            raise ValueError("the playground clock only moves forward")
        if seconds > MAX_MOVE.total_seconds():
            raise ValueError(f"the clock moves at most {MAX_MOVE.days} days at a time")
        decisions = await self.step_to(self.clock.now() + timedelta(seconds=seconds))
        return await self.clock_view(user_id, MoveReport.of(decisions, user_id))

    async def jump_to_local(self, user_id: int, hhmm: str) -> ClockView:
        """Move to the next moment the user's own clock shows HH:MM, then deliver nudges."""
        at = parse_hhmm(hhmm)
        zone_name = await self.user_zone(user_id) or "UTC"
        target = next_local(self.clock.now(), at, _zone(zone_name))
        return await self.advance(max(0.0, (target - self.clock.now()).total_seconds()), user_id)

    async def jump_to_next_nudge(self, user_id: int) -> ClockView:
        """Move to the user's next scheduled nudge (if any), then deliver it."""
        upcoming = await self.upcoming_nudges(user_id)
        seconds = 0.0
        if upcoming:
            seconds = max(0.0, (upcoming[0][1] - self.clock.now()).total_seconds())
        return await self.advance(seconds, user_id)

    async def step_to(self, target: datetime) -> list[NudgeDecision]:
        """Move to `target`, stopping at each moment a nudge falls due to run the dispatcher.

        This is what the repeating dispatcher does while real time passes: every nudge
        goes out at its own time, in order, and one already more than the grace window
        (``STALE_GRACE``) late when the move begins is skipped, as in production. A nudge
        put off for a moment (two due together in one chat) is still delivered within
        the move. The bot's own dispatcher job waits meanwhile.
        """
        decisions: list[NudgeDecision] = []
        async with self._dispatch_turn():
            idle = 0
            for _ in range(MAX_STEPS):
                async with self.services.sessions() as session:
                    moment = await NudgeRepository(session).next_claimable_at(target)
                if moment is None or idle > 2:
                    break
                self.clock.advance_to(moment)
                claimed, done = await self.dispatch()
                decisions += done
                idle = 0 if claimed else idle + 1
                # Put off by a moment (SAME_CHAT_GAP): it still belongs to this move.
                put_off = [d.next_at for d in done if d.action == "defer" and d.next_at]
                target = max([target, *put_off])
            else:
                log.warning("clock move stopped stepping after %d nudge times", MAX_STEPS)
            self.clock.advance_to(target)
        self.server.touch()
        return decisions

    def _dispatch_turn(self) -> asyncio.Lock:
        """The bot's dispatcher job's lock: its runs skip while the playground steps."""
        queue = self.app.job_queue
        for job in queue.get_jobs_by_name(DISPATCHER_JOB) if queue else ():
            if isinstance(job.data, NudgeDispatcher):
                return job.data.ticking
        return asyncio.Lock()

    async def dispatch(self) -> tuple[int, list[NudgeDecision]]:
        """Run the production dispatcher until it claims less than a full batch.

        Returns how many nudges it claimed and what became of each.
        """
        services = self.services
        dispatcher = NudgeDispatcher(
            services, self.app.bot, batch_size=services.settings.nudge_batch_size
        )
        claimed = 0
        decisions: list[NudgeDecision] = []
        for _ in range(MAX_DISPATCH_ROUNDS):
            report = await dispatcher.run_once()
            claimed += report.claimed
            decisions += report.decisions
            if report.claimed < dispatcher.batch_size:
                break
        return claimed, decisions


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
