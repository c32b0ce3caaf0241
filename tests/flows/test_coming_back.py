"""A user who blocked the bot and comes back gets their reminders again (issue 16, item 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.emulator import FakeUser
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
ELEVEN_BERLIN = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)  # the first stretch time
HALF_PAST_THREE_BERLIN = datetime(2026, 3, 2, 14, 30, 5, tzinfo=UTC)  # the second one


async def seeded(lumbar: Lumbar, user: FakeUser, *, reminders: bool = True) -> None:
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock(), reminders=reminders)


async def due_times(lumbar: Lumbar, user: FakeUser) -> dict[str, datetime | None]:
    async with lumbar.services.transaction() as uow:
        return {n.kind: n.due_at for n in await uow.nudges.for_user(user.id)}


async def blocked_at(lumbar: Lumbar, user: FakeUser) -> datetime | None:
    async with lumbar.services.transaction() as uow:
        row = await uow.users.get(user.id)
    assert row is not None
    return row.blocked_at


def stretch_nudges(lumbar: Lumbar, user: FakeUser) -> int:
    return sum(
        "Stretch now" in str(lumbar.server.buttons(m)) for m in lumbar.server.bot_messages(user)
    )


async def test_unblocking_and_start_bring_the_stretch_nudges_back(lumbar: Lumbar) -> None:
    lumbar.clock.set(MONDAY)
    ann, bob = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    await seeded(lumbar, ann)
    await seeded(lumbar, bob, reminders=False)
    for user in (ann, bob):
        lumbar.server.block(user)
    await lumbar.server.settle(quiet=0.3)
    assert await blocked_at(lumbar, ann) is not None
    assert set((await due_times(lumbar, ann)).values()) == {None}

    lumbar.clock.set(ELEVEN_BERLIN)
    assert (await lumbar.dispatch()).sent == 0  # blocked: nothing was due
    for user in (ann, bob):
        lumbar.server.unblock(user)  # a my_chat_member update back to member
    await lumbar.server.settle(quiet=0.3)
    assert await blocked_at(lumbar, ann) is None  # the member update alone brings her back
    assert (await due_times(lumbar, ann))["stretch"] is not None
    out = await lumbar.send(ann, "/start")
    assert "Welcome back" in (out[0].text or "")
    assert await blocked_at(lumbar, ann) is None
    out = await lumbar.send(ann, "/reminders")
    assert "11:00, 15:30 (workdays)" in (out[0].text or "")
    # What /reminders shows is what is scheduled: from now on, in Berlin time.
    assert (await due_times(lumbar, ann))["stretch"] == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

    lumbar.clock.set(HALF_PAST_THREE_BERLIN)
    report = await lumbar.dispatch()
    assert stretch_nudges(lumbar, ann) == 1
    assert stretch_nudges(lumbar, bob) == 0  # reminders off stay off after coming back
    assert set((await due_times(lumbar, bob)).values()) == {None}
    assert report.blocked == 0


async def test_a_403_from_a_nudge_then_any_message_brings_the_nudges_back(
    lumbar: Lumbar,
) -> None:
    lumbar.clock.set(MONDAY)
    ann = lumbar.user(1001, "Ann")
    await seeded(lumbar, ann)
    lumbar.server.fail(
        "sendMessage",
        403,
        chat_id=ann.id,
        times=1,
        description="Forbidden: bot was blocked by the user",
    )
    lumbar.clock.set(ELEVEN_BERLIN)
    assert (await lumbar.dispatch()).blocked == 1  # the due stretch nudge marks her blocked
    assert await blocked_at(lumbar, ann) is not None
    assert set((await due_times(lumbar, ann)).values()) == {None}

    out = await lumbar.send(ann, "hello")  # any message: she is back
    assert out
    assert await blocked_at(lumbar, ann) is None
    lumbar.clock.set(HALF_PAST_THREE_BERLIN)
    await lumbar.dispatch()
    assert stretch_nudges(lumbar, ann) == 1
