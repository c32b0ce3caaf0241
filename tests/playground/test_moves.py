"""The status line after a clock move: one user's nudges by kind, what was skipped and why."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.playground.moves import MoveReport
from bot.scheduler import NudgeDecision

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def decided(user_id: int, kind: str, action: str) -> NudgeDecision:
    return NudgeDecision(user_id, kind, AT, action, None)


def test_only_the_users_own_nudges_count_and_each_kind_has_its_name() -> None:
    decisions = [
        decided(1, "checkin", "sent"),
        decided(2, "water", "sent"),  # someone else's
        decided(1, "water", "sent"),
        decided(1, "water", "sent"),
    ]
    mine = MoveReport.of(decisions, 1)
    assert mine.summary() == "1 weekly check-in and 2 water nudges delivered"
    assert mine.sent_count == 3
    assert MoveReport.of(decisions, 2).summary() == "1 water nudge delivered"
    assert MoveReport.of(decisions, 3).summary() == "no nudge was due"
    assert MoveReport.of(decisions, None).sent_count == 4


def test_skips_say_why_and_a_nudge_put_off_is_not_a_skip() -> None:
    decisions = [
        decided(1, "stretch", "off"),
        decided(1, "checkin", "done"),
        decided(1, "water", "defer"),
        decided(1, "water", "sent"),  # two seconds later, in the same move
        decided(2, "water", "blocked"),
    ]
    assert MoveReport.of(decisions, 1).summary() == (
        "1 water nudge delivered; "
        "1 stretch nudge skipped: reminders are turned off or paused; "
        "1 weekly check-in skipped: this week's check-in was already taken"
    )
    assert (
        MoveReport.of(decisions, 2).summary() == "1 water nudge skipped: the user blocked the bot"
    )
    # Put off past the end of the move: the dispatcher job sends it a moment later.
    put_off = MoveReport.of([decided(1, "water", "defer")], 1)
    assert put_off.summary() == "1 more in a moment"
