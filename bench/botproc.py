"""The bot under test, alone in its own process, driven by JSON lines on stdin.

``python -m bench.botproc '<config json>'`` builds the real application
(``bot.app.build_application``, or a bare python-telegram-bot bot that makes the same
Bot API calls per press), runs it with long polling against the emulator at ``base_url`` and
answers commands, one JSON object per line each way:

``{"cmd": "stats"}``              CPU seconds, RSS and peak RSS (KiB) of this process
``{"cmd": "advance", "seconds"}`` move the bot's clock forward
``{"cmd": "fanout", "batch"}``    run one NudgeDispatcher until nothing is due; figures
``{"cmd": "due"}``                nudges due and unclaimed now
``{"cmd": "profile_start"}`` / ``{"cmd": "profile_stop", "path"}``  pyinstrument, if installed
``{"cmd": "sql"}``                distinct SQL statements seen, with counts and query plans
``{"cmd": "quit"}``

Keeping the bot in its own process means its CPU time is its own, not the emulator's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.common import TOKEN, TickingClock, proc_status


@dataclass
class BotConfig:
    """How to run the bot under test."""

    base_url: str
    db_url: str = ""
    mode: str = "lumbar"  # lumbar | bare (Lumbar's Bot API calls without Lumbar)
    clock: str = ""  # ISO start of the bot's ticking clock
    cache_dir: str = ""
    rate_limit: float | None = 25.0  # None: the rate limiter is taken out
    # One chat's messages a second (the bot's default is 1); 0: unspaced, as the simulated
    # users act many times a second in one chat and the figures measure the bot, not that.
    chat_rate_limit: float = 0.0
    nudge_share: float = 0.5  # NUDGE_RATE_SHARE
    nudge_interval: float = 3600.0
    batch_size: int = 200
    log_level: str = "INFO"  # as `python -m bot` runs by default
    record_sql: bool = False
    patches: list[str] = field(default_factory=list)

    def to_arg(self) -> str:
        """The command-line form."""
        return json.dumps(asdict(self))


def _file_base(base_url: str) -> str:
    return base_url[: -len("/bot")] + "/file/bot"


def build_lumbar(config: BotConfig, clock: TickingClock) -> Any:
    """The real application, as ``python -m bot`` builds it, on the benchmark's clock."""
    from bot.app import build_application
    from bot.config import Settings

    settings = Settings(
        telegram_bot_token=SecretStr(TOKEN),
        database_url=config.db_url,
        telegram_base_url=config.base_url,
        telegram_base_file_url=_file_base(config.base_url),
        cache_dir=Path(config.cache_dir),
        nudge_interval_seconds=config.nudge_interval,
        nudge_batch_size=config.batch_size,
        rate_limit_per_second=config.rate_limit or 25.0,
        chat_rate_limit_per_second=config.chat_rate_limit,
        nudge_rate_share=config.nudge_share,
    )
    app = build_application(settings, clock=clock)
    if config.rate_limit is None:
        app.bot._rate_limiter = None  # the limiter "off": requests go straight out
    return app


BARE_CAPTION = (
    "<b>Bird dog</b>\nEasy · Strengthen · Card {n} of {total}\n\n"
    "1. Kneel on all fours, hands under the shoulders, knees under the hips.\n"
    "2. Stretch one arm forward and the opposite leg back until both are level.\n"
    "3. Hold, keeping the back flat and the hips level, then return slowly.\n"
    "4. Repeat with the other arm and leg.\n\n<b>2 sets × 10 reps, each side</b>\n"
    "⚠️ Do not let the back sag."
)
BARE_CARDS = 6


