"""What the streak tells the user, once each: the rule, milestones, a streak's end.

The coach decides (``bot.coach.streak``); this stores that it was told, by a
compare-and-set on the streak row, so two replicas or a double tap never tell twice.
The evening "at risk" line rides on a nudge: see ``bot.scheduler``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.access import exercise_access
from bot.coach.streak import StreakState, ended, milestone, tell_rule
from bot.coach.triage import Access
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import Streak

NOTE_KEY = "streak_note"


def state_of(row: Streak | None) -> StreakState:
    """The coach's view of a stored streak (none stored: no streak yet)."""
    if row is None:
        return StreakState()
    return StreakState(row.current, row.best, row.last_on, row.rest_on)


def rule_to_tell(row: Streak | None, after: StreakState) -> bool:
    """Whether the day just counted tells the rest-day rule (the stored streak: ``row``).

    The caller stores it with the streak (``StreakRepository.save(rule_told=True)``), which
    notes it only once, however many replicas count a day at the same moment.
    """
    return tell_rule(after, row is not None and row.rule_told_at is not None)


def counted_day_note(
    lib: Library, before: StreakState, after: StreakState, *, rule_told: bool
) -> str | None:
    """A session just counted a day: a milestone reached, and the rule if told now."""
    lines = []
    reached = milestone(before, after)
    if reached is not None:
        lines.append(lib.text(f"streak_milestone_{reached}"))
    if rule_told:
        lines.append(lib.text("streak_rule"))
    return "\n\n".join(lines) or None


def summary_note(summary: Mapping[str, object]) -> str:
    """The streak's lines for a session summary (after its streak line), or nothing."""
    note = summary.get(NOTE_KEY)
    return f"\n\n{note}" if note else ""


async def ended_note(
    uow: UnitOfWork,
    lib: Library,
    row: Streak | None,
    today: date,
    *,
    starting: bool,
    allowed: bool | None = None,
) -> str | None:
    """A streak worth keeping ended and was not told yet: say so kindly, once.

    Only to someone who may exercise now: no "start again" before a doctor has looked,
    or while the safety check is open (they are told the next time, once allowed).
    ``allowed``: the gate's answer when the caller has it already (else it is read).
    """
    if row is None:
        return None
    state = state_of(row)
    length = ended(state, today, row.end_told_on)
    if not length or state.last_on is None:
        return None
    if allowed is None:
        allowed = await exercise_access(uow, row.user_id) is Access.ALLOWED
    if not allowed:
        return None
    if not await uow.streaks.mark_end_told(row.user_id, state.last_on):
        return None
    how = lib.text("streak_ended_now" if starting else "streak_ended_next")
    return lib.text("streak_ended", days=length, best=state.best) + " " + how
