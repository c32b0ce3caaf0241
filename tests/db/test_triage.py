"""Triage state survives between answers; the profile is replaced by a redone triage."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.repositories import ProfileRepository, TriageRepository
from tests.db.conftest import make_user


async def test_triage_state_is_saved_replaced_and_cleared(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = TriageRepository(session)
    assert await repo.get_state(1) is None

    await repo.save_state(1, "age", {}, 1, 100, now)
    later = now + timedelta(seconds=30)
    saved = await repo.save_state(1, "pain", {"age": "40s", "flags": ["none"]}, 2, 101, later)
    assert (saved.step, saved.nonce, saved.message_id) == ("pain", 2, 101)

    state = await repo.get_state(1)
    assert state is not None
    assert state.answers == {"age": "40s", "flags": ["none"]}
    assert state.updated_at == later

    assert await repo.clear_state(1)
    assert await repo.get_state(1) is None
    assert not await repo.clear_state(1)


async def test_triage_state_is_visible_to_the_next_update(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with session_factory() as session, session.begin():
        await make_user(session, 1, now)
        await TriageRepository(session).save_state(1, "age", {"consent": True}, 1, None, now)
    async with session_factory() as session:
        state = await TriageRepository(session).get_state(1)
    assert state is not None and state.answers == {"consent": True}


async def test_profile_defaults_then_a_redone_triage_replaces_it(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = ProfileRepository(session)
    assert await repo.get(1) is None

    first = await repo.save(1, now=now, red_flag="soon", red_flag_ids=["night_pain"])
    assert (first.red_flag, first.red_flag_ids, first.phase) == ("soon", ["night_pain"], "gentle")
    assert first.equipment == [] and first.cleared_at is None and first.cleared_ids == []
    assert first.pregnant is False and first.note_ids == [] and first.age_band is None
    assert await repo.set_flags(
        1,
        red_flag="none",
        red_flag_ids=["night_pain"],
        contraindication_ids=[],
        cleared_ids=["night_pain"],
        flagged_at=now,
        cleared_at=now + timedelta(days=1),
    )
    cleared = await repo.get(1)
    assert cleared is not None and cleared.cleared_at == now + timedelta(days=1)
    assert cleared.cleared_ids == ["night_pain"] and cleared.flagged_at == now

    later = now + timedelta(days=10)
    redone = await repo.save(
        1,
        now=later,
        pain_now=3,
        pain_duration="weeks",
        experience="some",
        equipment=("mat", "chair"),
        contraindication_ids=["no_flexion"],
    )
    assert redone.red_flag == "none" and redone.red_flag_ids == []
    assert redone.cleared_at is None and redone.cleared_ids == []  # a new assessment
    assert redone.equipment == ["mat", "chair"]
    assert redone.contraindication_ids == ["no_flexion"]
    assert (redone.pain_now, redone.pain_duration, redone.experience) == (3, "weeks", "some")
    assert redone.completed_at == later


async def test_profile_updates_without_a_profile_report_false(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = ProfileRepository(session)
    assert not await repo.set_flags(
        1,
        red_flag="none",
        red_flag_ids=[],
        contraindication_ids=[],
        cleared_ids=[],
        flagged_at=None,
        cleared_at=now,
    )
    assert not await repo.set_phase(1, "build")
    await repo.save(1, now=now)
    assert await repo.set_phase(1, "build")
    profile = await repo.get(1)
    assert profile is not None and profile.phase == "build"


async def test_a_second_read_in_one_transaction_is_free_and_sees_the_updates(
    session: AsyncSession, now: datetime
) -> None:
    """The profile and check state come from the session once read; every write keeps
    that copy current (``set_stretch_only`` is an UPDATE followed by a read in the net)."""
    await make_user(session, 1, now)
    profiles, triage = ProfileRepository(session), TriageRepository(session)
    await profiles.save(1, now=now)
    await triage.save_state(1, "pain", {}, 1, None, now)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql.split()[0].upper())

    engine = session.bind.sync_engine if isinstance(session.bind, AsyncEngine) else None
    assert engine is not None
    event.listen(engine, "before_cursor_execute", count)
    try:
        loaded = await profiles.get(1)
        assert loaded is not None and loaded.stretch_only_since is None
        assert await profiles.set_stretch_only(1, now)
        again = await profiles.get(1)
        assert again is loaded and again.stretch_only_since == now
        assert await profiles.set_stretch_only(1, None)
        assert (await profiles.get(1)) is loaded and loaded.stretch_only_since is None
        await profiles.set_pain(1, 7, now)
        await profiles.set_phase(1, "building")
        assert (loaded.pain_now, loaded.phase) == (7, "building")
        state = await triage.get_state(1)
        assert state is not None and state.step == "pain"
        assert await triage.clear_state(1)
        assert await triage.get_state(1) is None
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The writes only, and a read where nothing is loaded (the cleared state).
    assert statements == [*["UPDATE"] * 4, "DELETE", "SELECT"]
