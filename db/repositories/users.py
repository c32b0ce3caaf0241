"""Users: first contact, time zone, consent, blocking, erasure and export."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Protocol

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.base import Base
from db.models import (
    CheckIn,
    ExerciseProgress,
    Nudge,
    NudgeSettings,
    PhaseChange,
    Profile,
    Streak,
    StreakDay,
    TriageState,
    User,
    WaterLog,
    Workout,
)
from db.repositories._sql import insert_for


def _jsonable(value: Any) -> Any:
    """Dates, times and instants as ISO strings; everything else as stored."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def as_dict(row: Base, *, skip: tuple[str, ...] = ("user_id",)) -> dict[str, Any]:
    """A row's columns as a JSON-serialisable dict (the user id is implied by the export)."""
    return {
        attr.key: _jsonable(getattr(row, attr.key))
        for attr in row.__mapper__.column_attrs
        if attr.key not in skip
    }


class LanguageObserver(Protocol):
    """Told each user's stored language whenever a row is read or written (a cache)."""

    def put(self, user_id: int, language: str | None) -> None:
        """The user's stored language now (None: no row, or none stored)."""

    def forget(self, user_id: int) -> None:
        """The user was erased."""


class UserRepository:
    """Queries about the ``user`` row itself; everything else hangs off it by cascade.

    An ``observer`` (the process's language cache) hears the stored language of every
    user row this repository reads or writes, and of every id it finds no row for.
    """

    def __init__(self, session: AsyncSession, observer: LanguageObserver | None = None) -> None:
        self._session = session
        self._observer = observer

    def _observed(self, user_id: int, user: User | None) -> User | None:
        if self._observer is not None:
            self._observer.put(user_id, user.language if user is not None else None)
        return user

    async def get(self, user_id: int) -> User | None:
        """The user, if they ever wrote to the bot and were not erased."""
        return self._observed(user_id, await self._session.get(User, user_id))

    async def language_of(self, user_id: int) -> str | None:
        """The user's stored language alone (None: no row, or none stored): one small query."""
        language = await self._session.scalar(select(User.language).where(User.id == user_id))
        if self._observer is not None:
            self._observer.put(user_id, language)
        return language

    async def set_language(self, user_id: int, language: str, now: datetime) -> bool:
        """Store the language the user chose; False if no such user."""
        found = await self._update(user_id, language=language, updated_at=now)
        if found and self._observer is not None:
            self._observer.put(user_id, language)
        return found

    async def seen(self, user_id: int, language: str | None, now: datetime) -> User:
        """Record that the user wrote: create them (UTC zone) or refresh them; unblocks them.

        ``language`` is stored only where none is yet: a first contact's (the catalog
        language chosen for them), never over one they have (perhaps picked in /settings).
        """
        table = User.__table__.c
        stmt = insert_for(self._session, User).values(
            id=user_id,
            language=language,
            time_zone="UTC",
            created_at=now,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.id],
            set_={
                "language": func.coalesce(table.language, stmt.excluded.language),
                "updated_at": stmt.excluded.updated_at,
                "blocked_at": None,
            },
        )
        result = await self._session.scalars(
            stmt.returning(User), execution_options={"populate_existing": True}
        )
        user = result.one()
        self._observed(user_id, user)
        return user

    async def touch(self, user_id: int, now: datetime) -> User | None:
        """Record that a known user wrote again; unlike ``seen``, never creates one (None)."""
        result = await self._session.scalars(
            update(User).where(User.id == user_id).values(updated_at=now).returning(User),
            execution_options={"populate_existing": True},
        )
        return self._observed(user_id, result.one_or_none())

    async def set_time_zone(self, user_id: int, time_zone: str, now: datetime) -> bool:
        """Store the user's IANA zone (validated by the caller); False if no such user."""
        return await self._update(user_id, time_zone=time_zone, updated_at=now)

    async def set_consent(
        self, user_id: int, now: datetime, *, given_at: datetime | None = None
    ) -> bool:
        """Remember when the user agreed (``given_at``, else ``now``); False if no such user.

        The first agreement is the one kept: a check redone later does not move it.
        """
        user = await self.get(user_id)
        if user is None:
            return False
        if user.consent_at is not None:
            return True
        return await self._update(user_id, consent_at=given_at or now, updated_at=now)

    async def mark_blocked(self, user_id: int, now: datetime) -> bool:
        """The user blocked the bot: note it and stop every nudge until they write again."""
        found = await self._update(user_id, blocked_at=now)
        await self._session.execute(
            update(Nudge).where(Nudge.user_id == user_id).values(due_at=None, claimed_until=None)
        )
        return found

    async def unblock(self, user_id: int, now: datetime) -> bool:
        """The user came back: clear the mark (the caller schedules their nudges again)."""
        return await self._update(user_id, blocked_at=None, updated_at=now)

    async def delete(self, user_id: int) -> bool:
        """Erase the user; ON DELETE CASCADE removes every row about them. False if absent."""
        result = await self._session.execute(
            delete(User).where(User.id == user_id).returning(User.id)
        )
        gone = result.first() is not None
        # Objects loaded earlier in this session would otherwise look alive.
        self._session.expunge_all()
        if self._observer is not None:
            self._observer.forget(user_id)
        return gone

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the user, JSON-serialisable, for "send me my data"."""
        user = await self.get(user_id)
        data: dict[str, Any] = {
            "user": as_dict(user, skip=()) if user is not None else None,
            "profile": None,
            "triage": None,
            "workouts": [],
            "exercise_progress": [],
            "streak": None,
            "streak_days": [],
            "nudge_settings": None,
            "nudges": [],
            "water_log": [],
            "checkins": [],
            "phase_changes": [],
        }
        if user is None:
            return data
        data["profile"] = await self._one(select(Profile).where(Profile.user_id == user_id))
        data["triage"] = await self._one(select(TriageState).where(TriageState.user_id == user_id))
        data["streak"] = await self._one(select(Streak).where(Streak.user_id == user_id))
        data["nudge_settings"] = await self._one(
            select(NudgeSettings).where(NudgeSettings.user_id == user_id)
        )
        workouts = await self._session.scalars(
            select(Workout)
            .where(Workout.user_id == user_id)
            .options(selectinload(Workout.results))
            .order_by(Workout.started_at, Workout.id)
        )
        data["workouts"] = [
            {
                **as_dict(w),
                "results": [as_dict(r, skip=("user_id", "workout_id")) for r in w.results],
            }
            for w in workouts
        ]
        data["exercise_progress"] = await self._all(
            select(ExerciseProgress)
            .where(ExerciseProgress.user_id == user_id)
            .order_by(ExerciseProgress.exercise_id)
        )
        data["streak_days"] = await self._all(
            select(StreakDay).where(StreakDay.user_id == user_id).order_by(StreakDay.day_on)
        )
        data["nudges"] = await self._all(
            select(Nudge).where(Nudge.user_id == user_id).order_by(Nudge.kind)
        )
        data["water_log"] = await self._all(
            select(WaterLog).where(WaterLog.user_id == user_id).order_by(WaterLog.logged_at)
        )
        data["checkins"] = await self._all(
            select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.started_at)
        )
        data["phase_changes"] = await self._all(
            select(PhaseChange)
            .where(PhaseChange.user_id == user_id)
            .order_by(PhaseChange.changed_at)
        )
        return data

    async def _update(self, user_id: int, **values: Any) -> bool:
        result = await self._session.execute(
            update(User).where(User.id == user_id).values(**values).returning(User.id)
        )
        return result.first() is not None

    async def _one(self, stmt: Select[Any]) -> dict[str, Any] | None:
        row = (await self._session.scalars(stmt)).one_or_none()
        return as_dict(row) if row is not None else None

    async def _all(self, stmt: Select[Any]) -> list[dict[str, Any]]:
        return [as_dict(row) for row in await self._session.scalars(stmt)]
