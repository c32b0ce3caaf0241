"""The nudge dispatcher under pressure: two processes, restarts, faults, one chat's rate."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic

import pytest
from sqlalchemy import event, update
from telegram.ext import ExtBot

from bot.app import build_services
from bot.emulator import BotApiServer
from bot.retry import DEFAULT_DELAYS
from bot.scheduler import (
    CHAT_SEND_SPACING,
    LEASE,
    SAME_CHAT_GAP,
    NudgeDispatcher,
    dispatch_nudges,
)
from bot.services import Services
from db.models import Profile
from tests.flows.conftest import TOKEN, FakeClock, Lumbar, make_settings

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


async def seed_due_users(services: Services, count: int, *, kinds: tuple[str, ...]) -> None:
    """Users in UTC with reminders on, each with the given nudges due a minute ago."""
    async with services.transaction() as uow:
        for user_id in range(1, count + 1):
            await uow.users.seen(user_id, "en", NOW)
            await uow.nudges.save_settings(
                user_id,
                now=NOW,
                stretch_times=["10:00", "15:00"],
                stretch_days=0b1111111,
                wake_start=time(8, 0),
                wake_end=time(22, 0),
            )
            for kind in kinds:
                await uow.nudges.schedule(user_id, kind, NOW - timedelta(minutes=1))


async def dispatcher_for(
    server: BotApiServer, db_url: str, cache: Path, clock: FakeClock
) -> tuple[NudgeDispatcher, ExtBot[None]]:
    """A dispatcher with its own engine and its own bot, as a second process would have."""
    services = await build_services(make_settings(server, db_url, cache), clock)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
    await bot.initialize()
    return NudgeDispatcher(services, bot, batch_size=50), bot


@pytest.mark.postgres
async def test_two_dispatchers_on_postgresql_never_send_a_nudge_twice(
    pg_db_url: str, card_cache: Path
) -> None:
    clock = FakeClock(NOW)
    async with BotApiServer(token=TOKEN) as server:
        for user_id in range(1, 301):
            server.private_chat(user_id)
        (first, bot1), (second, bot2) = [
            await dispatcher_for(server, pg_db_url, card_cache, clock) for _ in range(2)
        ]
        await seed_due_users(first.services, 300, kinds=("stretch",))

        async def drain(dispatcher: NudgeDispatcher) -> int:
            sent = 0
            while (report := await dispatcher.run_once()).claimed:
                sent += report.sent
            return sent

        sent_by = await asyncio.gather(drain(first), drain(second))
        sends = Counter(int(call.params["chat_id"]) for call in server.calls_to("sendMessage"))
        assert sum(sent_by) == 300
        assert len(sends) == 300 and set(sends.values()) == {1}
        assert all(part > 0 for part in sent_by), sent_by  # both really worked
        for dispatcher, bot in ((first, bot1), (second, bot2)):
            await bot.shutdown()
            await dispatcher.services.engine.dispose()


async def test_a_claim_lost_in_a_crash_is_sent_once_after_the_lease(lumbar: Lumbar) -> None:
    lumbar.clock.set(NOW)
    lumbar.server.private_chat(1)
    await seed_due_users(lumbar.services, 1, kinds=("stretch",))
    async with lumbar.services.transaction() as uow:  # a dispatcher claims, then dies
        claimed = await uow.nudges.claim_due(NOW, 10, LEASE)
    assert len(claimed) == 1
    report = await lumbar.dispatch()
    assert report.sent == 0  # still leased: nobody else sends it
    lumbar.clock.advance(seconds=LEASE.total_seconds() + 1)
    report = await lumbar.dispatch()
    assert report.sent == 1
    assert (await lumbar.dispatch()).sent == 0
    assert len(lumbar.server.calls_to("sendMessage")) == 1


async def test_one_chat_gets_at_most_one_nudge_per_run(lumbar: Lumbar) -> None:
    lumbar.clock.set(NOW)
    lumbar.server.private_chat(1)
    await seed_due_users(lumbar.services, 1, kinds=("stretch", "water"))
    report = await lumbar.dispatch()
    assert (report.sent, report.deferred) == (1, 1)
    lumbar.clock.advance(seconds=2)
    report = await lumbar.dispatch()
    assert report.sent == 1
    assert len(lumbar.server.calls_to("sendMessage")) == 2


async def test_the_gap_per_chat_holds_across_batches(lumbar: Lumbar) -> None:
    """Two nudges of one user split over two batches still go out a gap apart."""
    lumbar.clock.set(NOW)
    lumbar.server.private_chat(1)
    await seed_due_users(lumbar.services, 1, kinds=("stretch", "water"))
    dispatcher = NudgeDispatcher(lumbar.services, lumbar.app.bot, batch_size=1)
    first = await dispatcher.run_once()
    second = await dispatcher.run_once()  # same instant, the user's other nudge
    assert (first.sent, second.sent, second.deferred) == (1, 0, 1)
    await lumbar.server.settle(quiet=0.2)
    assert len(lumbar.server.calls_to("sendMessage")) == 1
    lumbar.clock.advance(seconds=SAME_CHAT_GAP.total_seconds())
    assert (await dispatcher.run_once()).sent == 1
    assert len(lumbar.server.calls_to("sendMessage")) == 2


async def test_two_sends_to_one_chat_are_a_second_apart_in_real_time(lumbar: Lumbar) -> None:
    """Even when the clock says the gap has passed, Telegram sees them a second apart."""
    lumbar.clock.set(NOW)
    lumbar.server.private_chat(1)
    await seed_due_users(lumbar.services, 1, kinds=("stretch", "water"))
    dispatcher = NudgeDispatcher(lumbar.services, lumbar.app.bot, batch_size=1)
    started = monotonic()
    assert (await dispatcher.run_once()).sent == 1
    lumbar.clock.advance(seconds=SAME_CHAT_GAP.total_seconds())  # no real time passes
    assert (await dispatcher.run_once()).sent == 1
    assert monotonic() - started >= CHAT_SEND_SPACING
    assert len(lumbar.server.calls_to("sendMessage")) == 2


async def test_the_job_keeps_claiming_past_twenty_batches(lumbar: Lumbar) -> None:
    """The job runs until a batch comes back short, not a fixed number of batches."""
    lumbar.clock.set(NOW)
    for user_id in range(1, 46):
        lumbar.server.private_chat(user_id)
    await seed_due_users(lumbar.services, 45, kinds=("stretch",))
    assert lumbar.app.job_queue is not None
    (job,) = [j for j in lumbar.app.job_queue.jobs() if isinstance(j.data, NudgeDispatcher)]
    job.data.batch_size = 2  # 23 batches: more than the 20 a tick used to stop at
    context = lumbar.app.context_types.context.from_job(job, lumbar.app)
    await dispatch_nudges(context)
    await lumbar.server.settle(quiet=0.3)
    sends = Counter(int(call.params["chat_id"]) for call in lumbar.server.calls_to("sendMessage"))
    assert len(sends) == 45 and set(sends.values()) == {1}


async def test_server_errors_are_retried_a_bounded_number_of_times(lumbar: Lumbar) -> None:
    lumbar.clock.set(NOW)
    lumbar.server.private_chat(1)
    lumbar.server.private_chat(2)
    await seed_due_users(lumbar.services, 2, kinds=("stretch",))
    lumbar.server.fail("sendMessage", 500, chat_id=1, times=100)
    report = await lumbar.dispatch()
    assert (report.sent, report.retried) == (1, 1)
    for _ in range(3):
        lumbar.clock.advance(seconds=31)
        await lumbar.dispatch()
    async with lumbar.services.transaction() as uow:
        row = next(n for n in await uow.nudges.for_user(1) if n.kind == "stretch")
    # Gave up on this occurrence after 3 attempts; the next one is at 15:00 UTC.
    assert row.due_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert row.attempts == 0
    chat_one = [c for c in lumbar.server.calls_to("sendMessage") if int(c.params["chat_id"]) == 1]
    # Three dispatcher attempts, each with the request layer's own short retries.
    assert len(chat_one) == 3 * (1 + len(DEFAULT_DELAYS))


async def give_profile(
    services: Services,
    user_id: int,
    *,
    red_flag: str = "none",
    red_flag_ids: tuple[str, ...] = (),
    contraindication_ids: tuple[str, ...] = (),
    cleared_ids: tuple[str, ...] = (),
) -> None:
    """A finished check with these reported (and cleared) flags."""
    async with services.transaction() as uow:
        await uow.profiles.save(user_id, now=NOW)
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == user_id)
            .values(
                red_flag=red_flag,
                red_flag_ids=list(red_flag_ids),
                contraindication_ids=list(contraindication_ids),
                cleared_ids=list(cleared_ids),
            )
        )


def sent_to(lumbar: Lumbar) -> set[int]:
    return {int(call.params["chat_id"]) for call in lumbar.server.calls_to("sendMessage")}


async def test_stretch_nudges_are_checked_against_safety_and_settings_at_send_time(
    lumbar: Lumbar,
) -> None:
    """Flags reported, a check begun, or reminders turned off after scheduling stop the send."""
    lumbar.clock.set(NOW)
    for user_id in range(1, 9):
        lumbar.server.private_chat(user_id)
    await seed_due_users(lumbar.services, 8, kinds=("stretch",))
    await give_profile(lumbar.services, 1)  # all clear: sent
    await give_profile(lumbar.services, 2, red_flag="soon", red_flag_ids=("weight_loss",))
    await give_profile(lumbar.services, 3, contraindication_ids=("pregnancy",))
    await give_profile(
        lumbar.services,
        4,
        red_flag="soon",
        red_flag_ids=("weight_loss",),
        cleared_ids=("weight_loss",),
    )  # a doctor cleared it: sent
    async with lumbar.services.transaction() as uow:
        await uow.triage.save_state(5, "red_flags", {}, 1, None, NOW)  # a check under way
        await uow.triage.save_state(6, "await_times", {}, 0, None, NOW)  # typing a time: sent
        await uow.nudges.save_settings(7, now=NOW, stretch_enabled=False)
        await uow.nudges.save_settings(8, now=NOW, paused_until=NOW + timedelta(days=1))
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.lower())

    engine = lumbar.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        report = await lumbar.dispatch()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sent_to(lumbar) == {1, 4, 6}
    assert (report.sent, report.held, report.off) == (3, 3, 2)
    # One query reads the whole batch's flags and checks, not one per nudge.
    assert sum("from profile" in s or "join profile" in s for s in statements) == 1
    async with lumbar.services.transaction() as uow:
        rows = {u: (await uow.nudges.for_user(u))[0] for u in range(1, 9)}
    next_slot = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    for held in (2, 3, 5):  # not lost: it comes back at the next slot, and is checked again
        assert rows[held].due_at == next_slot and rows[held].last_sent_at is None
        assert rows[held].claimed_until is None
    assert rows[7].due_at is None  # stretch reminders off: nothing more is due
    paused = rows[8].due_at
    assert paused is not None and paused >= NOW + timedelta(days=1)
    # Never twice: the held ones are not sent later in the same slot either.
    assert (await lumbar.dispatch()).sent == 0


async def test_water_nudges_pause_only_for_an_emergency(lumbar: Lumbar) -> None:
    lumbar.clock.set(NOW)
    for user_id in range(1, 5):
        lumbar.server.private_chat(user_id)
    await seed_due_users(lumbar.services, 4, kinds=("water",))
    await give_profile(lumbar.services, 1, red_flag="soon", red_flag_ids=("weight_loss",))
    await give_profile(lumbar.services, 2, red_flag="emergency", red_flag_ids=("bladder_bowel",))
    await give_profile(
        lumbar.services,
        3,
        red_flag="emergency",
        red_flag_ids=("bladder_bowel",),
        cleared_ids=("bladder_bowel",),
    )
    async with lumbar.services.transaction() as uow:
        await uow.nudges.save_settings(4, now=NOW, water_enabled=False)
    report = await lumbar.dispatch()
    assert sent_to(lumbar) == {1, 3}
    assert (report.sent, report.held, report.off) == (2, 1, 1)
