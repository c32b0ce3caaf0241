"""Telegram file ids of pictures already uploaded, so each is sent by id after the first time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FileCache
from db.repositories._sql import insert_for


class FileCacheRepository:
    """A key (what was rendered) to file id map."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        """The file id stored for ``key``, if any."""
        stmt = select(FileCache.file_id).where(FileCache.key == key)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def put(self, key: str, file_id: str, now: datetime) -> None:
        """Store or replace the file id for ``key``."""
        stmt = insert_for(self._session, FileCache).values(key=key, file_id=file_id, created_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"file_id": file_id, "created_at": now}
        )
        await self._session.execute(stmt)
