"""Glasses of water logged from hydration nudges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WaterLog


class WaterRepository:
    """Append-only water log, counted per local day."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def log_glass(self, user_id: int, now: datetime, local_on: date) -> WaterLog:
        """Log one glass at ``now`` on the user's local day ``local_on``."""
        entry = WaterLog(user_id=user_id, logged_at=now, local_on=local_on)
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def count_on(self, user_id: int, local_on: date) -> int:
        """Glasses logged on one local day."""
        stmt = select(func.count()).where(
            WaterLog.user_id == user_id, WaterLog.local_on == local_on
        )
        return int((await self._session.execute(stmt)).scalar_one())
