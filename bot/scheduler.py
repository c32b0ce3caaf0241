"""The nudge dispatcher: one repeating job that claims due nudges, sends them, reschedules.

State lives in the database (the `nudge` rows and their leases), so a restart
needs no persisted jobs, and two processes on one PostgreSQL never claim the
same row (`FOR UPDATE SKIP LOCKED`). Telegram calls happen outside the claim
transaction; results are written back in one transaction per batch.
"""

from __future__ import annotations

import asyncio
import logging
import time as time_module
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.access import is_check_step
from bot.callbacks import CheckInAnswer, NudgeAction
from bot.coach.desk import stretch_nudge_text
from bot.coach.language import choose_language
from bot.coach.nudges import (
    CHECKIN_MIN_GAP,
    NudgePrefs,
    default_prefs,
    is_stale,
    next_checkin_at,
    next_stretch_at,
    next_water_at,
    pick_text,
)
from bot.coach.streak import StreakState
from bot.coach.streak_reminder import carries_reminder
from bot.coach.timezones import zone
from bot.coach.triage import (
    Access,
    RedFlagLevel,
    TriageAnswers,
    exercise_access,
    red_flag_level,
)
from bot.desk import nudge_starts
from bot.keyboards import button, rows, stretch_now_label
from bot.metrics import metrics_of
from bot.retry import background_calls
from bot.services import LumbarApp, LumbarContext, Services
from db.models import NudgeSettings
from db.repositories.nudges import NudgeOutcome

if TYPE_CHECKING:
    from telegram.ext import ExtBot

    from bot.uow import UnitOfWork
    from content.schema import Library, Rules
    from db.models import Streak
    from db.repositories.nudges import ClaimedNudge, SafetyFacts

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(seconds=30)
SAME_CHAT_GAP = timedelta(seconds=2)
# Real seconds between two sends to one chat (Telegram allows about one a second).
CHAT_SEND_SPACING = 1.1
SEND_CONCURRENCY = 32
# Seconds one dispatcher tick may keep claiming batches while they come back full.
DISPATCH_BUDGET_SECONDS = 50.0
# Seconds one tick may take in all before it is cut off and the next one can run: the
# budget, plus time for a batch begun just before it ran out to send and be recorded.
# The database's own timeouts (db/engine.py) end a hung query far sooner; this bounds
# whatever else could hang a tick, which once held every later one off for good.
DISPATCH_TICK_TIMEOUT_SECONDS = DISPATCH_BUDGET_SECONDS + 40.0
DISPATCHER_JOB = "nudge-dispatcher"


def prefs_from_settings(settings: NudgeSettings | Any) -> NudgePrefs:
    """The coach's view of a user's reminder settings (from a row or a claimed nudge)."""
    return NudgePrefs(
        enabled=settings.enabled,
        stretch_enabled=settings.stretch_enabled,
        stretch_times=tuple(_clock(t) for t in settings.stretch_times),
        stretch_days=settings.stretch_days,
        water_enabled=settings.water_enabled,
        water_interval_minutes=settings.water_interval_minutes,
        wake_start=settings.wake_start,
        wake_end=settings.wake_end,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
        paused_until=settings.paused_until,
        checkin_weekday=settings.checkin_weekday,
        # A row added but not flushed yet has no server default: the model's default.
        checkin_time=settings.checkin_time or time(10, 0),
    )


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_due(
    kind: str,
    prefs: NudgePrefs,
    zone_name: str,
    after: datetime,
    last_checkin: datetime | None = None,
) -> datetime | None:
    """The next due instant of one kind of nudge, in UTC (check-ins keep their gap)."""
    user_zone = zone(zone_name)
    if kind == "checkin":
        return next_checkin_at(prefs, user_zone, after, last_checkin)
    if kind == "stretch":
        return next_stretch_at(prefs, user_zone, after)
    return next_water_at(prefs, user_zone, after)


@dataclass(frozen=True, slots=True)
class NudgeDecision:
    """One claimed nudge and what became of it: the playground tells each user about theirs."""

    user_id: int
    kind: str
    due_at: datetime
    action: str  # as _Result.action: sent|stale|done|held|off|blocked|retry|defer|...
    next_at: datetime | None  # the next occurrence, or when it is tried again


