"""Random input through the whole bot: every update is answered or ignored on purpose.

Hypothesis drives sequences of commands, text (emoji, 4096 characters), stickers,
photos, voice notes, locations, contacts, files, edited messages, presses on live and
old buttons, forged callback data, groups and channels, blocking and unblocking. After
every step: no error was logged; a private message got an answer, a press was
acknowledged, an edit got none. After every sequence the user's rows are consistent.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.coach.triage_flow import TriageStep
from bot.emulator import FakeUser
from bot.handlers.reminders import AWAIT_STEPS
from tests.faults.harness import Lumbar, all_rows, seed_profile

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

# CI runs the same 25 sequences every time; LUMBAR_FUZZ_EXAMPLES=500 explores afresh.
EXAMPLES = int(os.environ.get("LUMBAR_FUZZ_EXAMPLES", "25"))
MAX_STEPS = 12
COMMANDS = [
    "/start",
    "/help",
    "/today",
    "/stretch",
    "/progress",
    "/reminders",
    "/settings",
    "/cancel",
    "/forget",
    "/export",
    "/stats",
    "/triage",
    "/dance",
    "/START",
    "/today@lumbar_test_bot",
    "/start some arguments",
]
EMOJI = ["🙂", "💪🏽", "🧘‍♀️", "👨‍👩‍👧", "🔥" * 30, "🇩🇪", "❤️"]
LONG = ["a" * 4096, "é" * 4096, ("back pain " * 410)[:4096], "7" * 4096]
TRIAGE_WORDS = ["Berlin", "15:45", "Europe/Paris", "no", "yes", "done", "10", "<b>x</b>", "&amp;"]
FORGED = [
    "c1:1:0:done",
    "c1:999999:0:done",
    "c1:1:99:next",
    "c1:1:1:gentler",
    "t1:0:yes",
    "t1:1:r.Europe",
    "t1:999999:c.Berlin",
    "f1:1:better",
    "f1:999999:worse",
    "n1:water",
    "n1:snooze",
    "n1:stretch",
    "m1:forget:yes",
    "m1:forget:no",
    "m1:go:today",
    "m1:go:nowhere",
    "m1:rem:off",
    "m1:rem:pause7",
    "m1:rem:times",
    "m1:set:zone",
    "m1:clear:yes",
    "x",
    "c1::0:done",
    "t1:-1:yes",
    "🙂",
    "c2:1:0:done",
    "m1:rem:stretch",  # on whichever message: a card is a picture, with no text to redraw
    "m1:rem:\udcff",  # lone surrogates, which no client sends
]

user_text = st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != "")
step = st.one_of(
    st.tuples(st.just("command"), st.sampled_from(COMMANDS)),
    st.tuples(st.just("text"), user_text | st.sampled_from(TRIAGE_WORDS + EMOJI)),
    st.tuples(st.just("text"), st.sampled_from(LONG)),
    st.tuples(st.just("sticker"), st.sampled_from(EMOJI)),
    st.tuples(st.just("photo"), st.none() | user_text),
    st.tuples(st.just("voice")),
    st.tuples(
        st.just("location"),
        st.floats(-90, 90, allow_nan=False),
        st.floats(-180, 180, allow_nan=False),
    ),
    st.tuples(st.just("contact")),
    st.tuples(st.just("document")),
    st.tuples(st.just("edit"), st.integers(0, 50), user_text),
    st.tuples(st.just("press"), st.integers(0, 200)),
    st.tuples(st.just("press"), st.integers(0, 200)),  # pressing buttons is most of the use
    st.tuples(st.just("press_old"), st.integers(0, 500)),
    st.tuples(
        st.just("forged"),
        st.sampled_from(FORGED) | st.text(min_size=1, max_size=64),
        st.integers(0, 50),
    ),
    st.tuples(st.just("group"), st.sampled_from(["/start", "/today", "hello all", "/help@x"])),
    st.tuples(st.just("channel"), st.sampled_from(["/start", "news"])),
    st.tuples(st.just("block_unblock")),
)
sequence = st.tuples(st.booleans(), st.lists(step, min_size=3, max_size=MAX_STEPS))

_user_ids = itertools.count(50_000)
# How much went through the bot; conftest prints it in the run's summary.
FUZZED = {"sequences": 0, "steps": 0, "updates": 0}


class ErrorLog(logging.Handler):
    """Collects ERROR records of the bot, python-telegram-bot and the emulator."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@settings(
    max_examples=EXAMPLES,
    derandomize="LUMBAR_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=sequence)
async def test_random_input_is_answered_and_leaves_consistent_rows(
    lumbar: Lumbar, db_url: str, error_log: ErrorLog, plan: tuple[bool, list[tuple[Any, ...]]]
) -> None:
    profiled, steps = plan
    error_log.records.clear()  # the bot and its error log live across examples
    user = lumbar.user(next(_user_ids), name="Fuzz")
    if profiled:
        await seed_profile(lumbar, user)
    FUZZED["sequences"] += 1
    first_update = len(lumbar.server.all_updates)
    for number, action in enumerate(steps):
        FUZZED["steps"] += 1
        await _do(lumbar, user, action)
        errors = [f"{r.name}: {r.getMessage()}" for r in error_log.records]
        assert errors == [], f"step {number} {action[0]!r} logged errors"
    FUZZED["updates"] += len(lumbar.server.all_updates) - first_update
    await _check_rows(lumbar, db_url, user)


