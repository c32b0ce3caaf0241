"""Aggregate counts for operators; counts only, never anything about a person."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Nudge, Profile, User, Workout

ACTIVE_WINDOW = timedelta(days=7)


class StatsRepository:
    """A handful of COUNT queries for a health or admin view."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def counts(self, now: datetime) -> dict[str, int]:
        """Users, users active in the last 7 days, profiles by red flag, workouts, nudges."""
        scalar = self._session.scalar
        out: dict[str, int] = {
            "users": await scalar(select(func.count()).select_from(User)) or 0,
            "users_active_7d": await scalar(
                select(func.count()).where(User.updated_at >= now - ACTIVE_WINDOW)
            )
            or 0,
            "users_blocked": await scalar(select(func.count()).where(User.blocked_at.is_not(None)))
            or 0,
            "workouts_finished": await scalar(
                select(func.count()).where(Workout.finished_at.is_not(None))
            )
            or 0,
            "nudges_scheduled": await scalar(select(func.count()).where(Nudge.due_at.is_not(None)))
            or 0,
        }
        for level in ("none", "soon", "emergency"):
            out[f"profiles_{level}"] = 0
        rows = await self._session.execute(
            select(Profile.red_flag, func.count()).group_by(Profile.red_flag)
        )
        for red_flag, count in rows:
            out[f"profiles_{red_flag}"] = int(count)
        return out