def build_bare(config: BotConfig) -> Any:
    """A bare python-telegram-bot bot making Lumbar's Bot API calls, without database or logic.

    The yardstick: what the calls alone cost, so the rest of Lumbar's time is its own.
    ``/today``: the first card with the intro atop its caption (sendPhoto). A card press:
    answerCallbackQuery and editMessageMedia turning the card into the next one, by the
    file id of the next picture (each picture uploaded once); "It hurts" and the last card
    edit the caption instead (editMessageCaption: the gentler offer; the summary with the
    feeling question). The feeling answer: answerCallbackQuery and the summary edited to
    show the answer and the thanks, buttons gone (editMessageCaption), as Lumbar's
    ``answer_in_place``. Callback data mimics Lumbar's (``c1:0:<card>:<action>``,
    ``f1:0:<value>``).
    """
    import importlib.util
    import io

    from PIL import Image

    # httpcore asks for sniffio on every pool operation (``import sniffio`` inside
    # ``current_async_library``). anyio no longer installs it, and a failed import searches
    # every directory of sys.path again each time: 14 % of this bot's CPU when measured.
    # A deployment that has sniffio pays nothing of that, so neither does the yardstick:
    # the import fails at once (httpcore then assumes asyncio, which is what runs here).
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
    from telegram import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        InputMediaPhoto,
        Message,
        Update,
    )
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        CommandHandler,
        ContextTypes,
    )

    pictures: list[bytes] = []
    for n in range(BARE_CARDS):
        picture = io.BytesIO()
        Image.new("RGB", (800, 600), (240, 236 - 8 * n, 228)).save(picture, format="PNG")
        pictures.append(picture.getvalue())
    file_ids: dict[int, str] = {}  # card number -> file id, after its first upload

    def card_buttons(n: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("✅ Done", callback_data=f"c1:0:{n}:done"),
                    InlineKeyboardButton("⏭ Skip", callback_data=f"c1:0:{n}:skip"),
                ],
                [InlineKeyboardButton("🤕 It hurts", callback_data=f"c1:0:{n}:hurt")],
            ]
        )

    def caption(n: int) -> str:
        return BARE_CAPTION.format(n=n, total=BARE_CARDS)

    def remember(n: int, message: Message | bool) -> None:
        if n not in file_ids and isinstance(message, Message) and message.photo:
            file_ids[n] = message.photo[-1].file_id

    async def on_today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        chat_id = update.effective_chat.id
        intro = f"<b>Today's session</b>: {BARE_CARDS} cards, about 12 minutes."
        photo: Any = file_ids.get(1) or pictures[0]
        sent = await context.bot.send_photo(
            chat_id,
            photo,
            caption=f"{intro}\n\n{caption(1)}",
            parse_mode="HTML",
            reply_markup=card_buttons(1),
        )
        remember(1, sent)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message) and query.data
        await query.answer()
        chat_id, message_id = query.message.chat_id, query.message.message_id
        kind, _, rest = query.data.partition(":")
        if kind == "f1":
            thanks = "\n\n→ <b>Better</b>\n\nThank you: noted. See you tomorrow."
            await context.bot.edit_message_caption(
                chat_id, message_id, caption=query.message.caption_html + thanks, parse_mode="HTML"
            )
            return
        card, action = rest.split(":")[1:]
        n = int(card)
        if action == "hurt":
            offer = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton("🌱 Gentler", callback_data=f"c1:0:{n}:gentler")],
                    [InlineKeyboardButton("⏭ Next", callback_data=f"c1:0:{n}:next")],
                ]
            )
            text = caption(n) + "\n\n<b>Stop if it hurts.</b> A gentler one instead?"
            await context.bot.edit_message_caption(
                chat_id, message_id, caption=text, parse_mode="HTML", reply_markup=offer
            )
        elif n >= BARE_CARDS:
            feeling = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(label, callback_data=f"f1:0:{value}")
                        for label, value in (("Better", "better"), ("Same", "same"))
                    ]
                ]
            )
            text = "<b>Done!</b> 5 of 6 cards, 12 min. Streak: 3 days.\n\nHow is your back?"
            await context.bot.edit_message_caption(
                chat_id, message_id, caption=text, parse_mode="HTML", reply_markup=feeling
            )
        else:
            following = n + 1
            media = file_ids.get(following) or pictures[following - 1]
            edited = await context.bot.edit_message_media(
                InputMediaPhoto(media, caption=caption(following), parse_mode="HTML"),
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=card_buttons(following),
            )
            remember(following, edited)

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(config.base_url)
        .base_file_url(_file_base(config.base_url))
        .concurrent_updates(64)
        .connection_pool_size(32)
        .build()
    )
    app.add_handler(CommandHandler("today", on_today))
    app.add_handler(CallbackQueryHandler(on_press))
    return app


