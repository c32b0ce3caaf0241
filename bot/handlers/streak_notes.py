"""What the streak tells the user, once each: the rule, milestones, a streak's end.

The coach decides (``bot.coach.streak``); this stores that it was told, by a
compare-and-set on the streak row, so two replicas or a double tap never tell twice.
The evening "at risk" line rides on a nudge: see ``bot.scheduler``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot.access import exercise_access
from bot.coach.streak import StreakState, ended, milestone, tell_rule
from bot.coach.timezones import zone
from bot.coach.triage import Access
from bot.handlers.common import say
from bot.services import LumbarContext
from bot.uow import UnitOfWork
from content.schema import Library
from db.models import Streak

NOTE_KEY = "streak_note"


def state_of(row: Streak | None) -> StreakState:
    """The coach's view of a stored streak (none stored: no streak yet)."""
    if row is None:
        return StreakState()
    return StreakState(row.current, row.best, row.last_on, row.rest_on)


async def counted_day_note(
    uow: UnitOfWork,
    lib: Library,
    saved: Streak,
    before: StreakState,
    after: StreakState,
    now: datetime,
) -> str | None:
    """A session just counted a day: a milestone reached, and the rule if never told."""
    lines = []
    reached = milestone(before, after)
    if reached is not None:
        lines.append(lib.text(f"streak_milestone_{reached}"))
    told = saved.rule_told_at is not None
    if tell_rule(after, told) and await uow.streaks.mark_rule_told(saved.user_id, now):
        lines.append(lib.text("streak_rule"))
    return "\n\n".join(lines) or None


def summary_note(summary: Mapping[str, object]) -> str:
    """The streak's lines for a session summary (after its streak line), or nothing."""
    note = summary.get(NOTE_KEY)
    return f"\n\n{note}" if note else ""


async def ended_note(
    uow: UnitOfWork, lib: Library, row: Streak | None, today: date, *, starting: bool
) -> str | None:
    """A streak worth keeping ended and was not told yet: say so kindly, once.

    Only to someone who may exercise now: no "start again" before a doctor has looked,
    or while the safety check is open (they are told the next time, once allowed).
    """
    if row is None:
        return None
    state = state_of(row)
    length = ended(state, today, row.end_told_on)
    if not length or state.last_on is None:
        return None
    if await exercise_access(uow, row.user_id) is not Access.ALLOWED:
        return None
    if not await uow.streaks.mark_end_told(row.user_id, state.last_on):
        return None
    how = lib.text("streak_ended_now" if starting else "streak_ended_next")
    return lib.text("streak_ended", days=length, best=state.best) + " " + how


async def tell_if_ended(context: LumbarContext, user_id: int) -> None:
    """Before a session starts: a streak that ended since the last visit, said once."""
    now = context.services.clock()
    async with context.services.transaction() as uow:
        row = await uow.streaks.get(user_id)
        user = await uow.users.get(user_id) if row is not None else None
        note = None
        if row is not None and user is not None:
            today = now.astimezone(zone(user.time_zone)).date()
            note = await ended_note(uow, context.services.library, row, today, starting=True)
    if note is not None:
        await say(context, user_id, note)
