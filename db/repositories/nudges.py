"""Reminder settings and the due-nudge queue the dispatcher claims from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import Any, Literal, cast

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CheckIn, Nudge, NudgeSettings, Profile, TriageState, User
from db.repositories._sql import insert_for


class Unset(Enum):
    """Marks a settings field the caller leaves as it is."""

    UNSET = "unset"


UNSET: Literal[Unset.UNSET] = Unset.UNSET


@dataclass(frozen=True, slots=True)
class NudgePrefs:
    """The user's reminder settings, as the dispatcher needs them to plan the next nudge."""

    enabled: bool
    stretch_enabled: bool
    stretch_times: tuple[str, ...]
    stretch_days: int
    water_enabled: bool
    water_interval_minutes: int
    wake_start: time
    wake_end: time
    quiet_start: time | None
    quiet_end: time | None
    paused_until: datetime | None
    checkin_weekday: int = 0
    checkin_time: time = time(10, 0)


@dataclass(frozen=True, slots=True)
class ClaimedNudge:
    """One due nudge, leased to this dispatcher, with what it needs to send and reschedule."""

    id: int
    user_id: int
    kind: str
    due_at: datetime
    last_text_index: int | None
    attempts: int
    time_zone: str
    blocked_at: datetime | None
    # None when the user never saved reminder settings.
    prefs: NudgePrefs | None
    # A send of this occurrence began under a lease that ran out without a result: the
    # dispatcher died mid-send, and the nudge may have gone out.
    interrupted: bool = False
    # The user's stored language (None: none stored), read with the claim: sent in it.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class NudgeOutcome:
    """What a dispatcher run decided for one claimed nudge, to be written back in bulk.

    ``sent_at`` is set only when the nudge went out; ``due_at`` is the next occurrence
    (or the retry time), None when nothing more is due.
    """

    id: int
    due_at: datetime | None
    attempts: int = 0
    sent_at: datetime | None = None
    text_index: int | None = None


@dataclass(frozen=True, slots=True)
class SafetyFacts:
    """A user's flags and open check, as the dispatcher reads them just before sending."""

    has_profile: bool
    red_flag: str = "none"  # none|soon|emergency, as the last check stored it
    red_flag_ids: frozenset[str] = frozenset()
    contraindication_ids: frozenset[str] = frozenset()
    cleared_ids: frozenset[str] = frozenset()
    check_step: str | None = None  # the stored triage step, if any
    # The whole profile, read by the same query: a stretch nudge names the first card of
    # the routine planned from it (bot/desk.py).
    profile: Profile | None = field(default=None, compare=False)


_PREF_COLUMNS = (
    NudgeSettings.enabled,
    NudgeSettings.stretch_enabled,
    NudgeSettings.stretch_times,
    NudgeSettings.stretch_days,
    NudgeSettings.water_enabled,
    NudgeSettings.water_interval_minutes,
    NudgeSettings.wake_start,
    NudgeSettings.wake_end,
    NudgeSettings.quiet_start,
    NudgeSettings.quiet_end,
    NudgeSettings.paused_until,
    NudgeSettings.checkin_weekday,
    NudgeSettings.checkin_time,
)


def _claimable(now: datetime) -> tuple[Any, ...]:
    """Due, and not leased by a dispatcher that may still be sending it."""
    return (
        Nudge.due_at <= now,
        or_(Nudge.claimed_until.is_(None), Nudge.claimed_until < now),
    )


def claim_statement(now: datetime, limit: int) -> Select[*tuple[Any, ...]]:
    """The claim query: due, unleased rows by due time over ix_nudge_due_at, locked SKIP LOCKED."""
    return (
        select(
            Nudge.id,
            Nudge.user_id,
            Nudge.kind,
            Nudge.due_at,
            Nudge.last_text_index,
            Nudge.attempts,
            Nudge.claimed_until,
            Nudge.last_sent_at,
            User.time_zone,
            User.blocked_at,
            User.language,
            NudgeSettings.user_id.label("prefs_user_id"),
            *_PREF_COLUMNS,
        )
        .join(User, User.id == Nudge.user_id)
        .outerjoin(NudgeSettings, NudgeSettings.user_id == Nudge.user_id)
        .where(*_claimable(now))
        .order_by(Nudge.due_at, Nudge.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Nudge)
    )