@dataclass
class DispatchReport:
    """What one dispatcher run did; the benchmarks and tests read it."""

    claimed: int = 0
    sent: int = 0
    skipped_stale: int = 0
    skipped_done: int = 0
    held: int = 0  # not safe now (a flag no doctor cleared, or a safety check under way)
    off: int = 0  # turned off or paused since it was scheduled
    blocked: int = 0
    retried: int = 0
    deferred: int = 0
    failed: int = 0
    unsure: int = 0  # maybe sent (a timeout, or a dispatcher died mid-send): never repeated
    errors: list[str] = field(default_factory=list)
    lag_seconds: float = 0.0  # now minus the oldest claimed nudge's due time (metrics)
    decisions: list[NudgeDecision] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Result:
    nudge: ClaimedNudge
    action: str  # sent|stale|done|held|off|blocked|retry|defer|give_up|unsure
    text_index: int | None = None
    retry_at: datetime | None = None


class NudgeDispatcher:
    """Claims due nudges in batches and sends them through the bot's rate limiter.

    One dispatcher lives as long as the process (it is the job's data), so it remembers
    which chats it wrote to in the last ``SAME_CHAT_GAP``: a user's stretch and water
    nudges due together but claimed in two batches still go out a gap apart.
    """

    def __init__(
        self,
        services: Services,
        bot: ExtBot[None],
        *,
        batch_size: int = 200,
        tick_timeout: float = DISPATCH_TICK_TIMEOUT_SECONDS,
    ) -> None:
        self.services = services
        self.bot = bot
        self.batch_size = batch_size
        self.tick_timeout = tick_timeout
        self.ticking = asyncio.Lock()  # held by the tick under way (see dispatch_nudges)
        self.failed_ticks = 0  # ticks in a row that failed: logged once, then on recovery
        self._stopping = False  # the bot is stopping: no new tick, the one under way ends soon
        self._deadline: asyncio.Timeout | None = None  # the tick under way's
        self._recent_chats: dict[int, datetime] = {}
        self._sent_at: dict[int, float] = {}  # chat -> when its last send finished (monotonic)
        self._in_flight: dict[int, asyncio.Event] = {}  # chats with a send under way
        self._first_cards: dict[int, str] = {}  # stretch nudge id -> its first card, until sent
        self._at_risk: dict[int, int] = {}  # nudge id -> the streak's days at risk, until sent

    def library_of(self, nudge: ClaimedNudge) -> Library:
        """The recipient's library: their stored language, read with the claim (else English)."""
        services = self.services
        return services.library_for(choose_language(nudge.language, None, services.libraries))

    def stop_within(self, seconds: float) -> None:
        """The bot is stopping: start no tick, and cut the one under way off after ``seconds``.

        PTB's job queue waits for a running job but cannot cancel it (it runs shielded),
        so shutdown would wait for a run stuck on a silent database or Telegram.
        """
        self._stopping = True
        if self._deadline is not None:
            when = asyncio.get_running_loop().time() + seconds
            current = self._deadline.when()
            self._deadline.reschedule(when if current is None else min(current, when))

    def stopping(self) -> bool:
        """Whether ``stop_within`` was called."""
        return self._stopping

    async def run_once(self) -> DispatchReport:
        """Claim, send and record one batch; never raises for a single nudge's failure."""
        report = DispatchReport()
        now = self.services.clock()
        async with self.services.transaction() as uow:
            claimed = await uow.nudges.claim_due(now, self.batch_size, LEASE)
            if not claimed:
                return report
            user_ids = [n.user_id for n in claimed]
            streaks = await uow.streaks.of_users(user_ids)
            finished = {user_id: row.last_on for user_id, row in streaks.items()}
            safety = await uow.nudges.safety_of(user_ids)
            checked = await uow.nudges.latest_checkins(
                [n.user_id for n in claimed if n.kind == "checkin"]
            )
            to_send, decided = self._plan(claimed, finished, now, safety, checked)
            # A stretch nudge names the first card of the desk routine its button starts;
            # with nothing to do at a desk now (all of it rests), it is not sent.
            profiles = {u: f.profile for u, f in safety.items() if f.profile is not None}
            nothing: set[int] = set()
            # By language, so each names the card in its reader's words: a query or two
            # per language, never per user.
            for lib, nudges in self._by_library(to_send):
                starts = await nudge_starts(uow, lib, nudges, now, profiles)
                nothing |= starts.nothing
                self._first_cards.update(starts.names)
            decided += [_Result(n, "held") for n in to_send if n.id in nothing]
            to_send = [n for n in to_send if n.id not in nothing]
            rules = self.services.library.rules
            self._at_risk.update(await _at_risk_days(uow, rules, to_send, streaks, safety))
            # In the claim's transaction: a crash from here on counts these as maybe sent.
            await uow.nudges.mark_sending([n.id for n in to_send], now)
        report.claimed = len(claimed)
        report.lag_seconds = max(0.0, (now - min(n.due_at for n in claimed)).total_seconds())
        sent = await self._send_batch(to_send)
        await self._record([*decided, *sent], now, report)
        return report

    def _by_library(
        self, nudges: Sequence[ClaimedNudge]
    ) -> list[tuple[Library, list[ClaimedNudge]]]:
        """The nudges grouped by their recipients' library."""
        grouped: dict[str, tuple[Library, list[ClaimedNudge]]] = {}
        for nudge in nudges:
            lib = self.library_of(nudge)
            grouped.setdefault(lib.language, (lib, []))[1].append(nudge)
        return list(grouped.values())

    async def _send_batch(self, to_send: Sequence[ClaimedNudge]) -> list[_Result]:
        """Send outside any transaction, a bounded number at a time."""
        gate = asyncio.Semaphore(SEND_CONCURRENCY)
        return list(await asyncio.gather(*(self._send_one(nudge, gate) for nudge in to_send)))

    def _plan(
        self,
        claimed: Sequence[ClaimedNudge],
        finished: dict[int, Any],
        now: datetime,
        safety: dict[int, SafetyFacts] | None = None,
        checked: dict[int, datetime] | None = None,
    ) -> tuple[list[ClaimedNudge], list[_Result]]:
        """Split a batch into nudges to send now and those decided without sending.

        Safety and settings are checked here, at send time, from rows read with the
        claim: a flag reported or a reminder turned off after the nudge was scheduled
        still stops it. Such a nudge is moved to its next occurrence, never sent.
        """
        safety = safety or {}
        checked = checked or {}
        rules = self.services.library.rules
        recent = {chat: at for chat, at in self._recent_chats.items() if now - at < SAME_CHAT_GAP}
        to_send: list[ClaimedNudge] = []
        decided: list[_Result] = []
        for nudge in claimed:
            if nudge.blocked_at is not None:
                decided.append(_Result(nudge, "blocked"))
            elif nudge.interrupted:
                # A dispatcher died while sending it: it may have gone out. Never twice.
                decided.append(_Result(nudge, "unsure"))
            elif _turned_off(nudge, now):
                decided.append(_Result(nudge, "off"))
            elif _held_for_safety(nudge, safety.get(nudge.user_id), rules):
                decided.append(_Result(nudge, "held"))
            elif is_stale(nudge.due_at, now):
                decided.append(_Result(nudge, "stale"))
            elif nudge.kind == "stretch" and _finished_today(
                nudge, finished.get(nudge.user_id), now
            ):
                decided.append(_Result(nudge, "done"))
            elif nudge.kind == "checkin" and _checked_in_lately(nudge, checked.get(nudge.user_id)):
                # Asked at /today, or the baseline was taken: not again within the week.
                decided.append(_Result(nudge, "done"))
            elif nudge.user_id in recent:
                # Telegram allows about one message a second per chat: send this one a bit later.
                later = recent[nudge.user_id] + SAME_CHAT_GAP
                decided.append(_Result(nudge, "defer", retry_at=later))
            else:
                recent[nudge.user_id] = now
                to_send.append(nudge)
        self._recent_chats = recent
        return to_send, decided

    async def _send_one(self, nudge: ClaimedNudge, gate: asyncio.Semaphore) -> _Result:
        lib = self.library_of(nudge)
        texts = _texts(lib, nudge.kind)
        seed = zlib.crc32(f"{nudge.user_id}:{nudge.due_at.isoformat()}".encode())
        index = pick_text(len(texts), nudge.last_text_index, seed)
        chosen = texts[index]
        if nudge.kind == "stretch":
            chosen = _stretch_text(lib, chosen, self._first_cards.pop(nudge.id, None))
        at_risk = self._at_risk.pop(nudge.id, None)
        if at_risk is not None:
            chosen += "\n\n" + lib.text("streak_at_risk", days=at_risk)
        text = chosen
        try:
            async with gate:
                await self._space_out(nudge.user_id)
                done = self._in_flight[nudge.user_id] = asyncio.Event()
                try:
                    with background_calls():  # people's answers go first (bot/retry.py)
                        await self.bot.send_message(
                            nudge.user_id, text, reply_markup=_buttons(lib, nudge.kind)
                        )
                finally:
                    del self._in_flight[nudge.user_id]
                    self._sent_at[nudge.user_id] = time_module.monotonic()
                    done.set()
        except Forbidden:
            return _Result(nudge, "blocked")
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return _Result(
                nudge, "retry", retry_at=self.services.clock() + timedelta(seconds=seconds)
            )
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                return _Result(nudge, "blocked")
            log.warning("nudge %s refused: %s", nudge.id, type(error).__name__)
            return _Result(nudge, "give_up")
        except TimedOut:
            # Telegram may have delivered it and answered late: sending again could double it.
            log.warning("nudge %s timed out; not sent again", nudge.id)
            return _Result(nudge, "unsure")
        except NetworkError as error:
            log.warning("nudge %s not sent: %s", nudge.id, type(error).__name__)
            if nudge.attempts + 1 >= MAX_ATTEMPTS:
                return _Result(nudge, "give_up")
            return _Result(nudge, "retry", retry_at=self.services.clock() + RETRY_DELAY)
        return _Result(nudge, "sent", text_index=index)

    async def _space_out(self, chat_id: int) -> None:
        """Wait until this chat's previous nudge is done and ``CHAT_SEND_SPACING`` behind us.

        Planning defers a chat's second nudge by ``SAME_CHAT_GAP`` of the dispatcher's
        clock, but under the rate limiter a send may wait a second or more for its turn,
        so two nudges to one chat could still reach Telegram within a second (a 429).
        This spacing is real time, counted from when the previous send finished.
        """
        while (in_flight := self._in_flight.get(chat_id)) is not None:
            await in_flight.wait()
        now = time_module.monotonic()
        if len(self._sent_at) > 4 * SEND_CONCURRENCY:
            self._sent_at = {
                chat: at for chat, at in self._sent_at.items() if now - at < CHAT_SEND_SPACING
            }
        previous = self._sent_at.get(chat_id)
        if previous is not None and now - previous < CHAT_SEND_SPACING:
            await asyncio.sleep(CHAT_SEND_SPACING - (now - previous))

    async def _record(self, results: list[_Result], now: datetime, report: DispatchReport) -> None:
        """Write the batch back in one transaction: a bulk UPDATE, plus one per blocked user."""
        outcomes: list[NudgeOutcome] = []
        blocked: dict[int, bool] = {}  # user -> already marked blocked before this batch
        for result in results:
            nudge = result.nudge
            upcoming: datetime | None = None
            if result.action == "blocked":
                blocked.setdefault(nudge.user_id, nudge.blocked_at is not None)
                report.blocked += 1
            elif result.action in ("retry", "defer"):
                attempts = nudge.attempts + (1 if result.action == "retry" else 0)
                upcoming = result.retry_at
                outcomes.append(NudgeOutcome(nudge.id, upcoming, attempts))
                report.retried += result.action == "retry"
                report.deferred += result.action == "defer"
            else:
                prefs = prefs_from_settings(nudge.prefs) if nudge.prefs else default_prefs()
                upcoming = next_due(nudge.kind, prefs, nudge.time_zone, max(now, nudge.due_at))
                if result.action == "sent":
                    outcomes.append(
                        NudgeOutcome(nudge.id, upcoming, sent_at=now, text_index=result.text_index)
                    )
                    report.sent += 1
                else:
                    outcomes.append(NudgeOutcome(nudge.id, upcoming))
                    report.skipped_stale += result.action == "stale"
                    report.skipped_done += result.action == "done"
                    report.held += result.action == "held"
                    report.off += result.action == "off"
                    report.failed += result.action == "give_up"
                    report.unsure += result.action == "unsure"
            report.decisions.append(
                NudgeDecision(nudge.user_id, nudge.kind, nudge.due_at, result.action, upcoming)
            )
        async with self.services.transaction() as uow:
            await uow.nudges.release(outcomes)
            for user_id, known in blocked.items():
                if known:
                    await uow.nudges.unschedule_all(user_id)
                else:
                    await uow.users.mark_blocked(user_id, now)


