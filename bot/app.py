"""Builds the Application in one place: services, handlers, jobs, start-up checks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import warnings
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.warnings import PTBUserWarning

from bot.cards import CardPictures
from bot.coach.plan import stretch_minutes
from bot.config import Settings
from bot.delivery import PRUNE_EVERY, Poller, ledger_of, prune_ledger
from bot.geo import PlaceFinder
from bot.handlers import register_handlers
from bot.metrics import MeteredRequest, Metrics
from bot.pictures import CardRenderer
from bot.retry import RetryingRateLimiter
from bot.scheduler import schedule_dispatcher, stop_dispatching
from bot.services import BotData, Clock, LumbarApp, LumbarContext, Services, system_clock
from bot.startup import (
    CannotListenError,
    ConfigurationError,
    StartupError,
    bot_api_bound,
    check_before_serving,
    initialize,
)
from bot.transport import AiohttpRequest
from bot.updates import PerChatUpdateProcessor
from bot.webhook import Address, HttpServers, start_servers
from content.loader import load_libraries
from content.schema import Library
from db.engine import create_engine, create_session_factory, dispose_within
from db.migrate import upgrade_to_head

log = logging.getLogger(__name__)

# Seconds a stop waits for running jobs (a nudge run mid-batch) before cutting them off;
# with the grace for updates in flight and the bounded database close, SIGTERM ends the
# process in bounded time even while a query hangs (issue 16: it could not).
STOP_JOBS_TIMEOUT_S = 5.0

# The command menu, in this order; each description is the texts key ``cmd_<name>``.
COMMANDS = (
    "today",
    "stretch",
    "progress",
    "reminders",
    "settings",
    "help",
    "export",
    "forget",
    "cancel",
    "start",
)
# Seconds the bot's descriptions may take at start; they are not worth failing a start for.
PROFILE_TIMEOUT_S = 10.0


def command_menu(library: Library) -> list[BotCommand]:
    """The command menu in ``library``'s language."""
    minutes = stretch_minutes(library.exercises)
    return [
        BotCommand(name, library.text(f"cmd_{name}", stretch_minutes=minutes)) for name in COMMANDS
    ]


def menu_languages(libraries: Mapping[str, Library]) -> list[tuple[str | None, Library]]:
    """Which menu goes to whom: English as the default (no language code), then each other.

    A user whose Telegram language has no list of its own gets the default, so English
    needs no list under "en" as well.
    """
    english = libraries.get("en") or next(iter(libraries.values()))
    others = [(code, lib) for code, lib in libraries.items() if code != english.language]
    return [(None, english), *others]


async def set_menus(app: LumbarApp, libraries: Mapping[str, Library]) -> None:
    """The command menu per language (bounded: no answer is a start-up failure)."""
    async with bot_api_bound("setMyCommands", app.bot.base_url):
        for code, library in menu_languages(libraries):
            await app.bot.set_my_commands(command_menu(library), language_code=code)


async def set_descriptions(app: LumbarApp, libraries: Mapping[str, Library]) -> None:
    """The bot's description and short description per language; a failure is only logged.

    Users see them before they first write; the bot works without them.
    """
    try:
        async with asyncio.timeout(PROFILE_TIMEOUT_S):
            for code, library in menu_languages(libraries):
                await app.bot.set_my_description(
                    library.text("bot_description"), language_code=code
                )
                await app.bot.set_my_short_description(
                    library.text("bot_short_description"), language_code=code
                )
    except (TelegramError, TimeoutError) as error:
        log.warning("could not set the bot's descriptions (%s)", type(error).__name__)


def quiet_raw_calls() -> None:
    """Silence PTB's "use the method instead" warning for the calls Lumbar makes raw.

    ``Bot.do_api_request`` warns when a method has a typed wrapper. Two are raw on
    purpose: the poller's getUpdates (updates in hand are not even decoded) and a
    press's editMessageMedia (no ``Message`` built from an answer nobody reads).
    """
    warnings.filterwarnings(
        "ignore",
        message=r"Please use 'Bot\.(getUpdates|editMessageMedia)'",
        category=PTBUserWarning,
    )


