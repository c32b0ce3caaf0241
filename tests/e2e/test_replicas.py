"""Two replicas behind HAProxy on one PostgreSQL: SIGKILL each in turn under a steady crowd.

The emulator POSTs updates to HAProxy as Telegram would (several in flight, retried
until a 2xx answer). A crowd of scripted users, already past the safety check, press
through their session cards, double-tap now and then, and ask for /help; other users
get stretch nudges that fall due during the run. Replica A is SIGKILLed mid-stream and
started again, then replica B. Afterwards: every update was handled, none twice (one
stored answer and one next card per press, one nudge per user at most), each
session's answers stored in the order they were given. The longest a user waited for
an answer while a replica died is printed (the README quotes it).
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

import pytest
from sqlalchemy import select

from bot.callbacks import CardAnswer, Feeling, NudgeAction, decode, encode
from bot.emulator import BotApiServer, FakeUser, StoredMessage
from bot.emulator.errors import EmulatorTimeoutError, ScenarioError
from content.loader import load_library
from db.migrate import upgrade_to_head
from db.models import ExerciseResult, HandledUpdate, Workout
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.process import TOKEN
from tests.e2e.replicas import Balancer, PgDeployment, Replica, ReplicaSet, find_haproxy, free_port
from tests.seeding import EVERY_DAY, seed_finished_triage

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

T = TypeVar("T")
Step = tuple[Literal["card", "feeling"], StoredMessage]  # what came after a press

WALKERS = 12  # users pressing through sessions
NUDGED = 16  # users who only get a stretch nudge during the run
ANSWER_TIMEOUT = 15.0  # a user who waited this long counts their update as lost
LIBRARY = load_library()


def _plain(html_text: str) -> str:
    """What a user reads of an HTML message (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


HELP_MARK = _plain(LIBRARY.text("help"))[:40]
THANKS_MARK = _plain(LIBRARY.text("feeling_thanks_same"))[:30]
SUMMARY_MARK = _plain(LIBRARY.text("session_summary")).split("\n", 1)[0]


@pytest.fixture
async def replicas(
    pg_server_url: str, tmp_path: Path, card_cache: Path
) -> AsyncIterator[ReplicaSet]:
    """Two replicas' settings, HAProxy running in front of them, a fresh PostgreSQL database."""
    binary = find_haproxy()
    if binary is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy)")
    url = await create_pg_database(pg_server_url, prefix="lumbar_replicas")
    try:
        await upgrade_to_head(url)
        # Telegram's retry pace, shortened: a failed POST comes again within a second.
        async with BotApiServer(
            token=TOKEN, webhook_timeout=15.0, webhook_backoff=0.2, webhook_max_backoff=1.0
        ) as server:
            deploy = PgDeployment(server, tmp_path, card_cache, database_url=url)
            names = {"a": free_port(), "b": free_port()}
            balancer = Balancer(binary, tmp_path, free_port(), names)
            await balancer.start()
            replica_set = ReplicaSet(
                deploy,
                balancer,
                {name: Replica(name, port) for name, port in names.items()},
                extra_env={"NUDGE_INTERVAL_SECONDS": "0.5"},
            )
            try:
                yield replica_set
            finally:
                await server.webhook.clear()
                for run in deploy.runs:
                    await run.ensure_gone()
                await balancer.stop()
    finally:
        await drop_pg_database(pg_server_url, url)


# --- reading the chats ------------------------------------------------------------------


def _callbacks(message: StoredMessage) -> list[object]:
    """Every button's decoded data the message ever showed (edits take buttons away)."""
    markups = [v.reply_markup for v in message.history] + [message.reply_markup]
    return [
        decode(button.get("callback_data"))
        for markup in markups
        for row in (markup or {}).get("inline_keyboard", [])
        for button in row
    ]


def card_key(message: StoredMessage) -> tuple[int, int] | None:
    """(workout, position) of the card a message shows now (or showed last).

    A session is one message redrawn in place, so the newest card buttons say where it is.
    """
    versions = [message.content, *(v.content for v in message.history)]
    if not any(v.get("photo") or v.get("animation") for v in versions):
        return None
    for markup in [message.reply_markup, *(v.reply_markup for v in reversed(message.history))]:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = decode(button.get("callback_data"))
                if isinstance(data, CardAnswer):
                    return data.workout_id, data.position
    return None


