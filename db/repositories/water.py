"""Glasses of water logged from hydration nudges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WaterLog
from db.repositories._sql import insert_for


class WaterRepository:
    """Append-only water log, counted per local day."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def log_glass(
        self, user_id: int, now: datetime, local_on: date, message_id: int | None = None
    ) -> bool:
        """Log one glass at ``now`` on the user's local day; False if that message's
        button already logged one (a double tap, or a press replayed after a restart)."""
        stmt = (
            insert_for(self._session, WaterLog)
            .values(user_id=user_id, logged_at=now, local_on=local_on, message_id=message_id)
            .on_conflict_do_nothing(index_elements=["user_id", "message_id"])
            .returning(WaterLog.id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def count_on(self, user_id: int, local_on: date) -> int:
        """Glasses logged on one local day."""
        stmt = select(func.count()).where(
            WaterLog.user_id == user_id, WaterLog.local_on == local_on
        )
        return int((await self._session.execute(stmt)).scalar_one())