def build_application(
    settings: Settings, *, clock: Clock = system_clock, read_timeout: float = 15.0
) -> LumbarApp:
    """Create the bot with every handler registered; services are built in `post_init`.

    ``read_timeout`` is how long a Bot API answer may take; tests shorten it.
    """
    quiet_raw_calls()

    async def post_init(app: LumbarApp) -> None:
        app.bot_data.services = await build_services(settings, clock)
        await set_menus(app, app.bot_data.services.libraries)
        await set_descriptions(app, app.bot_data.services.libraries)
        schedule_dispatcher(app, settings)
        assert app.job_queue is not None
        app.job_queue.run_repeating(prune_ledger, interval=PRUNE_EVERY, first=60, name="ledger")

    async def post_stop(app: LumbarApp) -> None:
        # Application.stop() has let updates in flight finish and stopped the JobQueue.
        log.info("stopped: updates in flight finished, nudge scheduler stopped")

    async def post_shutdown(app: LumbarApp) -> None:
        services = getattr(app.bot_data, "services", None)
        if services is not None:
            services.drawing.close()
            await dispose_within(services.engine)  # bounded: a silent server never answers
            log.info("database closed")

    metrics = Metrics()  # one registry per application (tests run many in one process)

    def transport(pool_size: int) -> AiohttpRequest:
        return MeteredRequest(
            metrics,
            connection_pool_size=pool_size,
            connect_timeout=10,
            read_timeout=read_timeout,
            write_timeout=30,
            pool_timeout=10,
        )

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(ContextTypes(context=LumbarContext, bot_data=BotData))
        .concurrent_updates(PerChatUpdateProcessor(on_handled=metrics.update_handled))
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=settings.rate_limit_per_second,
                chat_max_rate=settings.chat_rate_limit_per_second,
                chat_burst=settings.chat_rate_limit_burst,
                background_share=settings.nudge_rate_share,
                max_retries=3,
            )
        )
        # aiohttp instead of PTB's httpx default: a third of the CPU per call (bot/transport.py).
        .request(transport(32))
        .get_updates_request(transport(1))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    app = cast(LumbarApp, builder.build())
    app.bot_data.metrics = metrics
    register_handlers(app)
    return app


async def build_services(settings: Settings, clock: Clock) -> Services:
    """Check the database, migrate it and load the content."""
    # hide_parameters: SQL errors then never carry health answers into a log line.
    engine = create_engine(settings.database_url, hide_parameters=True, one_sqlite_connection=True)
    try:
        await upgrade_to_head(settings.database_url)
    except Exception as error:  # the driver's own errors vary; the line must not
        await engine.dispose()
        raise StartupError(f"cannot open the database: {type(error).__name__}") from error
    libraries = load_libraries()
    library = libraries["en"]  # English: the source of every text, and the fallback
    # Cards are drawn on first use (CardPictures), not here: 2 s and 50 MB at a first start.
    pictures = CardPictures(CardRenderer(library, settings.cache_dir / "cards"))
    for other in libraries.values():
        pictures.renderer_for(other)  # each language's pose data checked now, not at a card
    services = Services(
        settings=settings,
        library=library,
        libraries=libraries,
        engine=engine,
        sessions=create_session_factory(engine),
        pictures=pictures,
        clock=clock,
        # Typed towns: the index is built at the first one and kept beside the cards.
        places=PlaceFinder(settings.cache_dir),
    )
    log.info(
        "ready: %d exercises in %s, database migrated",
        len(library.exercises),
        ", ".join(libraries),
    )
    return services


@dataclass(frozen=True)
class Webhook:
    """Where to serve Telegram's webhook calls, and the secret they must carry."""

    listen: str
    port: int
    url: str
    secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Webhook | None:
        """The webhook to serve, or None for long polling."""
        if not settings.webhook_url:
            return None
        if settings.webhook_secret is None:  # Settings refuses this; never serve without it
            raise ConfigurationError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return cls(
            settings.webhook_listen,
            settings.webhook_port,
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
        )