async def _do(lumbar: Lumbar, user: FakeUser, action: tuple[Any, ...]) -> None:
    server = lumbar.server
    kind = action[0]
    chat = server.private_chat(user)
    before = len(server.bot_messages(user, include_deleted=True))
    answered = True  # a private message needs an answer; other steps say otherwise below
    query_id: str | None = None
    match action:
        case ("command", command):
            server.send_text(user, command)
        case ("text", words):
            server.send_text(user, words)
        case ("sticker", emoji):
            server.send_sticker(user, emoji)
        case ("photo", caption):
            server.send_photo(user, 64, 48, caption=caption)
        case ("voice",):
            server.send_voice(user)
        case ("location", latitude, longitude):
            server.send_location(user, latitude, longitude)
        case ("contact",):
            server.send_contact(user)
        case ("document",):
            server.send_document(user)
        case ("edit", index, words):
            own = [m for m in server.chat(user) if not m.from_bot and m.text and not m.deleted]
            if not own:
                return
            server.edit_text(user, own[index % len(own)].message_id, words)
            answered = False
        case ("press", index):
            live = [
                (m.message_id, data)
                for m in server.bot_messages(user)
                for row in m.buttons
                for _, data in row
                if data is not None
            ]
            if not live:
                return
            message_id, data = live[index % len(live)]
            query_id = server.press(user, message_id, data)
        case ("press_old", index):
            seen = [
                (m.message_id, b.get("callback_data"))
                for m in server.bot_messages(user, include_deleted=True)
                for version in [*(v.reply_markup for v in m.history), m.reply_markup]
                for row in (version or {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data")
            ]
            if not seen:
                return
            message_id, data = seen[index % len(seen)]
            query_id = server.press(user, message_id, data, force=True)
        case ("forged", data, index):
            mine = server.bot_messages(user)
            if not mine:
                return
            query_id = server.press(user, mine[index % len(mine)].message_id, data, force=True)
        case ("group", words):
            group = -(user.id * 10 + 1)
            if group not in server.chats or server.chats[group].bot_status == "left":
                server.add_bot_to_group(user, group)
            server.send_group_text(user, group, words)
            answered = False
        case ("channel", words):
            server.channel_post(-(user.id * 10 + 2), words)
            answered = False
        case ("block_unblock",):
            server.block(user)
            await server.settle(quiet=0.1)
            server.unblock(user)
            answered = False
        case _:
            raise AssertionError(f"unknown step {action!r}")
    if query_id is not None:
        await server.wait_for(
            lambda: query_id in server.callback_answers, what=f"an answer to press {action!r}"
        )
    elif answered:
        await server.wait_for(
            lambda: len(server.bot_messages(user, include_deleted=True)) > before,
            what=f"an answer to {kind!r}",
        )
    await server.settle(quiet=0.1)
    if kind == "edit":
        assert len(server.bot_messages(user, include_deleted=True)) == before
    if kind == "group":
        lines = [m for m in server.chat(-(user.id * 10 + 1)) if m.from_bot]
        assert all("private chat" in (m.text or "") for m in lines)
    if kind == "channel":
        assert not [m for m in server.chat(-(user.id * 10 + 2)) if m.from_bot]
    assert not chat.blocked


async def _check_rows(lumbar: Lumbar, db_url: str, user: FakeUser) -> None:
    rows = await all_rows(db_url)
    mine = {name: [r for r in table if r.get("user_id") == user.id] for name, table in rows.items()}
    known_steps = {step.value for step in TriageStep} | set(AWAIT_STEPS.values())
    for state in mine["triage_state"]:
        assert state["step"] in known_steps
    finished_days: set[date] = set()
    for workout in (w for w in rows["workout"] if w["user_id"] == user.id):
        results = sorted(
            r["position"] for r in rows["exercise_result"] if r["workout_id"] == workout["id"]
        )
        assert 0 <= workout["position"] <= len(workout["plan"])
        assert results == list(range(workout["position"])), "an answer lost or counted twice"
        if workout["finished_at"] is not None:
            finished_days.add(workout["local_on"])
            assert workout["ended_early"] or workout["position"] == len(workout["plan"])
    open_ones = [
        (w["kind"], w["local_on"])
        for w in rows["workout"]
        if w["user_id"] == user.id and w["finished_at"] is None
    ]
    assert len(open_ones) == len(set(open_ones)), "two open sessions of one kind on one day"
    days = {d["day_on"] for d in mine["streak_day"]}
    assert days <= finished_days, "a streak day without a finished session"
    for streak in mine["streak"]:
        assert 0 <= streak["current"] <= streak["best"] <= max(len(days), 1)
    assert len(mine["nudge"]) == len({n["kind"] for n in mine["nudge"]}) <= 2
    assert all(n["kind"] in ("stretch", "water") for n in mine["nudge"])
    for name, table in rows.items():
        for row in table:
            for column in ("id", "user_id"):
                value = row.get(column)
                if name != "file_cache" and isinstance(value, int):
                    assert value > 0, f"a group or channel stored in {name}"
    async with lumbar.services.engine.connect() as conn:
        broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
    assert broken == []


async def test_found_by_fuzzing_latin_american_cities_can_be_picked(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seed_profile(lumbar, ann)
    await lumbar.send(ann, "/settings")
    await lumbar.press(ann, "Change time zone")
    await lumbar.press(ann, "Pick from a list")
    out = await lumbar.press(ann, "Latin America")
    assert "Sorry" not in " ".join(m.text_or_caption for m in out)
    out = await lumbar.press(ann, "São Paulo")
    assert "America/Sao_Paulo" in " ".join(m.text_or_caption for m in out)