def _buttons(lib: Library, kind: str) -> InlineKeyboardMarkup:
    """The buttons under one kind of nudge, in its reader's language."""
    if kind == "checkin":
        return rows(
            [button(lib.text("btn_checkin_start"), CheckInAnswer(0, 0, "start"))],
            [button(lib.text("btn_checkin_skip_week"), CheckInAnswer(0, 0, "skipweek"))],
        )
    if kind == "stretch":
        return rows(
            [button(stretch_now_label(lib), NudgeAction("stretch"))],
            [button(lib.text("btn_nudge_snooze"), NudgeAction("snooze"))],
        )
    return rows([button(lib.text("btn_nudge_water"), NudgeAction("water"))])


def _texts(lib: Any, kind: str) -> tuple[str, ...]:
    """The texts one kind of nudge picks from."""
    if kind == "checkin":
        return (lib.text("checkin_nudge"),)
    return tuple(lib.nudges.stretch if kind == "stretch" else lib.nudges.water)


async def _at_risk_days(
    uow: UnitOfWork,
    rules: Rules,
    to_send: Sequence[ClaimedNudge],
    streaks: dict[int, Streak],
    safety: dict[int, SafetyFacts],
) -> dict[int, int]:
    """The nudges about to go out that say the streak is at risk: its days, by nudge id.

    The coach picks the evening nudge (``bot.coach.streak_reminder``); only for someone
    who may exercise now (a water nudge goes to people with a flag, this line does not);
    the day is marked by compare-and-set in the claim's transaction, so a crash or a
    second dispatcher never makes it two in a day.
    """
    chosen: dict[date, dict[int, ClaimedNudge]] = {}
    for nudge in to_send:
        row = streaks.get(nudge.user_id)
        if row is None:
            continue
        prefs = prefs_from_settings(nudge.prefs) if nudge.prefs else default_prefs()
        user_zone = zone(nudge.time_zone)
        state = StreakState(row.current, row.best, row.last_on, row.rest_on)
        if not carries_reminder(nudge.kind, nudge.due_at, prefs, user_zone, state, row.reminded_on):
            continue
        if _held_for_safety(replace(nudge, kind="stretch"), safety.get(nudge.user_id), rules):
            continue
        day = nudge.due_at.astimezone(user_zone).date()
        chosen.setdefault(day, {}).setdefault(nudge.user_id, nudge)
    days: dict[int, int] = {}
    for day, by_user in chosen.items():
        for user_id in await uow.streaks.mark_reminded(by_user, day):
            days[by_user[user_id].id] = streaks[user_id].current
    return days


