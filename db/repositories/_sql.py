"""Dialect-aware INSERT ... ON CONFLICT, the one thing SQLite and PostgreSQL spell apart."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Upsert: TypeAlias = postgresql.Insert | sqlite.Insert


def insert_for(session: AsyncSession, model: Any) -> Upsert:
    """An INSERT that knows ON CONFLICT for whichever database the session talks to."""
    return insert_in(dialect_name(session), model)


def insert_in(dialect: str, model: Any) -> Upsert:
    """``insert_for`` by the backend's name (a statement built once per dialect)."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def dialect_name(session: AsyncSession) -> str:
    """The backend's name, for the rare query that must differ (row locks)."""
    return session.get_bind().dialect.name
