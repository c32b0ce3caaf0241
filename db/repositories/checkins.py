"""Weekly check-ins and the plan's phase changes: the trend the coach reads."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, Exists

from db.models import CheckIn, PhaseChange


def under_way_for(user_id: int | ColumnElement[int]) -> Exists:
    """Whether the user has a check-in under way (neither completed nor skipped).

    On its own alias, so it is never correlated with a ``CheckIn`` row selected beside it.
    """
    other = aliased(CheckIn)
    return (
        select(other.id)
        .where(other.user_id == user_id, other.completed_at.is_(None), other.skipped.is_(False))
        .exists()
    )


class CheckInRepository:
    """Check-ins (baseline and weekly), stored answer by answer, and phase changes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(
        self,
        user_id: int,
        kind: str,
        local_on: date,
        now: datetime,
        phase: str | None,
        *,
        pain: int | None = None,
    ) -> CheckIn:
        """Open a check-in; its answers follow one by one (``pain`` may come with it)."""
        row = CheckIn(
            user_id=user_id,
            kind=kind,
            local_on=local_on,
            started_at=now,
            skipped=False,
            activities={},
            phase=phase,
            pain=pain,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def open(self, user_id: int) -> CheckIn | None:
        """The check-in under way, if any (neither completed nor skipped)."""
        result = await self._session.scalars(
            select(CheckIn)
            .where(
                CheckIn.user_id == user_id,
                CheckIn.completed_at.is_(None),
                CheckIn.skipped.is_(False),
            )
            .order_by(CheckIn.started_at.desc(), CheckIn.id.desc())
            .limit(1)
        )
        return result.first()

    async def get(self, checkin_id: int) -> CheckIn | None:
        """One check-in by id."""
        return await self._session.get(CheckIn, checkin_id, populate_existing=True)

    async def answer(self, checkin_id: int, **values: Any) -> bool:
        """Store answers (``pain``, ``function``, ``activities``) on an open check-in."""
        result = await self._session.execute(
            update(CheckIn)
            .where(
                CheckIn.id == checkin_id,
                CheckIn.completed_at.is_(None),
                CheckIn.skipped.is_(False),
            )
            .values(**values)
            .returning(CheckIn.id)
        )
        return result.first() is not None

    async def complete(self, checkin_id: int, now: datetime) -> bool:
        """Close an open check-in as answered; False if it was closed already."""
        return await self.answer(checkin_id, completed_at=now)

    async def skip(self, checkin_id: int, now: datetime) -> bool:
        """Close an open check-in as skipped; False if it was closed already."""
        return await self.answer(checkin_id, skipped=True, completed_at=now)

    async def history(self, user_id: int) -> list[CheckIn]:
        """Every answered check-in, oldest first (skipped ones are left out)."""
        result = await self._session.scalars(
            select(CheckIn)
            .where(
                CheckIn.user_id == user_id,
                CheckIn.completed_at.is_not(None),
                CheckIn.skipped.is_(False),
            )
            .order_by(CheckIn.started_at, CheckIn.id)
        )
        return list(result)

    async def latest(self, user_id: int) -> CheckIn | None:
        """The newest check-in in any state (answered, skipped or open)."""
        result = await self._session.scalars(
            select(CheckIn)
            .where(CheckIn.user_id == user_id)
            .order_by(CheckIn.started_at.desc(), CheckIn.id.desc())
            .limit(1)
        )
        return result.first()

    async def latest_and_open(self, user_id: int) -> tuple[CheckIn | None, bool]:
        """``latest``, and whether any check-in is under way (``open``), in one query."""
        stmt = _latest_and_open_statement()
        row = (await self._session.execute(stmt, {"user_id": user_id})).first()
        return (None, False) if row is None else (row[0], bool(row[1]))

    async def add_phase_change(
        self,
        user_id: int,
        *,
        now: datetime,
        local_on: date,
        from_phase: str,
        to_phase: str,
        reason: str,
    ) -> PhaseChange:
        """Record a move of the plan to another phase."""
        row = PhaseChange(
            user_id=user_id,
            changed_at=now,
            local_on=local_on,
            from_phase=from_phase,
            to_phase=to_phase,
            reason=reason,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def phase_changes(self, user_id: int) -> list[PhaseChange]:
        """Every phase change, oldest first."""
        result = await self._session.scalars(
            select(PhaseChange)
            .where(PhaseChange.user_id == user_id)
            .order_by(PhaseChange.changed_at, PhaseChange.id)
        )
        return list(result)


@cache
def _latest_and_open_statement() -> Executable:
    """``latest_and_open``'s statement, built once (every feeling answer runs it; building
    its subquery cost more than running it), the user id as the parameter ``user_id``."""
    return (
        select(CheckIn, under_way_for(bindparam("user_id")))
        .where(CheckIn.user_id == bindparam("user_id"))
        .order_by(CheckIn.started_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
