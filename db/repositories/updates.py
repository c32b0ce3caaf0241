"""The ledger of handled Telegram updates, for at-least-once delivery without doing work twice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandledUpdate
from db.repositories._sql import dialect_name, insert_in

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
        await self._session.execute(_record_statement(dialect_name(self._session)), rows)

    async def prune(self, now: datetime) -> int:
        """Forget updates older than Telegram could deliver again; returns how many."""
        stmt = delete(HandledUpdate).where(HandledUpdate.handled_at < now - KEEP_FOR)
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)


@cache
def _record_statement(dialect: str) -> Executable:
    """``record``'s INSERT, built and compiled once: the rows come as parameters (one
    execute of many), where a VALUES list of their own made every batch a new statement
    to compile (issue 17)."""
    table = cast(Table, HandledUpdate.__table__)
    return insert_in(dialect, table).on_conflict_do_nothing(index_elements=["update_id"])