@contextlib.asynccontextmanager
async def running(
    app: LumbarApp, *, poll_timeout: float = 10.0, webhook: Webhook | None = None
) -> AsyncIterator[LumbarApp]:
    """Run the bot inside a block, as `run_polling` / `run_webhook` would, hooks included.

    On leaving the block, updates in flight finish, the nudge job stops and the database
    closes (PTB's `Application.stop`, then our `post_stop` and `post_shutdown`). The tests
    and the playground use this to run the real bot inside their own event loop.
    """
    try:
        await app.initialize()
    except BaseException:
        # PTB's shutdown() skips an app that never finished initialising, which would
        # leave the Bot API connections open (aiohttp warns about them at exit).
        await app.bot.shutdown()
        raise
    poller: Poller | None = None
    servers: HttpServers | None = None
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        servers = await _start_servers(app, webhook)
        assert app.updater is not None
        if webhook is None:
            # Not PTB's updater: ours confirms an update only once it was handled.
            poller = Poller(app, timeout=poll_timeout)
            await poller.start()
        else:
            # Our server (bot/webhook.py) is listening: tell Telegram where, as PTB's would.
            await app.bot.set_webhook(
                webhook.url, secret_token=webhook.secret, allowed_updates=Update.ALL_TYPES
            )
        yield app
    finally:
        stop_dispatching(app, STOP_JOBS_TIMEOUT_S)  # no new nudge run; the one under way ends
        if servers is not None:
            servers.stopping.set()  # 503 to webhook calls and health checks from here on
        if poller is not None:
            await poller.stop()
        if servers is not None:
            await servers.stop()  # after the updates in flight were handled and answered
        with contextlib.suppress(Exception):  # the database may be gone: logged inside
            await ledger_of(app).flush()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await _stop_within(app, STOP_JOBS_TIMEOUT_S + 1)  # the nudge run ends before
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _stop_within(app: LumbarApp, seconds: float) -> None:
    """PTB's ``Application.stop`` (it waits for running jobs), cut off after ``seconds``.

    The nudge run ends itself (``stop_dispatching``); this bounds any other job.
    """
    try:
        await asyncio.wait_for(app.stop(), seconds)
    except TimeoutError:
        log.warning("stop: jobs still running after %g s were cancelled", seconds)
        if app.job_queue is not None and app.job_queue.scheduler.running:
            app.job_queue.scheduler.shutdown(wait=False)  # no further runs


async def _start_servers(app: LumbarApp, webhook: Webhook | None) -> HttpServers | None:
    """Our HTTP servers: the webhook (with /healthz), HEALTH_PORT and METRICS_PORT ones."""
    settings = app.bot_data.services.settings
    hook = None
    if webhook is not None:
        hook = (Address(webhook.listen, webhook.port), urlsplit(webhook.url).path, webhook.secret)
    health = metrics = None
    if settings.health_port is not None:
        health = Address(settings.health_listen, settings.health_port)
    if settings.metrics_port is not None:
        metrics = Address(settings.metrics_listen, settings.metrics_port)
    if hook is None and health is None and metrics is None:
        return None
    try:
        return await start_servers(
            app, app.bot_data.metrics, webhook=hook, health=health, metrics_at=metrics
        )
    except OSError as error:
        raise CannotListenError(str(error)) from error


def run(settings: Settings, *, clock: Clock = system_clock) -> None:
    """Run until SIGINT or SIGTERM: long polling, or a webhook when one is configured.

    Start-up problems raise (`InvalidToken`, `StartupError`...) for `__main__` to turn
    into one line and an exit code; nothing else is printed for them.
    """
    webhook = Webhook.from_settings(settings)
    check_before_serving(settings)
    app = build_application(settings, clock=clock)
    asyncio.run(_serve(app, webhook))


def settle_heap() -> None:
    """Put what start-up built out of the garbage collector's reach (``gc.freeze``).

    The libraries and the content loaded at start-up are some 100 MB of objects that
    live as long as the process; without this every full collection walks them again,
    a pause of tens of milliseconds in the middle of someone's press (the press p99 at
    100 a second fell from 153 to 100 ms with it, ``bench.updates``). Called once the bot
    runs, by the entry point only: a test process that builds many bots keeps its
    collector as it is.
    """
    gc.collect()
    gc.freeze()


async def _serve(app: LumbarApp, webhook: Webhook | None) -> None:
    await initialize(app)  # getMe, bounded; `running` then finds the app initialised
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(app, poll_timeout=20.0, webhook=webhook):
        settle_heap()
        log.info("running: %s", "webhook" if webhook else "long polling")
        await stop.wait()
        log.info("stop signal: finishing updates in flight")