class NudgeRepository:
    """Settings per user, one queue row per (user, kind), and lease-based claiming."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_settings(self, user_id: int) -> NudgeSettings | None:
        """The user's reminder settings, if they ever saved any."""
        return await self._session.get(NudgeSettings, user_id, populate_existing=True)

    async def save_settings(
        self,
        user_id: int,
        *,
        now: datetime,
        enabled: bool | Unset = UNSET,
        stretch_enabled: bool | Unset = UNSET,
        stretch_times: list[str] | Unset = UNSET,
        stretch_days: int | Unset = UNSET,
        water_enabled: bool | Unset = UNSET,
        water_interval_minutes: int | Unset = UNSET,
        wake_start: time | Unset = UNSET,
        wake_end: time | Unset = UNSET,
        quiet_start: time | Unset | None = UNSET,
        quiet_end: time | Unset | None = UNSET,
        paused_until: datetime | Unset | None = UNSET,
        checkin_weekday: int | Unset = UNSET,
        checkin_time: time | Unset = UNSET,
    ) -> NudgeSettings:
        """Change the given fields (the rest keep their value, or the defaults on first save)."""
        given: dict[str, Any] = {
            "enabled": enabled,
            "stretch_enabled": stretch_enabled,
            "stretch_times": stretch_times,
            "stretch_days": stretch_days,
            "water_enabled": water_enabled,
            "water_interval_minutes": water_interval_minutes,
            "wake_start": wake_start,
            "wake_end": wake_end,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "paused_until": paused_until,
            "checkin_weekday": checkin_weekday,
            "checkin_time": checkin_time,
        }
        values = {key: value for key, value in given.items() if value is not UNSET}
        values["updated_at"] = now
        stmt = insert_for(self._session, NudgeSettings).values(user_id=user_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        result = await self._session.scalars(
            stmt.returning(NudgeSettings), execution_options={"populate_existing": True}
        )
        return result.one()

    async def swap_menu(self, user_id: int, message_id: int) -> int | None:
        """Remember the /reminders screen now on the user's phone; the one it replaces, if any."""
        result = await self._session.execute(
            select(NudgeSettings.menu_message_id).where(NudgeSettings.user_id == user_id)
        )
        previous = result.scalar_one_or_none()
        await self._session.execute(
            update(NudgeSettings)
            .where(NudgeSettings.user_id == user_id)
            .values(menu_message_id=message_id)
        )
        return previous if previous != message_id else None

    async def for_user(self, user_id: int) -> list[Nudge]:
        """The user's queue rows (one per kind), e.g. to show the next reminder times."""
        rows = await self._session.scalars(
            select(Nudge)
            .where(Nudge.user_id == user_id)
            .order_by(Nudge.kind)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def schedule(self, user_id: int, kind: str, due_at: datetime | None) -> None:
        """Set when the user's nudge of this kind is next due (None: not at all); drops leases."""
        stmt = insert_for(self._session, Nudge).values(
            user_id=user_id, kind=kind, due_at=due_at, attempts=0
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "kind"],
            set_={"due_at": due_at, "claimed_until": None, "attempts": 0},
        )
        await self._session.execute(stmt)

    async def unschedule_all(self, user_id: int) -> None:
        """Stop every nudge of the user (reminders off, blocked, or erased)."""
        await self._session.execute(
            update(Nudge).where(Nudge.user_id == user_id).values(due_at=None, claimed_until=None)
        )

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedNudge]:
        """Lease up to ``limit`` due nudges, oldest first; concurrent callers get disjoint rows.

        On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED until the caller
        commits, and the lease keeps them from other dispatchers until ``now + lease``.
        SQLite ignores row locks; one bot process per SQLite file is the rule.
        """
        stmt = claim_statement(now, limit)
        rows = (await self._session.execute(stmt)).all()
        if not rows:
            return []
        await self._session.execute(
            update(Nudge)
            .where(Nudge.id.in_([row.id for row in rows]))
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return [_claimed(row) for row in rows]

    async def mark_sending(self, nudge_ids: Sequence[int], now: datetime) -> None:
        """Sends are about to start: after a crash, these occurrences count as maybe sent.

        One UPDATE for the whole batch, in the claim's transaction: a write per nudge
        held SQLite's only writer once per send and cut the fan-out by more than half.
        """
        if nudge_ids:
            await self._session.execute(
                update(Nudge)
                .where(Nudge.id.in_(list(nudge_ids)))
                .values(last_sent_at=now)
                .execution_options(synchronize_session=False)
            )

    async def release(self, outcomes: Sequence[NudgeOutcome]) -> None:
        """Write back a batch's outcomes and drop their leases, with one bulk UPDATE by id.

        SQLAlchemy groups the rows by the columns they set, so a batch costs one
        executemany per kind of outcome (sent, or not) instead of one statement per nudge.
        """
        rows: list[dict[str, Any]] = []
        for outcome in outcomes:
            row: dict[str, Any] = {
                "id": outcome.id,
                "due_at": outcome.due_at,
                "attempts": outcome.attempts,
                "claimed_until": None,
            }
            if outcome.sent_at is not None:
                row["last_sent_at"] = outcome.sent_at
                row["last_text_index"] = outcome.text_index
            rows.append(row)
        if rows:
            await self._session.execute(update(Nudge), rows)

    async def due_rows_count(self, now: datetime) -> int:
        """How many nudges are due and unclaimed (the dispatcher's backlog)."""
        stmt = select(func.count()).select_from(Nudge).where(*_claimable(now))
        return int((await self._session.execute(stmt)).scalar_one())

    async def next_claimable_at(self, until: datetime) -> datetime | None:
        """The first moment, up to ``until``, when some nudge is due and not leased.

        The playground steps its clock through these, so each nudge is dispatched at its
        own time. It reads every row due by then: meant for small databases.
        """
        rows = await self._session.execute(
            select(Nudge.due_at, Nudge.claimed_until).where(Nudge.due_at <= until)
        )
        moments = [
            due if lease is None else max(due, lease)
            for due, lease in rows
            if due is not None and (lease is None or lease <= until)
        ]
        return min(moments, default=None)

    async def latest_checkins(self, user_ids: Sequence[int]) -> dict[int, datetime]:
        """When each user's newest check-in (of any kind, in any state) began: one query."""
        if not user_ids:
            return {}
        stmt = (
            select(CheckIn.user_id, func.max(CheckIn.started_at))
            .where(CheckIn.user_id.in_(sorted(set(user_ids))))
            .group_by(CheckIn.user_id)
        )
        found: dict[int, datetime] = {}
        for user_id, started_at in (await self._session.execute(stmt)).all():
            if started_at is not None:
                # SQLite hands an aggregate back naive: the column's type is not applied.
                found[user_id] = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        return found

    async def safety_of(self, user_ids: Sequence[int]) -> dict[int, SafetyFacts]:
        """What a claimed batch's users reported and cleared, and any open check: one query.

        The profile comes whole (the stretch nudge plans from it). Users with neither a
        profile nor a check under way are left out.
        """
        if not user_ids:
            return {}
        stmt = (
            select(User.id, Profile, TriageState.step)
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .outerjoin(TriageState, TriageState.user_id == User.id)
            .where(User.id.in_(sorted(set(user_ids))))
        )
        facts: dict[int, SafetyFacts] = {}
        rows = await self._session.execute(stmt.execution_options(populate_existing=True))
        for user_id, found, open_step in rows.all():
            # Outer joins: either may be missing (a check under way, or none open).
            profile, step = cast("Profile | None", found), cast("str | None", open_step)
            if profile is None and step is None:
                continue
            facts[user_id] = SafetyFacts(
                has_profile=profile is not None,
                red_flag=(profile.red_flag if profile else None) or "none",
                red_flag_ids=frozenset((profile.red_flag_ids if profile else None) or ()),
                contraindication_ids=frozenset(
                    (profile.contraindication_ids if profile else None) or ()
                ),
                cleared_ids=frozenset((profile.cleared_ids if profile else None) or ()),
                check_step=step,
                profile=profile,
            )
        return facts


def _claimed(row: Any) -> ClaimedNudge:
    prefs = None
    if row.prefs_user_id is not None:
        prefs = NudgePrefs(
            enabled=row.enabled,
            stretch_enabled=row.stretch_enabled,
            stretch_times=tuple(row.stretch_times or ()),
            stretch_days=row.stretch_days,
            water_enabled=row.water_enabled,
            water_interval_minutes=row.water_interval_minutes,
            wake_start=row.wake_start,
            wake_end=row.wake_end,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            paused_until=row.paused_until,
            checkin_weekday=row.checkin_weekday,
            checkin_time=row.checkin_time,
        )
    return ClaimedNudge(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        due_at=row.due_at,
        last_text_index=row.last_text_index,
        attempts=row.attempts,
        time_zone=row.time_zone,
        blocked_at=row.blocked_at,
        prefs=prefs,
        interrupted=row.claimed_until is not None
        and row.last_sent_at is not None
        and row.last_sent_at >= row.due_at,
        language=row.language,
    )
