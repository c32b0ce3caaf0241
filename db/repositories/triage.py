"""Triage in progress (survives restarts) and its outcome, the profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Profile, TriageState
from db.repositories._held import keep
from db.repositories._sql import insert_for


class TriageRepository:
    """The unfinished triage of each user, written on every answer."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._held: dict[int, object] = {}  # rows read in this unit of work (``_held``)

    async def get_state(self, user_id: int) -> TriageState | None:
        """Where the user is in triage, if they are in it.

        A row already read in this transaction comes from the session without a query:
        every write here (``save_state``, ``clear_state``) keeps that copy current.
        """
        return keep(self._held, user_id, await self._session.get(TriageState, user_id))

    async def save_state(
        self,
        user_id: int,
        step: str,
        answers: dict[str, Any],
        nonce: int,
        message_id: int | None,
        now: datetime,
    ) -> TriageState:
        """Store the current step and answers so far, replacing any earlier state."""
        values: dict[str, Any] = {
            "step": step,
            "answers": answers,
            "nonce": nonce,
            "message_id": message_id,
            "updated_at": now,
        }
        stmt = insert_for(self._session, TriageState).values(user_id=user_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        result = await self._session.scalars(
            stmt.returning(TriageState), execution_options={"populate_existing": True}
        )
        return keep(self._held, user_id, result.one())

    async def clear_state(self, user_id: int) -> bool:
        """Forget the unfinished triage (finished or cancelled); False if there was none."""
        result = await self._session.execute(
            delete(TriageState).where(TriageState.user_id == user_id).returning(TriageState.user_id)
        )
        return result.first() is not None


class ProfileRepository:
    """The triage outcome that plans and safety checks read."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._held: dict[int, object] = {}  # rows read in this unit of work (``_held``)

    async def get(self, user_id: int) -> Profile | None:
        """The user's profile, if they finished triage.

        A profile already read in this transaction comes from the session without a query:
        ``save`` refreshes it from RETURNING, and the ``set_*`` UPDATEs set the changed
        columns on the loaded object too (the ORM's ``synchronize_session``).
        """
        return keep(self._held, user_id, await self._session.get(Profile, user_id))

    async def save(
        self,
        user_id: int,
        *,
        now: datetime,
        red_flag: str = "none",
        red_flag_ids: Sequence[str] = (),
        contraindication_ids: Sequence[str] = (),
        pain_now: int = 0,
        pain_duration: str = "days",
        experience: str = "new",
        equipment: Sequence[str] = (),
        phase: str = "gentle",
        cleared_at: datetime | None = None,
        cleared_ids: Sequence[str] = (),
        flagged_at: datetime | None = None,
        age_band: str | None = None,
        pregnant: bool = False,
        note_ids: Sequence[str] = (),
    ) -> Profile:
        """Store a finished (or stopped) check; a redone check replaces the old profile."""
        values: dict[str, Any] = {
            "red_flag": red_flag,
            "red_flag_ids": list(red_flag_ids),
            "contraindication_ids": list(contraindication_ids),
            "pain_now": pain_now,
            "pain_duration": pain_duration,
            "experience": experience,
            "equipment": list(equipment),
            "phase": phase,
            "cleared_at": cleared_at,
            "cleared_ids": list(cleared_ids),
            "flagged_at": flagged_at,
            "age_band": age_band,
            "pregnant": pregnant,
            "note_ids": list(note_ids),
            "pain_at": now,
            "completed_at": now,
        }
        stmt = insert_for(self._session, Profile).values(user_id=user_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        result = await self._session.scalars(
            stmt.returning(Profile), execution_options={"populate_existing": True}
        )
        return keep(self._held, user_id, result.one())

    async def set_flags(
        self,
        user_id: int,
        *,
        red_flag: str,
        red_flag_ids: Sequence[str],
        contraindication_ids: Sequence[str],
        cleared_ids: Sequence[str],
        flagged_at: datetime | None,
        cleared_at: datetime | None,
    ) -> bool:
        """Replace the reported and cleared flags only; False if the user has no profile."""
        result = await self._session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(
                red_flag=red_flag,
                red_flag_ids=list(red_flag_ids),
                contraindication_ids=list(contraindication_ids),
                cleared_ids=list(cleared_ids),
                flagged_at=flagged_at,
                cleared_at=cleared_at,
            )
            .returning(Profile.user_id)
        )
        return result.first() is not None

    async def set_pain(self, user_id: int, pain: int, at: datetime) -> bool:
        """A fresh pain answer (a weekly check-in): the plan reads it from now on."""
        result = await self._session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(pain_now=pain, pain_at=at)
            .returning(Profile.user_id)
        )
        return result.first() is not None

    async def set_phase(self, user_id: int, phase: str) -> bool:
        """Move the user to another plan phase; False if they have no profile."""
        result = await self._session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(phase=phase)
            .returning(Profile.user_id)
        )
        return result.first() is not None

    async def set_stretch_only(self, user_id: int, since: datetime | None) -> bool:
        """Offer stretches only from ``since`` (the safety net), or again everything (None)."""
        result = await self._session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(stretch_only_since=since)
            .returning(Profile.user_id)
        )
        return result.first() is not None
