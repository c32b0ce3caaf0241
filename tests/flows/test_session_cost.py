"""What a session's other updates cost: `/today`, the last card's press, the feeling answer.

Counts of statements per transaction (the handled-update ledger's batched writes left
out), as ``test_press_cost`` counts a press: each statement is CPU, each transaction a
round trip and, on SQLite, the write lock.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from sqlalchemy import event

from bot.emulator import StoredMessage
from tests.flows.conftest import CARD_KINDS, Lumbar
from tests.flows.test_press_cost import answer_sql

LEDGER_TASK = "lumbar-ledger"  # bot.delivery: the batched writes of handled updates


class Transactions:
    """The statements of each transaction the handlers open while counting."""

    def __init__(self, lumbar: Lumbar) -> None:
        self._engine = lumbar.services.engine.sync_engine
        self.log: list[list[str]] = []

    @staticmethod
    def _ledger() -> bool:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return False
        return task is not None and task.get_name() == LEDGER_TASK

    def _begin(self, _conn: Any) -> None:
        if not self._ledger():
            self.log.append([])

    def _statement(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        word = sql.split()[0].upper()
        if word not in ("BEGIN", "COMMIT") and not self._ledger():
            self.log[-1].append(word)

    def __enter__(self) -> Transactions:
        event.listen(self._engine, "begin", self._begin)
        event.listen(self._engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        event.remove(self._engine, "begin", self._begin)
        event.remove(self._engine, "before_cursor_execute", self._statement)


def card_count(messages: list[StoredMessage]) -> int:
    card = next(m for m in messages if m.kind in CARD_KINDS)
    return int((card.caption or "").split("Card 1 of ")[1].split()[0])


async def test_a_session_costs_few_statements_in_few_transactions(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    total = card_count(await lumbar.press(ann, "Start my first session"))
    for _ in range(total - 1):
        await lumbar.press(ann, "Done")

    with Transactions(lumbar) as last:
        out = await lumbar.press(ann, "Done")
    assert "How does your back feel now?" in (out[-1].caption or "")
    # The workout with its owner, streak and answers read in one; the position moved and
    # the session closed by one compare-and-set; the answer; the day; the streak (the
    # rest-day rule noted with it). Once the summary is on screen: the question was asked.
    answer = answer_sql(lumbar)  # the compare-and-set and the answer
    assert last.log == [["SELECT", *answer, "INSERT", "INSERT"], ["UPDATE"]]

    with Transactions(lumbar) as feeling:
        out = await lumbar.press(ann, "Better")
    # The thanks is said on the summary's caption, in place.
    assert out[0].kind in CARD_KINDS and "Great to hear" in (out[0].caption or "")
    assert (out[-1].text or "").startswith("One more minute")  # the baseline's question
    # One transaction: the workout and the gate, the feeling stored, the month's
    # workouts with their answers, the levels, the newest check-in; then the baseline
    # check-in begins (the first session since the check), its nudge scheduled.
    (only,) = feeling.log
    assert only[:5] == ["SELECT", "UPDATE", "SELECT", "SELECT", "SELECT"]

    lumbar.clock.advance(days=1)
    with Transactions(lumbar) as today:
        out = await lumbar.send(ann, "/today")
    assert any(m.kind in CARD_KINDS for m in out)
    # A blocked user coming back (one read); the session: the user touched, the profile,
    # check, streak, settings and check-ins in one read, the day's workouts, the levels,
    # the new workout; then the card's message id.
    assert today.log == [
        ["SELECT"],
        ["UPDATE", "SELECT", "SELECT", "SELECT", "INSERT"],
        ["UPDATE"],
    ]
    total = card_count(out)
    for _ in range(total):
        await lumbar.press(ann, "Done")

    with Transactions(lumbar) as feeling:
        out = await lumbar.press(ann, "Better")
    (summary,) = out  # no new message: the thanks joins the summary in place
    assert summary.kind in CARD_KINDS and "Great to hear" in (summary.caption or "")
    # The baseline is there already: reads only, and the feeling itself.
    assert feeling.log == [["SELECT", "UPDATE", "SELECT", "SELECT", "SELECT"]]