def _stretch_text(lib: Library, template: str, first: str | None) -> str:
    """A stretch nudge's words: naming the first card, or none when there is no routine."""
    if first is None:
        return lib.nudges.stretch_plain
    return stretch_nudge_text(template, first, lib.language)


def _checked_in_lately(nudge: ClaimedNudge, last_started: datetime | None) -> bool:
    """A check-in began within the gap before this one's time: this week's is taken."""
    return last_started is not None and last_started > nudge.due_at - CHECKIN_MIN_GAP


def _finished_today(nudge: ClaimedNudge, last_on: Any, now: datetime) -> bool:
    return last_on is not None and last_on == now.astimezone(zone(nudge.time_zone)).date()


def _turned_off(nudge: ClaimedNudge, now: datetime) -> bool:
    """All reminders or this kind turned off, or paused, since the nudge was scheduled."""
    prefs = nudge.prefs
    if prefs is None:  # never saved settings: the defaults, which are on
        return False
    kind_on = {"stretch": prefs.stretch_enabled, "water": prefs.water_enabled}.get(nudge.kind, True)
    paused = prefs.paused_until is not None and prefs.paused_until > now
    return not (prefs.enabled and kind_on) or paused


def _held_for_safety(nudge: ClaimedNudge, facts: SafetyFacts | None, rules: Rules) -> bool:
    """Stretch and check-in nudges wait while exercise is not allowed; water only in an emergency.

    A check-in is about the plan's progress, so someone told to see a doctor first gets none.
    """
    if facts is None:
        return False
    open_red_flags = facts.red_flag_ids - facts.cleared_ids
    if nudge.kind == "water":
        return bool(open_red_flags) and (
            facts.red_flag == "emergency"
            or red_flag_level(open_red_flags, rules) is RedFlagLevel.EMERGENCY
        )
    answers = (
        TriageAnswers(
            red_flags=facts.red_flag_ids,
            contraindications=facts.contraindication_ids,
            cleared=facts.cleared_ids,
        )
        if facts.has_profile
        else None
    )
    check_open = facts.check_step is not None and is_check_step(facts.check_step)
    return exercise_access(answers, check_open=check_open) in (Access.BLOCKED, Access.CHECK_OPEN)


