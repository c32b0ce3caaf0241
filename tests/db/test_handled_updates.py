"""The ledger of handled updates: what a second delivery of an update is checked against."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.updates import KEEP_FOR, HandledUpdateRepository


async def test_recorded_updates_are_found_and_recording_twice_is_harmless(
    session: AsyncSession, now: datetime
) -> None:
    ledger = HandledUpdateRepository(session)
    assert await ledger.ceiling() is None
    assert await ledger.handled([1, 2, 3]) == set()
    await ledger.record([1, 3], now)
    await ledger.record([3], now)  # the other replica finished it too
    assert await ledger.handled([1, 2, 3]) == {1, 3}
    assert await ledger.handled([]) == set()
    assert await ledger.ceiling() == 3


async def test_pruning_forgets_only_what_telegram_can_no_longer_send_again(
    session: AsyncSession, now: datetime
) -> None:
    ledger = HandledUpdateRepository(session)
    await ledger.record([10], now - KEEP_FOR - timedelta(minutes=1))
    await ledger.record([11], now - KEEP_FOR + timedelta(minutes=1))
    assert await ledger.prune(now) == 1
    assert await ledger.handled([10, 11]) == {11}