def feeling_key(message: StoredMessage) -> int | None:
    """The workout a "how does your back feel?" message asks about."""
    for data in _callbacks(message):
        if isinstance(data, Feeling):
            return data.workout_id
    return None


def is_nudge(message: StoredMessage) -> bool:
    """A stretch or water nudge (its buttons)."""
    return any(isinstance(data, NudgeAction) for data in _callbacks(message))


# --- the crowd --------------------------------------------------------------------------


@dataclass
class Action:
    """One thing a user did and when the answer they waited for came."""

    user_id: int
    what: str  # "/today", "/stretch", "/help", "press", "feeling"
    sent: float
    update_ids: list[int]
    card: tuple[int, int] | None = None  # the card pressed: (workout, position)
    workout: int | None = None  # the session asked about (a feeling press)
    double: bool = False  # pressed twice at once
    answered: float | None = None

    @property
    def wait(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent


@dataclass
class Crowd:
    """Scripted users: sessions card by card, a double tap now and then, /help between."""

    server: BotApiServer
    users: list[FakeUser]
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    actions: list[Action] = field(default_factory=list)
    lost: list[Action] = field(default_factory=list)
    answers: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # workout: given
    helps: Counter[int] = field(default_factory=Counter)
    feelings: Counter[int] = field(default_factory=Counter)
    doubles: int = 0
    stopping: bool = False

    async def walk(self, user: FakeUser) -> None:
        command = "/today"
        while not self.stopping:
            await self.session(user, command)
            command = "/stretch"  # today's session is done once; stretches go on
            if not self.stopping and self.rng.random() < 0.5:
                await self.ask_help(user)

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.3, 0.8))

    def _sent(
        self, user: FakeUser, what: str, since: int, card: tuple[int, int] | None = None
    ) -> Action:
        ids = [int(u["update_id"]) for u in self.server.all_updates[since:]]
        action = Action(user.id, what, time.monotonic(), ids, card)
        self.actions.append(action)
        return action

    async def _expect(self, action: Action, found: Callable[[], T | None]) -> T | None:
        try:
            result = await self.server.wait_for(found, ANSWER_TIMEOUT, what=action.what)
        except EmulatorTimeoutError:
            self.lost.append(action)
            return None
        action.answered = time.monotonic()
        return result

    def _cards(self, user: FakeUser) -> dict[tuple[int, int], StoredMessage]:
        """The user's cards by (workout, position); of two copies, one still pressable."""
        found: dict[tuple[int, int], StoredMessage] = {}
        for message in self.server.bot_messages(user):
            key = card_key(message)
            if key is not None and (key not in found or message.inline_keyboard):
                found[key] = message
        return found

    async def session(self, user: FakeUser, command: str) -> None:
        await self.think()
        before = set(self._cards(user))
        mark = len(self.server.all_updates)
        self.server.send_text(user, command)
        action = self._sent(user, command, mark)

        def first_card() -> tuple[tuple[int, int], StoredMessage] | None:
            fresh = [(k, m) for k, m in self._cards(user).items() if k not in before]
            return fresh[-1] if fresh else None

        found = await self._expect(action, first_card)
        if found is None:
            return
        (workout, position), card = found
        while not self.stopping:
            await self.think()
            choice = self.rng.choice(("done", "done", "skip"))
            data = encode(CardAnswer(workout, position, choice))
            mark = len(self.server.all_updates)
            try:
                self.server.press(user, card.message_id, data)
            except ScenarioError:  # the card lost its buttons: its answer went astray
                self.lost.append(
                    Action(user.id, "press", time.monotonic(), [], (workout, position))
                )
                return
            double = self.rng.random() < 0.15
            if double:  # a second tap before anything came back
                self.server.press(user, card.message_id, data)
                self.doubles += 1
            action = self._sent(user, "press", mark, (workout, position))
            action.double = double
            self.answers.setdefault(workout, []).append((position, choice))

            def next_step(w: int = workout, p: int = position) -> Step | None:
                cards = self._cards(user)
                if (w, p + 1) in cards:
                    return "card", cards[(w, p + 1)]
                asked = [m for m in self.server.bot_messages(user) if feeling_key(m) == w]
                return ("feeling", asked[0]) if asked else None

            step = await self._expect(action, next_step)
            if step is None:
                return
            kind, card = step
            if kind == "feeling":
                await self.feel(user, workout, card)
                return
            position += 1

    async def feel(self, user: FakeUser, workout: int, asked: StoredMessage) -> None:
        if self.stopping:
            return
        await self.think()
        mark = len(self.server.all_updates)
        self.server.press(user, asked.message_id, encode(Feeling(workout, "same")))
        self.feelings[user.id] += 1
        wanted = self.feelings[user.id]
        action = self._sent(user, "feeling", mark)
        action.workout = workout
        await self._expect(action, lambda: self.thanked(user) >= wanted)

    async def ask_help(self, user: FakeUser) -> None:
        await self.think()
        mark = len(self.server.all_updates)
        self.server.send_text(user, "/help")
        self.helps[user.id] += 1
        wanted = self.helps[user.id]
        action = self._sent(user, "/help", mark)
        await self._expect(action, lambda: self.count(user, HELP_MARK) >= wanted)

    def count(self, user: FakeUser, mark: str) -> int:
        return sum(1 for m in self.server.bot_messages(user) if m.text_or_caption.startswith(mark))

    def thanked(self, user: FakeUser) -> int:
        """Messages saying the thanks for a feeling: it joins the end of the summary it
        answers (edited in place), or is a message of its own when that cannot carry it."""
        return sum(1 for m in self.server.bot_messages(user) if THANKS_MARK in m.text_or_caption)