async def dispatch_nudges(context: LumbarContext) -> None:
    """The repeating job: run batches until one comes back short, for at most a time budget.

    A fixed number of batches per tick capped the fan-out (20 x 200 every 5 s is 800 a
    second); a time budget does not. The loop also ends when the application stops, so
    shutdown never waits for a backlog.

    A tick never hangs: it is cut off after ``tick_timeout`` and the next one runs. Ticks
    never overlap: one that comes due while another runs returns at once (the dispatcher's
    lock), rather than APScheduler skipping it with a warning every interval (233 of them
    in the outage of issue 16). A failure is logged once, however many ticks in a row
    fail, and the recovery once.
    """
    assert context.job is not None and isinstance(context.job.data, NudgeDispatcher)
    dispatcher = context.job.data  # one per process: see schedule_dispatcher
    if dispatcher.stopping():
        return
    if dispatcher.ticking.locked():
        log.debug("nudge dispatch: the last run is still going; this one is skipped")
        return
    async with dispatcher.ticking:
        try:
            async with asyncio.timeout(dispatcher.tick_timeout) as dispatcher._deadline:
                failure = await _run_batches(context, dispatcher)
        except TimeoutError as error:
            if dispatcher.stopping():
                log.info("nudge dispatch: the run under way was cut off, the bot is stopping")
                return
            failure = f"cut off after {dispatcher.tick_timeout:g} s"
            metrics_of(context.bot_data).dispatch_failed(error)
        finally:
            dispatcher._deadline = None
        if failure is not None:
            dispatcher.failed_ticks += 1
            if dispatcher.failed_ticks == 1:
                log.warning("nudge dispatch failed: %s; trying again every run", failure)
        elif dispatcher.failed_ticks:
            log.info("nudge dispatch works again, after %d failed runs", dispatcher.failed_ticks)
            dispatcher.failed_ticks = 0


