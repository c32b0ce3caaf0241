"""Flow tests: the real bot, polling the Bot API emulator over loopback, on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr

from bot.app import build_application, running
from bot.config import Settings
from bot.delivery import ledger_of
from bot.emulator import BotApiServer, FakeUser, StoredMessage
from bot.pictures import CardRenderer
from bot.scheduler import DispatchReport, NudgeDispatcher
from bot.services import LumbarApp, Services
from bot.updates import PerChatUpdateProcessor
from content.loader import load_library

TOKEN = "123456789:AAE-lumbar-test-token_0123456789abcdef"
QUIET = 0.3
# After the handler of an update finished: a quiet spell for a call it left behind.
AFTER = 0.03
# Handled updates are confirmed to the emulator this soon (the bot's default is 0.1 s),
# so that each step's wait for an empty update queue is short.
LEDGER_EVERY = 0.005
# A card is a photo, or an animation for the exercises whose pose data says `animate`.
CARD_KINDS = ("photo", "animation")


@dataclass
class FakeClock:
    """A clock the tests move by hand; the bot reads it through `Services.clock`."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.now = moment


@dataclass
class Lumbar:
    """The bot as a user meets it: send text, press buttons, read what came back."""

    server: BotApiServer
    app: LumbarApp
    clock: FakeClock

    @property
    def services(self) -> Services:
        return self.app.bot_data.services

    def user(self, user_id: int = 1001, name: str = "Ann") -> FakeUser:
        return self.server.user(user_id, first_name=name)

    async def send(self, user: FakeUser, text: str) -> list[StoredMessage]:
        self.server.send_text(user, text)
        await self._done(user)
        if not self.server.new_bot_messages(user):
            # Every text gets an answer: a slow first transaction must not end the wait early.
            await self.server.wait_for(lambda: self.server.new_bot_messages(user), timeout=10)
            await self._done(user)
        return self.server.new_bot_messages(user)

    def find_button(self, user: FakeUser, label: str) -> tuple[StoredMessage, str]:
        """The newest bot message with a button whose text contains `label`."""
        for message in reversed(self.server.bot_messages(user)):
            for row in self.server.buttons(message):
                for text, data in row:
                    if label.lower() in text.lower() and data is not None:
                        return message, data
        raise AssertionError(f"no button {label!r}; last: {self.describe(user)[-3:]}")

    async def press(self, user: FakeUser, label: str) -> list[StoredMessage]:
        message, data = self.find_button(user, label)
        return await self._press(user, message.message_id, data, force=False)

    def card_versions(self, user: FakeUser) -> dict[int, int]:
        return {
            m.message_id: len(m.history)
            for m in self.server.bot_messages(user)
            if m.kind in CARD_KINDS
        }

    def changed_since(self, user: FakeUser, before: dict[int, int]) -> list[StoredMessage]:
        """Cards redrawn in place since ``before`` (their new state), then new messages.

        A press turns the session's message into what comes next (editMessageMedia or
        editMessageCaption), so what the user sees change is that message, not a new one.
        """
        fresh = self.server.new_bot_messages(user)
        known = {m.message_id for m in fresh}
        redrawn = [
            m
            for m in self.server.bot_messages(user)
            if m.message_id in before
            and m.message_id not in known
            and len(m.history) > before[m.message_id]
            and m.history[-1].content != m.content
        ]
        return redrawn + fresh

    async def _press(
        self, user: FakeUser, message_id: int, data: str, *, force: bool
    ) -> list[StoredMessage]:
        before = self.card_versions(user)
        query_id = self.server.press(user, message_id, data, force=force)
        # Every press is answered (answerCallbackQuery, even if Telegram refuses the answer):
        # wait for that call before reading on.
        await self.server.wait_for(lambda: self._answered(query_id), timeout=10)
        # The press is answered first; what it shows may follow a slow write: wait for
        # the handler to finish rather than trusting a quiet spell alone.
        await self._done(user)
        return self.changed_since(user, before)

    async def _done(self, user: FakeUser) -> None:
        """Wait until the bot handled the last update sent, its calls returned and the
        update was confirmed; then only a short quiet spell, for a call made just after.
        """
        processor = self.app.update_processor
        if isinstance(processor, PerChatUpdateProcessor) and self.server.all_updates:
            sent = int(self.server.all_updates[-1]["update_id"])
            # (or, for an update the bot never hands on, the quiet spell of old)
            await self.server.wait_for(
                lambda: processor.handled_through >= sent or self.server.settled(QUIET),
                timeout=10,
            )
        await self._handled(user)
        await self.server.settle(quiet=AFTER)

    async def _handled(self, user: FakeUser) -> None:
        processor = self.app.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            await self.server.wait_for(lambda: not processor.busy(user.id), timeout=10)

    def _answered(self, query_id: str) -> bool:
        return any(
            str(call.params.get("callback_query_id")) == query_id
            for call in self.server.calls_to("answerCallbackQuery")
        )

    async def press_data(self, user: FakeUser, message_id: int, data: str) -> list[StoredMessage]:
        return await self._press(user, message_id, data, force=True)

    def describe(self, user: FakeUser) -> list[str]:
        return [(m.text or m.caption or f"<{m.kind}>") for m in self.server.bot_messages(user)]

    async def triage(
        self,
        user: FakeUser,
        *,
        flags: Iterable[str] = (),
        age: str = "16 to 49",
        pain: int = 2,
        duration: str = "Some weeks",
        experience: str = "Now and then",
        equipment: Iterable[str] = (),
        region: str = "Europe",
        city: str = "Berlin",
        reminders: bool | Literal["all"] = True,
        start: bool = True,
        until: Literal["time_zone"] | None = None,
    ) -> list[StoredMessage]:
        """Answer the whole check as a user would; returns what the last answer brought.

        /start; the age on the welcome (which agrees to the check); the town typed
        (``city``; ``region`` is only for callers of the old picker); the screen
        (``flags`` are item ids answered Yes: a stopping one ends the check there, as
        it would for the user, the others are ticked in their group); pain and how
        long. Then the plan screen, where ``experience``, ``equipment`` and
        ``reminders`` are changed only when they differ from its defaults (new to
        exercise, nothing, stretch only: ``reminders=True``; ``"all"`` adds water,
        False turns them off), and "Start my first session" confirms it: the plan,
        the session's intro and the first card are returned. ``start=False`` stops
        at the plan screen (nothing saved yet). A doctor-first check ends in its
        summary (returned). With ``until="time_zone"`` it stops at the time-zone
        question, for tests that answer it themselves; returns that question.
        """
        del region
        rules = self.services.library.rules
        wanted = set(flags)
        await self.send(user, "/start")
        out = await self.press(user, age)
        if until == "time_zone":
            return out
        await self.send(user, city)
        for group in rules.groups:
            shown = [f for f in group.flags if f.when is None or age == "50 or over"]
            chosen = [f for f in shown if f.id in wanted]
            if group.kind == "stop" and chosen:
                return await self.press(user, chosen[0].button)
            for flag in chosen:
                await self.press(user, flag.button)
            await self.press(user, "Done" if chosen else "None of these")
        await self.press(user, str(pain))
        out = await self.press(user, duration)
        if not any((m.text or "").startswith("Your plan is ready.") for m in out):
            return out  # a doctor first: the summary, and no plan to confirm
        if experience != "I'm new to exercise":
            await self.press(user, "✏️ Experience")
            await self.press(user, experience)
        items = list(equipment)
        if items:
            await self.press(user, "✏️ Equipment")
            for item in items:
                await self.press(user, item)
            await self.press(user, "Done")
        if reminders is not True:
            await self.press(user, "✏️ Reminders")
            await self.press(user, "Stretch and water" if reminders == "all" else "No reminders")
        plan = self.plan(user)
        if not start:
            return [plan]
        return [plan, *await self.press(user, "Start my first session")]

    def plan(self, user: FakeUser) -> StoredMessage:
        """The newest plan screen sent to this user, as it looks now."""
        for message in reversed(self.server.bot_messages(user)):
            if (message.text or "").startswith("Your plan is ready."):
                return message
        raise AssertionError(f"no plan screen; last: {self.describe(user)[-3:]}")

    @staticmethod
    def summary(messages: list[StoredMessage]) -> StoredMessage:
        """The check's summary among these messages (the baseline question follows it)."""
        for message in messages:
            if (message.text or "").startswith(("Your plan is ready.", "⚠️ Doctor first.")):
                return message
        raise AssertionError(f"no summary in {[(m.text or '')[:40] for m in messages]}")

    async def dispatch(self) -> DispatchReport:
        """Run the nudge dispatcher once, as the repeating job does."""
        dispatcher = NudgeDispatcher(self.services, self.app.bot)
        report = await dispatcher.run_once()
        await self.server.settle(quiet=QUIET)
        return report