# --- the test ---------------------------------------------------------------------------


async def _seed(replicas: ReplicaSet, walkers: list[FakeUser], nudged: list[FakeUser]) -> None:
    now = datetime.now(UTC)
    async with replicas.deploy.transaction() as uow:
        for user in walkers:
            replicas.server.private_chat(user)
            await seed_finished_triage(uow, user, now, reminders=False)
        for user in nudged:
            replicas.server.private_chat(user)
            await seed_finished_triage(uow, user, now, stretch_days=EVERY_DAY)
            await uow.nudges.schedule(user.id, "water", None)
            await uow.nudges.schedule(user.id, "stretch", None)


async def _nudges_due(replicas: ReplicaSet, nudged: list[FakeUser], over: float) -> None:
    """Stretch nudges falling due one after another over the next ``over`` seconds."""
    now = datetime.now(UTC)
    async with replicas.deploy.transaction() as uow:
        for n, user in enumerate(nudged):
            due = now + timedelta(seconds=0.5 + over * n / len(nudged))
            await uow.nudges.schedule(user.id, "stretch", due)


async def test_sigkill_each_replica_in_turn_loses_and_doubles_nothing(
    replicas: ReplicaSet,
) -> None:
    server = replicas.server
    walkers = [server.user(5000 + n, first_name=f"W{n}") for n in range(WALKERS)]
    nudged = [server.user(6000 + n, first_name=f"N{n}") for n in range(NUDGED)]
    await _seed(replicas, walkers, nudged)
    started = time.monotonic()
    startup = await replicas.start("a", "b")
    assert server.webhook.config is not None and server.webhook.config.url == replicas.balancer.url

    crowd = Crowd(server, walkers)
    walking = [asyncio.create_task(crowd.walk(user)) for user in walkers]
    # name, killed at, marked down after, back in service after, killed mid-request
    kills: list[tuple[str, float, float, float, bool]] = []
    try:
        await _nudges_due(replicas, nudged, over=22.0)
        await asyncio.sleep(5.0)
        for name in ("a", "b"):
            busy = await replicas.balancer.wait_busy(name)  # mid-request, if it comes
            killed_at = time.monotonic()
            await replicas.kill(name)
            down = await replicas.balancer.wait_state(name, "DOWN", 10)
            await asyncio.sleep(1.5)
            back = await replicas.start(name)
            kills.append((name, killed_at, down, back, busy))
            await asyncio.sleep(3.0)
    finally:
        crowd.stopping = True
        await asyncio.wait(walking, timeout=ANSWER_TIMEOUT + 5)
    for task in walking:
        assert task.done() and task.exception() is None, task
    await server.settle(quiet=1.0, timeout=30)
    codes = await replicas.stop_all()
    output = replicas.output()

    # --- every update handled, by the bot's own account and by the emulator's
    sent_ids = {int(u["update_id"]) for u in server.all_updates}
    taken = server.webhook.taken()
    assert set(taken) == sent_ids, "an update never got a 2xx answer"
    async with replicas.deploy.transaction() as uow:
        ledger = set((await uow.session.scalars(select(HandledUpdate.update_id))).all())
        results = (await uow.session.scalars(select(ExerciseResult))).all()
        workouts = {w.id: w for w in (await uow.session.scalars(select(Workout))).all()}
    assert ledger == sent_ids, f"not in the ledger: {sorted(sent_ids - ledger)}"

    # --- each press stored once, in the order given; one next card or summary per press
    stored: dict[int, list[ExerciseResult]] = {}
    for row in results:
        stored.setdefault(row.workout_id, []).append(row)
    outcome_of = {"done": "done", "skip": "skipped"}
    for workout_id, given in crowd.answers.items():
        rows = sorted(stored.get(workout_id, []), key=lambda r: r.answered_at)
        assert [(r.position, r.outcome) for r in rows] == [(p, outcome_of[c]) for p, c in given], (
            f"workout {workout_id}: stored answers differ from the presses"
        )
    assert set(stored) <= set(crowd.answers)

    # --- no answer twice: per card, per finished session, per /help and feeling press.
    # An answer may come twice only for an update whose replica died after sending it and
    # before recording the update (at-least-once, README "When a process dies").
    caught = _caught_by_kills(server, [at for _, at, _, _, _ in kills])
    last = {w: max(p for p, _ in given) for w, given in crowd.answers.items()}
    doubled: list[str] = []
    resent: list[str] = []
    for user in walkers:
        mine = [a for a in crowd.actions if a.user_id == user.id and caught & set(a.update_ids)]
        messages = server.bot_messages(user, include_deleted=True)
        cards = Counter(k for m in messages if (k := card_key(m)) is not None)
        asked = Counter(f for m in messages if (f := feeling_key(m)) is not None)
        # (what, how many times it came, how many of its causes a kill caught)
        doubles = {a.card for a in crowd.actions if a.user_id == user.id and a.double}
        counted: list[tuple[str, int, int]] = [
            (
                f"card {(w, p)}{' after a double tap' if (w, p - 1) in doubles else ''}",
                n,
                sum(a.card == (w, p - 1) for a in mine),
            )
            for (w, p), n in cards.items()
        ]
        counted += [
            (f"feeling question {w}", n, sum(a.card == (w, last.get(w, -1)) for a in mine))
            for w, n in asked.items()
        ]
        thanks, helps = crowd.thanked(user), crowd.count(user, HELP_MARK)
        summaries = crowd.count(user, SUMMARY_MARK)
        finished = {w for w, p in last.items() if (w, p) in {a.card for a in mine}}
        counted += [
            ("session summary", summaries - len(asked) + 1, len(finished & set(asked))),
            (
                "thanks",
                thanks - crowd.feelings[user.id] + 1,
                sum(a.what == "feeling" for a in mine),
            ),
            (
                "/help answer",
                helps - crowd.helps[user.id] + 1,
                sum(a.what == "/help" for a in mine),
            ),
        ]
        for what, n, excused in counted:
            line = f"user {user.id}: {what} x{n}"
            if n > 1 + excused:
                doubled.append(line)
            elif n > 1:
                resent.append(line)
        assert all(workouts[w].finished_at is not None for w in asked)
    nudges = {u.id: [m for m in server.bot_messages(u) if is_nudge(m)] for u in nudged}
    doubled += [f"user {u}: {len(ms)} nudges" for u, ms in nudges.items() if len(ms) > 1]

    # --- what a kill cost the users
    answered = [a for a in crowd.actions if a.answered is not None]

    def longest(actions: list[Action]) -> float:
        return max((a.wait or 0.0 for a in actions), default=0.0)

    costs, outage = [], []
    for name, at, down, back, busy in kills:
        waiting = [
            a for a in crowd.actions if a.sent <= at <= (a.answered or a.sent + ANSWER_TIMEOUT)
        ]
        caught_here = [a for a in waiting if a.answered is not None]
        after = [a for a in answered if at < a.sent <= at + down + 2.0]
        outage += caught_here + after
        never = len(waiting) - len(caught_here)
        costs.append(
            f"{name} killed{' mid-request' if busy else ''} with {len(waiting)} users "
            f"waiting ({f'{never} never answered, ' if never else ''}"
            f"the others waited up to {longest(caught_here):.2f} s; users who wrote in "
            f"the next {down + 2:.1f} s up to {longest(after):.2f} s); HAProxy marked it "
            f"down in {down:.2f} s; serving again {back:.1f} s after its restart"
        )
    calm = [a for a in answered if a not in outage]
    report = (
        f"failover: {len(kills)} kills survived; {len(sent_ids)} updates "
        f"({len(caught)} in flight at a kill, "
        f"{len({d.update_id for d in server.webhook.failures()})} POSTed again by the emulator), "
        f"{len(crowd.actions)} user actions ({crowd.doubles} double taps); "
        f"lost {len(crowd.lost)}, doubled {len(doubled)}, re-sent after a kill {len(resent)}; "
        f"nudges sent {sum(len(ms) for ms in nudges.values())}/{NUDGED}, "
        f"twice {sum(len(ms) > 1 for ms in nudges.values())}; "
        f"longest wait during a kill {longest(outage):.2f} s, otherwise {longest(calm):.2f} s "
        f"(median {statistics.median(a.wait or 0.0 for a in answered):.2f} s); "
        + "; ".join(costs)
        + f"; start-up of both {startup:.1f} s, whole run {time.monotonic() - started:.1f} s"
    )
    print(report)
    log = replicas.deploy.workdir / "crowd.log"
    _write_log(log, crowd, server, walkers, kills, replicas)
    assert not crowd.lost, f"{report}\nlost: {crowd.lost}\nsee {log}"
    assert not doubled, f"{report}\ndoubled: {doubled}\nre-sent: {resent}\nsee {log}"
    assert sum(len(ms) for ms in nudges.values()) >= NUDGED // 2, report
    assert codes == {"a": 0, "b": 0}, output
    assert "Traceback" not in output, output


