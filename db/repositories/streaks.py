"""The running streak and the days it is made of."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ExerciseResult, Streak, StreakDay, Workout
from db.repositories._held import keep
from db.repositories._sql import insert_for


class StreakRepository:
    """Streak numbers (computed by the coach) and the idempotent list of active days."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._held: dict[int, object] = {}  # rows read in this unit of work (``_held``)
        self._absent: set[int] = set()  # users known to have no streak row (``hold``)

    async def get(self, user_id: int) -> Streak | None:
        """The stored streak, if the user ever finished a session.

        A row already read in this transaction comes from the session without a query:
        ``save`` refreshes it from RETURNING and the ``mark_*`` UPDATEs set it too.
        """
        if user_id in self._absent:
            return None
        return keep(self._held, user_id, await self._session.get(Streak, user_id))

    def hold(self, user_id: int, row: Streak | None) -> None:
        """The user's streak as a joined query read it (None: no row), so ``get`` needs none."""
        if row is None:
            self._absent.add(user_id)
        else:
            self._absent.discard(user_id)
            keep(self._held, user_id, row)

    async def last_days(self, user_ids: list[int]) -> dict[int, date | None]:
        """The last counted local day of each user, in one query (for a batch of nudges)."""
        if not user_ids:
            return {}
        stmt = select(Streak.user_id, Streak.last_on).where(Streak.user_id.in_(set(user_ids)))
        return {row.user_id: row.last_on for row in await self._session.execute(stmt)}

    async def of_users(self, user_ids: Iterable[int]) -> dict[int, Streak]:
        """The stored streaks of a batch of users, in one query (for a batch of nudges)."""
        wanted = set(user_ids)
        if not wanted:
            return {}
        rows = await self._session.scalars(select(Streak).where(Streak.user_id.in_(wanted)))
        return {row.user_id: row for row in rows}

    async def mark_rule_told(self, user_id: int, now: datetime) -> bool:
        """Note that the rest-day rule was explained; True only the first time."""
        stmt = (
            update(Streak)
            .where(Streak.user_id == user_id, Streak.rule_told_at.is_(None))
            .values(rule_told_at=now)
            .returning(Streak.user_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def mark_end_told(self, user_id: int, last_on: date) -> bool:
        """Note that the end of the streak whose last day was ``last_on`` was told; True once."""
        stmt = (
            update(Streak)
            .where(
                Streak.user_id == user_id,
                Streak.last_on == last_on,
                or_(Streak.end_told_on.is_(None), Streak.end_told_on != last_on),
            )
            .values(end_told_on=last_on)
            .returning(Streak.user_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def mark_reminded(self, user_ids: Iterable[int], day_on: date) -> set[int]:
        """Note a streak reminder on local ``day_on``; the users not reminded that day yet."""
        wanted = set(user_ids)
        if not wanted:
            return set()
        stmt = (
            update(Streak)
            .where(
                Streak.user_id.in_(wanted),
                or_(Streak.reminded_on.is_(None), Streak.reminded_on < day_on),
            )
            .values(reminded_on=day_on)
            .returning(Streak.user_id)
        )
        return set((await self._session.scalars(stmt)).all())

    async def add_day(self, user_id: int, day_on: date) -> bool:
        """Mark a local day as active; True only the first time for that day."""
        stmt = (
            insert_for(self._session, StreakDay)
            .values(user_id=user_id, day_on=day_on, sessions=1)
            .on_conflict_do_nothing(index_elements=["user_id", "day_on"])
            .returning(StreakDay.day_on)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def save(
        self,
        user_id: int,
        current: int,
        best: int,
        last_on: date | None,
        rest_on: date | None,
        now: datetime,
        *,
        rule_told: bool = False,
    ) -> Streak:
        """Store the streak the coach computed.

        ``rule_told``: the rest-day rule is told with it, unless it was already (as
        ``mark_rule_told``): the returned row's ``rule_told_at`` is ``now`` only if this
        call noted it.
        """
        values: dict[str, Any] = {
            "current": current,
            "best": best,
            "last_on": last_on,
            "rest_on": rest_on,
            "updated_at": now,
        }
        updates = dict(values)
        if rule_told:
            values["rule_told_at"] = now
            updates["rule_told_at"] = func.coalesce(Streak.rule_told_at, now)
        stmt = insert_for(self._session, Streak).values(user_id=user_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=updates)
        result = await self._session.scalars(
            stmt.returning(Streak), execution_options={"populate_existing": True}
        )
        self._absent.discard(user_id)
        return keep(self._held, user_id, result.one())

    async def days_between(self, user_id: int, start_on: date, end_on: date) -> dict[date, int]:
        """Active local days in ``start_on``..``end_on`` inclusive, with their session counts."""
        rows = await self._session.execute(
            select(StreakDay.day_on, StreakDay.sessions)
            .where(StreakDay.user_id == user_id, StreakDay.day_on.between(start_on, end_on))
            .order_by(StreakDay.day_on)
        )
        return {day_on: sessions for day_on, sessions in rows}

    async def sessions_by_day(self, user_id: int, start_on: date, end_on: date) -> dict[date, int]:
        """Sessions that count, by local day in ``start_on``..``end_on`` inclusive.

        A session counts as the streak counts a day: finished, with at least one
        exercise done (one that only hurt, or was closed for safety, does not).
        """
        rows = await self._session.execute(
            select(Workout.local_on, func.count(func.distinct(Workout.id)))
            .join(ExerciseResult, ExerciseResult.workout_id == Workout.id)
            .where(
                Workout.user_id == user_id,
                Workout.local_on.between(start_on, end_on),
                Workout.finished_at.is_not(None),
                ExerciseResult.outcome == "done",
            )
            .group_by(Workout.local_on)
            .order_by(Workout.local_on)
        )
        return {day_on: int(count) for day_on, count in rows}