@pytest.fixture(scope="session")
def card_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cards render once per test session, as they do once per deployment."""
    return with_cards_drawn(tmp_path_factory.mktemp("cards"))


def with_cards_drawn(cache: Path) -> Path:
    """Draw every card into the bot's cache folder ``cache`` ahead of the tests.

    The bot draws a card the first time it sends it; drawing them all once here keeps
    that one-off wait (a few hundred ms a card on a busy machine) out of every test's timing.
    """
    renderer = CardRenderer(load_library(), cache / "cards")
    renderer.render_all()
    renderer.render_animations()
    return cache


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(server: BotApiServer, db_url: str, cache: Path, **extra: object) -> Settings:
    # Test users act many times a second in one chat; Telegram's spacing of one message a
    # second per chat would only slow them down (tests/flows/test_burst.py turns it on).
    extra.setdefault("chat_rate_limit_per_second", 0.0)
    return Settings(
        telegram_bot_token=SecretStr(TOKEN),
        database_url=db_url,
        telegram_base_url=server.base_url,
        telegram_base_file_url=server.base_file_url,
        cache_dir=cache,
        nudge_interval_seconds=3600,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def lumbar(db_url: str, card_cache: Path, clock: FakeClock) -> AsyncIterator[Lumbar]:
    """The real application, polling a fresh emulator, on each database backend."""
    async with BotApiServer(token=TOKEN) as server:
        app = build_application(make_settings(server, db_url, card_cache), clock=clock)
        ledger_of(app).every = LEDGER_EVERY
        async with running(app, poll_timeout=1.0):
            yield Lumbar(server, app, clock)
