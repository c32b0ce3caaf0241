"""What one card press costs: one transaction of three statements, one chat-bound call.

Telegram allows about one message a second per chat and thirty a second per bot, so
each chat-bound call is budget; each statement is CPU. These are counts, not times.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.flows.conftest import Lumbar

CHAT_BOUND = ("send", "edit", "delete", "copy", "forward")


async def test_a_done_press_is_three_statements_and_one_edit(lumbar: Lumbar) -> None:
    bob = lumbar.user(2002, name="Bob")  # goes first, so the pictures are known by file id
    await lumbar.triage(bob, start=False)
    await lumbar.press(bob, "Start my first session")
    await lumbar.press(bob, "Done")
    await lumbar.press(bob, "Done")
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    await lumbar.press(ann, "Start my first session")
    await lumbar.press(ann, "Done")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql.split()[0].upper())

    engine = lumbar.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    calls = len(lumbar.server.calls)
    try:
        message, data = lumbar.find_button(ann, "Done")
        query_id = lumbar.server.press(ann, message.message_id, data)
        await lumbar.server.wait_for(lambda: query_id in lumbar.server.callback_answers, 10)
        processor = lumbar.app.update_processor
        await lumbar.server.wait_for(lambda: not processor.busy(ann.id), 10)  # type: ignore[attr-defined]
        during = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    await lumbar.server.settle(quiet=0.3)
    made = [c.method for c in lumbar.server.calls[calls:] if c.method != "getUpdates"]
    assert [m for m in made if m.startswith(CHAT_BOUND)] == ["editMessageMedia"]
    assert made.count("answerCallbackQuery") == 1
    # One read (the workout, its owner, profile, open check, last answer), the position
    # moved by compare-and-set, the answer stored; no other transaction. PostgreSQL does
    # the last two in one statement (the UPDATE in a WITH), SQLite cannot.
    assert [s for s in during if s not in ("BEGIN", "COMMIT")] == ["SELECT", *answer_sql(lumbar)]


def answer_sql(lumbar: Lumbar) -> list[str]:
    """The statements that store a press's answer, by their first word, on this database."""
    if lumbar.services.engine.dialect.name == "postgresql":
        return ["WITH"]
    return ["UPDATE", "INSERT"]
