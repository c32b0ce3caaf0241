"""Shared bits for repository tests: a fixed clock and a way to make users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.repositories import UserRepository

NOW = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    """A fixed instant; tests move from it explicitly."""
    return NOW


async def make_user(session: AsyncSession, user_id: int, now: datetime = NOW) -> User:
    """A user who has written to the bot once."""
    return await UserRepository(session).seen(user_id, "en", now)
