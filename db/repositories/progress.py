"""Per-exercise progression levels and when an exercise last hurt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache

from sqlalchemy import Executable, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ExerciseProgress
from db.repositories._sql import insert_for


class ExerciseProgressRepository:
    """The state progression rules read and write, one row per user and exercise."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def levels(self, user_id: int) -> dict[str, ExerciseProgress]:
        """Every exercise the user has a level or a hurt mark for, by exercise id."""
        rows = await self._session.scalars(_levels_statement(), {"user_id": user_id})
        return {row.exercise_id: row for row in rows}

    async def levels_of(self, user_ids: Sequence[int]) -> dict[int, dict[str, ExerciseProgress]]:
        """``levels`` for several users in one query (the dispatcher's batch)."""
        found: dict[int, dict[str, ExerciseProgress]] = {}
        if not user_ids:
            return found
        rows = await self._session.scalars(
            select(ExerciseProgress)
            .where(ExerciseProgress.user_id.in_(sorted(set(user_ids))))
            .execution_options(populate_existing=True)
        )
        for row in rows:
            found.setdefault(row.user_id, {})[row.exercise_id] = row
        return found

    async def set_level(self, user_id: int, exercise_id: str, level: int, now: datetime) -> None:
        """Store the exercise's new level, keeping any hurt mark."""
        stmt = insert_for(self._session, ExerciseProgress.__table__).values(  # Core: cheaper
            user_id=user_id, exercise_id=exercise_id, level=level, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "exercise_id"],
            set_={"level": level, "updated_at": now},
        )
        await self._session.execute(stmt)

    async def mark_hurt(self, user_id: int, exercise_id: str, on: date, now: datetime) -> None:
        """Remember the local day the exercise hurt, keeping its level."""
        stmt = insert_for(self._session, ExerciseProgress.__table__).values(  # Core: cheaper
            user_id=user_id, exercise_id=exercise_id, level=0, hurt_on=on, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "exercise_id"],
            set_={"hurt_on": on, "updated_at": now},
        )
        await self._session.execute(stmt)


@cache
def _levels_statement() -> Executable:
    """``levels``' statement, built once (every /today and feeling answer runs it)."""
    return (
        select(ExerciseProgress)
        .where(ExerciseProgress.user_id == bindparam("user_id"))
        .execution_options(populate_existing=True)
    )
