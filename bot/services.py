"""The services every handler reaches through the context, built once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from bot.languages import LanguageCache
from bot.uow import UnitOfWork
from content.schema import Library

if TYPE_CHECKING:
    from bot.cards import CardPictures
    from bot.delivery import Ledger
    from bot.geo import PlaceFinder
    from bot.metrics import Metrics
    from bot.pictures.worker import DrawingWorker


def _drawing_worker() -> DrawingWorker:
    """The /progress drawing worker; imported late so start-up loads no picture code."""
    from bot.pictures.worker import DrawingWorker

    return DrawingWorker()


def _place_finder() -> PlaceFinder:
    """Typed towns without an index file kept between starts (``build_services`` keeps one)."""
    from bot.geo import PlaceFinder

    return PlaceFinder()


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC; tests and the playground pass their own clock instead."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Shared services. The one per-user memory is ``languages``, a bounded copy of rows.

    ``library`` is English, the source and the fallback; ``libraries`` holds every
    catalog language's (English included), by language code.
    """

    settings: Settings
    library: Library
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    pictures: CardPictures
    clock: Clock = system_clock
    drawing: DrawingWorker = field(default_factory=lambda: _drawing_worker())
    places: PlaceFinder = field(default_factory=lambda: _place_finder())
    libraries: Mapping[str, Library] = field(default_factory=dict)
    languages: LanguageCache = field(default_factory=LanguageCache)

    def __post_init__(self) -> None:
        """Without other catalogs, the one library is every language there is."""
        if not self.libraries:
            self.libraries = {self.library.language: self.library}

    def library_for(self, language: str | None) -> Library:
        """The library of ``language`` (a catalog code such as "de"); English otherwise."""
        if language is not None and language in self.libraries:
            return self.libraries[language]
        return self.library

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One session and one transaction; commit on success, roll back on error.

        Every user row read or written in it refreshes the language cache.
        """
        async with self.sessions() as session, session.begin():
            yield UnitOfWork(session, self.languages)


class BotData:
    """Typed `bot_data`: holds the services once `post_init` has built them."""

    services: Services
    metrics: Metrics  # attached by build_application; read through bot.metrics.metrics_of
    ledger: Ledger | None = None  # handled updates to write (bot.delivery.ledger_of)


class LumbarContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Handler context with typed access to the services and the update's language.

    PTB builds one context per update and hands it to every handler group, so the
    group -1 handler (``bot.handlers.basic.on_any_update``) resolves ``language`` once
    and every later handler answers in it. None (a job, or not resolved): English.
    """

    language: str | None = None

    @property
    def services(self) -> Services:
        """The process-wide services."""
        return self.bot_data.services

    @property
    def library(self) -> Library:
        """The content in the language of this update's user."""
        return self.services.library_for(self.language)


LumbarApp = Application[
    ExtBot[None], LumbarContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[LumbarContext]
]