async def _run_batches(context: LumbarContext, dispatcher: NudgeDispatcher) -> str | None:
    """Batches until one comes back short or the budget is spent; what failed, if anything."""
    deadline = time_module.monotonic() + DISPATCH_BUDGET_SECONDS
    while True:
        try:
            report = await dispatcher.run_once()
        except Exception as error:  # the job must survive a database hiccup; next tick retries
            metrics_of(context.bot_data).dispatch_failed(error)
            return type(error).__name__
        metrics_of(context.bot_data).dispatched(report)
        if report.claimed < dispatcher.batch_size:
            return None
        if not context.application.running or time_module.monotonic() >= deadline:
            return None


def stop_dispatching(app: LumbarApp, seconds: float) -> None:
    """As the bot stops: no new nudge run, and the one under way ends within ``seconds``."""
    if app.job_queue is None:
        return
    for job in app.job_queue.get_jobs_by_name(DISPATCHER_JOB):
        if isinstance(job.data, NudgeDispatcher):
            job.data.stop_within(seconds)


def schedule_dispatcher(app: LumbarApp, settings: Any) -> None:
    """Register the one repeating dispatcher job in PTB's JobQueue (APScheduler 3)."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        dispatch_nudges,
        interval=settings.nudge_interval_seconds,
        first=settings.nudge_interval_seconds,
        name=DISPATCHER_JOB,
        data=NudgeDispatcher(app.bot_data.services, app.bot, batch_size=settings.nudge_batch_size),
        # Two: a run due while the last one goes on starts and returns at once (see
        # dispatch_nudges), so APScheduler never has to skip one with a warning.
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": 30},
    )
