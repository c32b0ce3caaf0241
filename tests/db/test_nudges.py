"""Reminder settings and the nudge queue: due times, leases, completion and retries."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Profile
from db.repositories import NudgeRepository, ProfileRepository, TriageRepository, UserRepository
from db.repositories.nudges import NudgeOutcome, SafetyFacts
from tests.db.conftest import make_user

LEASE = timedelta(minutes=2)


async def test_settings_start_from_defaults_and_change_only_what_is_given(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = NudgeRepository(session)
    assert await repo.get_settings(1) is None

    first = await repo.save_settings(1, now=now, stretch_times=["11:00", "15:00"])
    assert first.enabled and first.stretch_enabled and first.water_enabled
    assert first.stretch_times == ["11:00", "15:00"]
    assert (first.wake_start, first.wake_end) == (time(8), time(21))
    # Water every four hours from 08:00: four a day, not seven.
    assert first.water_interval_minutes == 240 and first.stretch_days == 0b0011111
    assert first.quiet_start is None

    later = now + timedelta(hours=1)
    await repo.save_settings(1, now=later, water_enabled=False, quiet_start=time(22, 30))
    second = await repo.save_settings(
        1, now=later, quiet_end=time(7), paused_until=later + timedelta(days=1)
    )
    assert second.stretch_times == ["11:00", "15:00"]
    assert second.water_enabled is False
    assert (second.quiet_start, second.quiet_end) == (time(22, 30), time(7))
    assert second.paused_until == later + timedelta(days=1)
    assert second.updated_at == later

    cleared = await repo.save_settings(1, now=later, quiet_start=None, quiet_end=None)
    assert (cleared.quiet_start, cleared.quiet_end) == (None, None)
    assert cleared.water_enabled is False


async def test_one_queue_row_per_kind_and_rescheduling_moves_it(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = NudgeRepository(session)
    await repo.schedule(1, "water", now + timedelta(hours=1))
    await repo.schedule(1, "stretch", now + timedelta(hours=2))
    await repo.schedule(1, "water", now + timedelta(hours=3))
    rows = await repo.for_user(1)
    assert [(n.kind, n.due_at) for n in rows] == [
        ("stretch", now + timedelta(hours=2)),
        ("water", now + timedelta(hours=3)),
    ]

    await repo.unschedule_all(1)
    assert [n.due_at for n in await repo.for_user(1)] == [None, None]


async def test_claim_takes_due_rows_oldest_first_up_to_the_limit(
    session: AsyncSession, now: datetime
) -> None:
    repo = NudgeRepository(session)
    for user_id, minutes in [(1, -5), (2, -30), (3, 0), (4, 1), (5, -10)]:
        await make_user(session, user_id, now)
        await repo.schedule(user_id, "water", now + timedelta(minutes=minutes))
    await make_user(session, 6, now)
    await repo.schedule(6, "water", None)

    assert await repo.due_rows_count(now) == 4
    claimed = await repo.claim_due(now, limit=3, lease=LEASE)
    assert [c.user_id for c in claimed] == [2, 5, 1]
    assert await repo.due_rows_count(now) == 1
    rest = await repo.claim_due(now, limit=10, lease=LEASE)
    assert [c.user_id for c in rest] == [3]
    assert await repo.claim_due(now, limit=10, lease=LEASE) == []


async def test_a_lease_hides_a_row_until_it_runs_out(session: AsyncSession, now: datetime) -> None:
    await make_user(session, 1, now)
    repo = NudgeRepository(session)
    await repo.schedule(1, "water", now)

    [first] = await repo.claim_due(now, limit=10, lease=LEASE)
    assert await repo.claim_due(now + LEASE - timedelta(seconds=1), 10, LEASE) == []
    # The dispatcher that held it died; after the lease another one picks it up.
    [again] = await repo.claim_due(now + LEASE + timedelta(seconds=1), 10, LEASE)
    assert again.id == first.id


async def test_claim_brings_what_is_needed_to_plan_the_next_nudge(
    session: AsyncSession, now: datetime
) -> None:
    users = UserRepository(session)
    repo = NudgeRepository(session)
    await users.seen(1, "en", now)
    await users.set_time_zone(1, "Europe/Berlin", now)
    await repo.save_settings(
        1, now=now, stretch_times=["11:00"], stretch_days=0b1111111, quiet_start=time(22)
    )
    await repo.schedule(1, "stretch", now - timedelta(minutes=1))
    await users.seen(2, "en", now)  # never saved settings
    await repo.schedule(2, "water", now)

    one, two = await repo.claim_due(now, limit=10, lease=LEASE)
    assert (one.user_id, one.kind, one.time_zone, one.attempts) == (
        1,
        "stretch",
        "Europe/Berlin",
        0,
    )
    assert one.due_at == now - timedelta(minutes=1)
    assert one.blocked_at is None and one.last_text_index is None
    assert one.prefs is not None
    assert one.prefs.stretch_times == ("11:00",)
    assert one.prefs.stretch_days == 0b1111111
    assert (one.prefs.quiet_start, one.prefs.quiet_end) == (time(22), None)
    assert one.prefs.wake_start == time(8)
    assert (two.user_id, two.kind, two.time_zone, two.prefs) == (2, "water", "UTC", None)


async def test_complete_releases_and_sets_the_next_time(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = NudgeRepository(session)
    await repo.schedule(1, "water", now)
    [claimed] = await repo.claim_due(now, 10, LEASE)

    next_due = now + timedelta(hours=2)
    await repo.release([NudgeOutcome(claimed.id, next_due, sent_at=now, text_index=3)])
    [row] = await repo.for_user(1)
    assert (row.due_at, row.last_sent_at, row.last_text_index) == (next_due, now, 3)
    assert row.claimed_until is None and row.attempts == 0
    assert await repo.claim_due(next_due - timedelta(seconds=1), 10, LEASE) == []
    [due_again] = await repo.claim_due(next_due, 10, LEASE)
    assert due_again.last_text_index == 3


async def test_retry_later_keeps_the_attempt_count_and_frees_the_row(
    session: AsyncSession, now: datetime
) -> None:
    await make_user(session, 1, now)
    repo = NudgeRepository(session)
    await repo.schedule(1, "water", now)
    [claimed] = await repo.claim_due(now, 10, LEASE)

    retry_at = now + timedelta(seconds=30)
    await repo.release([NudgeOutcome(claimed.id, retry_at, attempts=claimed.attempts + 1)])
    [again] = await repo.claim_due(retry_at, 10, LEASE)
    assert again.attempts == 1

    # Rescheduling from settings starts the count afresh and drops the lease.
    await repo.schedule(1, "water", retry_at)
    [fresh] = await repo.claim_due(retry_at, 10, LEASE)
    assert fresh.attempts == 0


async def test_release_writes_a_mixed_batch_in_one_call(
    session: AsyncSession, now: datetime
) -> None:
    for user_id in (1, 2, 3):
        await make_user(session, user_id, now)
    repo = NudgeRepository(session)
    for user_id in (1, 2, 3):
        await repo.schedule(user_id, "water", now)
    claimed = {n.user_id: n for n in await repo.claim_due(now, 10, LEASE)}
    later = now + timedelta(hours=2)
    await repo.release(
        [
            NudgeOutcome(claimed[1].id, later, sent_at=now, text_index=2),  # sent
            NudgeOutcome(claimed[2].id, later),  # skipped (stale, or active today)
            NudgeOutcome(claimed[3].id, now + timedelta(seconds=30), attempts=1),  # retry
        ]
    )
    rows = {r.user_id: r for u in (1, 2, 3) for r in await repo.for_user(u)}
    assert (rows[1].due_at, rows[1].last_sent_at, rows[1].last_text_index) == (later, now, 2)
    assert (rows[2].due_at, rows[2].last_sent_at) == (later, None)
    assert (rows[3].due_at, rows[3].attempts) == (now + timedelta(seconds=30), 1)
    assert all(r.claimed_until is None for r in rows.values())


async def test_a_send_marked_but_never_recorded_comes_back_as_interrupted(
    session: AsyncSession, now: datetime
) -> None:
    for user_id in (1, 2):
        await make_user(session, user_id, now)
    repo = NudgeRepository(session)
    for user_id in (1, 2):
        await repo.schedule(user_id, "stretch", now)
    claimed = {n.user_id: n for n in await repo.claim_due(now, 10, LEASE)}
    await repo.mark_sending([claimed[1].id], now)  # the dispatcher dies here
    after_lease = now + LEASE + timedelta(seconds=1)
    again = {n.user_id: n for n in await repo.claim_due(after_lease, 10, LEASE)}
    assert again[1].interrupted  # maybe sent: the dispatcher must not send it twice
    assert not again[2].interrupted  # never started: safe to send


async def test_claims_survive_a_restart_through_the_database(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    async with session_factory() as session, session.begin():
        await make_user(session, 1, now)
        await NudgeRepository(session).schedule(1, "water", now)
    async with session_factory() as session, session.begin():
        assert len(await NudgeRepository(session).claim_due(now, 10, LEASE)) == 1
    # A new process (new session) sees the lease, so it does not send the nudge again.
    async with session_factory() as session, session.begin():
        assert await NudgeRepository(session).claim_due(now, 10, LEASE) == []


@pytest.mark.parametrize("limit", [0, 1])
async def test_claim_never_exceeds_the_limit(
    session: AsyncSession, now: datetime, limit: int
) -> None:
    repo = NudgeRepository(session)
    for user_id in (1, 2):
        await make_user(session, user_id, now)
        await repo.schedule(user_id, "water", now)
    assert len(await repo.claim_due(now, limit, LEASE)) == limit


async def test_safety_of_reads_a_batch_of_users_flags_and_checks_at_once(
    session: AsyncSession, now: datetime
) -> None:
    for user_id in (1, 2, 3, 4):
        await make_user(session, user_id, now)
    profiles = ProfileRepository(session)
    await profiles.save(1, now=now)
    await profiles.save(2, now=now, red_flag="emergency", red_flag_ids=["bladder_bowel"])
    await session.execute(
        update(Profile).where(Profile.user_id == 2).values(cleared_ids=["bladder_bowel"])
    )
    await TriageRepository(session).save_state(3, "red_flags", {}, 1, None, now)
    facts = await NudgeRepository(session).safety_of([1, 2, 3, 4, 2])
    assert set(facts) == {1, 2, 3}  # user 4 has neither a profile nor a check
    assert facts[1] == SafetyFacts(has_profile=True)
    assert facts[2].red_flag == "emergency"
    assert facts[2].red_flag_ids == facts[2].cleared_ids == frozenset({"bladder_bowel"})
    assert (facts[3].has_profile, facts[3].check_step) == (False, "red_flags")
    # The profile comes with the facts, read by the same query (the stretch nudge plans from it).
    assert facts[1].profile is not None and facts[1].profile.user_id == 1
    assert facts[3].profile is None
    assert await NudgeRepository(session).safety_of([]) == {}