def _caught_by_kills(server: BotApiServer, kills: list[float]) -> set[int]:
    """Updates whose POST was under way when a replica was killed (on either replica)."""
    return {
        d.update_id
        for d in server.webhook.deliveries
        if any(d.started <= at <= (d.finished or at) for at in kills)
    }


def _write_log(
    path: Path,
    crowd: Crowd,
    server: BotApiServer,
    walkers: list[FakeUser],
    kills: list[tuple[str, float, float, float, bool]],
    replicas: ReplicaSet,
) -> None:
    """Everything needed to understand a failure: actions, chats, POSTs, kills, logs."""
    lines = [f"kill {name} at {at:.2f}, down after {down:.2f} s" for name, at, down, _, _ in kills]
    for user in walkers:
        lines.append(f"=== user {user.id}")
        for a in crowd.actions:
            if a.user_id == user.id:
                card = f" {a.card}{' twice' if a.double else ''}" if a.card else ""
                lines.append(
                    f"  {a.sent:.2f} {a.what}{card} updates {a.update_ids} waited {a.wait}"
                )
        for m in server.chat(user):
            who = "bot" if m.from_bot else "user"
            key = card_key(m) or feeling_key(m) or ""
            lines.append(f"  #{m.message_id} {who} {m.kind} {key} {m.text_or_caption[:50]!r}")
    lines += [
        f"POST {d.update_id} #{d.attempt} {d.started:.2f}-{d.finished or 0:.2f} {d.status} "
        f"{d.error or ''}"
        for d in server.webhook.deliveries
    ]
    lines += [replicas.output(), "--- haproxy ---", *replicas.balancer.lines]
    path.write_text("\n".join(lines) + "\n")
