"""The ledger of handled Telegram updates, for at-least-once delivery without doing work twice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandledUpdate
from db.repositories._sql import insert_for

# Telegram keeps an unconfirmed update for 24 hours; a day more covers clock skew.
KEEP_FOR = timedelta(days=2)


class HandledUpdateRepository:
    """Which update ids were handled to the end, by this process or another one."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def handled(self, update_ids: Iterable[int]) -> set[int]:
        """The ids among ``update_ids`` that were handled before."""
        ids = list(update_ids)
        if not ids:
            return set()
        stmt = select(HandledUpdate.update_id).where(HandledUpdate.update_id.in_(ids))
        return set((await self._session.execute(stmt)).scalars())

    async def ceiling(self) -> int | None:
        """The highest update id handled so far: any id above it cannot have been handled."""
        stmt = select(func.max(HandledUpdate.update_id))
        value = (await self._session.execute(stmt)).scalar_one_or_none()
        return None if value is None else int(value)

    async def record(self, update_ids: Iterable[int], now: datetime) -> None:
        """Mark updates handled; recording one twice (two replicas raced) is harmless."""
        rows = [{"update_id": update_id, "handled_at": now} for update_id in update_ids]
        if not rows:
            return
        stmt = insert_for(self._session, HandledUpdate.__table__).values(rows)  # Core: cheaper
        await self._session.execute(stmt.on_conflict_do_nothing(index_elements=["update_id"]))

    async def prune(self, now: datetime) -> int:
        """Forget updates older than Telegram could deliver again; returns how many."""
        stmt = delete(HandledUpdate).where(HandledUpdate.handled_at < now - KEEP_FOR)
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)