class SqlRecorder:
    """Every distinct SQL statement the bot runs, with a count and one set of parameters."""

    def __init__(self) -> None:
        self.seen: dict[str, list[Any]] = {}

    def install(self) -> None:
        """Listen on every engine (the bot builds its own)."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._record)

    def _record(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.startswith("EXPLAIN"):
            return
        entry = self.seen.get(statement)
        if entry is None:
            self.seen[statement] = [1, params]
        else:
            entry[0] += 1

    def total(self) -> int:
        """Statements executed so far."""
        return sum(int(entry[0]) for entry in self.seen.values())

    async def plans(self, engine: Any) -> list[dict[str, Any]]:
        """EXPLAIN each statement the bot sent (SQLite: EXPLAIN QUERY PLAN)."""
        sqlite = engine.dialect.name == "sqlite"
        out = []
        for statement, (count, params) in list(self.seen.items()):
            head = statement.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                continue
            if "alembic_version" in statement or "sqlite_master" in statement:
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            try:
                async with engine.connect() as conn:
                    result = await conn.exec_driver_sql(prefix + statement, params)
                    rows = [" ".join(str(v) for v in row) for row in result]
                    await conn.rollback()
            except Exception as error:  # a plan we cannot get is reported, not fatal
                rows = [f"(no plan: {type(error).__name__})"]
            out.append({"statement": " ".join(statement.split()), "count": count, "plan": rows})
        return out


def _stats() -> dict[str, Any]:
    status = proc_status()
    return {
        "cpu": time.process_time(),
        "wall": time.perf_counter(),
        "rss_kb": status.get("VmRSS", 0),
        "hwm_kb": status.get("VmHWM", 0),
    }


@dataclass
class Fanout:
    """Figures of one dispatcher emptying the queue."""

    rounds: int = 0
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def _timed(phases: dict[str, float], name: str, func: Callable[..., Awaitable[Any]]) -> Any:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await func(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapper


async def fanout(app: Any, batch: int, max_seconds: float) -> dict[str, Any]:
    """One NudgeDispatcher claiming, sending and recording batches until none is due."""
    from bot.scheduler import NudgeDispatcher

    services = app.bot_data.services
    dispatcher = NudgeDispatcher(services, app.bot, batch_size=batch)
    figures = Fanout()
    phases = figures.phases
    dispatcher._send_batch = _timed(phases, "send", dispatcher._send_batch)  # type: ignore[method-assign]
    dispatcher._record = _timed(phases, "record", dispatcher._record)  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < max_seconds:
        round_started = time.perf_counter()
        report = await dispatcher.run_once()
        phases["round"] = phases.get("round", 0.0) + time.perf_counter() - round_started
        figures.rounds += 1
        figures.claimed += report.claimed
        figures.sent += report.sent
        figures.skipped += report.skipped_stale + report.skipped_done
        figures.deferred += report.deferred
        figures.blocked += report.blocked
        figures.retried += report.retried
        figures.failed += report.failed
        if report.claimed == 0:
            break
    figures.wall = time.perf_counter() - started
    figures.cpu = time.process_time() - cpu
    phases["claim"] = phases.get("round", 0.0) - phases.get("send", 0.0) - phases.get("record", 0.0)
    return asdict(figures)


class Profiling:
    """pyinstrument around a stretch of the run (optional: only if it is installed)."""

    def __init__(self) -> None:
        self.profiler: Any = None

    def start(self) -> dict[str, Any]:
        """Start sampling every millisecond."""
        try:
            from pyinstrument import Profiler
        except ImportError:
            return {"ok": False, "error": "pyinstrument is not installed (see bench/README.md)"}
        self.profiler = Profiler(interval=0.001, async_mode="disabled")
        self.profiler.start()
        return {"ok": True}

    def stop(self, path: str) -> dict[str, Any]:
        """Stop and write text and HTML reports next to ``path``."""
        if self.profiler is None:
            return {"ok": False, "error": "not profiling"}
        session = self.profiler.stop()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = self.profiler.output_text(unicode=False, color=False, show_all=False)
        target.with_suffix(".txt").write_text(text)
        target.with_suffix(".html").write_text(self.profiler.output_html())
        session.save(str(target.with_suffix(".pyisession")))
        self.profiler = None
        groups, functions = flat_profile(session.root_frame())
        total = sum(groups.values()) or 1.0
        lines = ["CPU by package (self time):"]
        lines += [f"{100 * t / total:5.1f}%  {name}" for name, t in groups.most_common()]
        lines += ["", "Top functions by self time:"]
        lines += [f"{100 * t / total:5.1f}%  {name}" for name, t in functions.most_common(40)]
        target.with_suffix(".flat.txt").write_text("\n".join(lines) + "\n")
        return {
            "ok": True,
            "text": str(target.with_suffix(".txt")),
            "groups": {name: round(t / total, 4) for name, t in groups.most_common()},
        }


def _package(path: str) -> str:
    """Name the code a file belongs to: our layers, a library, or the standard library."""
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    for ours in ("bot", "db", "content", "bench"):
        if ours in parts[-3:-1] or (len(parts) > 1 and parts[-2] == ours):
            return ours
    if "python3.11" in parts:
        name = parts[parts.index("python3.11") + 1]
        return "stdlib:" + name.removesuffix(".py")
    if parts and parts[0].startswith("<"):
        return "stdlib:" + parts[0]
    return "other:" + parts[-1]


def flat_profile(root: Any) -> tuple[Counter[str], Counter[str]]:
    """Self time summed by package and by function, from a pyinstrument frame tree."""
    groups: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    stack = [root] if root is not None else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        own = frame.total_self_time
        if own <= 0 or frame.file_path is None:
            continue
        package = _package(frame.file_path)
        if package == "stdlib:selectors" and frame.function == "select":
            continue  # the event loop waiting for I/O: idle, not work
        groups[package] += own
        functions[f"{frame.function} ({frame.file_path_short}:{frame.line_no})"] += own
    return groups, functions


@asynccontextmanager
async def _stdin_lines() -> AsyncIterator[asyncio.StreamReader]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        yield reader
    finally:
        transport.close()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


async def serve(config: BotConfig, started: float) -> None:
    """Run the bot and answer commands until told to quit or stdin closes."""
    from bench.patches import apply_patches

    apply_patches(config.patches)  # before the imports below take the names they patch
    from bot.app import running, settle_heap
    from bot.emulator.ptb import polling

    recorder = SqlRecorder()
    if config.record_sql:
        recorder.install()
    clock = TickingClock(datetime.fromisoformat(config.clock)) if config.clock else TickingClock()
    if config.mode == "bare":
        app = build_bare(config)
        runner: Any = polling(app, poll_timeout=10.0)
    else:
        app = build_lumbar(config, clock)
        runner = running(app, poll_timeout=10.0)
    profiling = Profiling()
    async with runner, _stdin_lines() as reader:
        if config.mode != "bare":
            settle_heap()  # as bot.app's entry point does once the bot runs
        _say({"event": "ready", "startup": time.perf_counter() - started, **_stats()})
        while line := await reader.readline():
            command = json.loads(line)
            name = command.get("cmd")
            reply: dict[str, Any] = {"cmd": name}
            if name == "stats":
                reply.update(_stats(), sql_statements=recorder.total())
            elif name == "advance":
                clock.advance(float(command["seconds"]))
                reply["now"] = clock().isoformat()
            elif name == "fanout":
                reply.update(
                    await fanout(app, int(command.get("batch", 200)), command.get("max", 600.0))
                )
            elif name == "due":
                services = app.bot_data.services
                async with services.transaction() as uow:
                    reply["due"] = await uow.nudges.due_rows_count(clock())
            elif name == "profile_start":
                reply.update(profiling.start())
            elif name == "profile_stop":
                reply.update(profiling.stop(str(command["path"])))
            elif name == "sql":
                reply["statements"] = await recorder.plans(app.bot_data.services.engine)
            elif name == "quit":
                _say(reply)
                break
            else:
                reply["error"] = "unknown command"
            _say(reply)


def main() -> None:
    """Entry point: the config is the one argument."""
    started = time.perf_counter()
    config = BotConfig(**json.loads(sys.argv[1]))
    logging.basicConfig(level=config.log_level, stream=sys.stderr)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(serve(config, started))


if __name__ == "__main__":
    main()
