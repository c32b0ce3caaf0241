"""Check-ins through the emulator: the baseline, the weekly nudge, and the plan moving with them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.emulator import FakeUser, StoredMessage
from tests.flows.conftest import CARD_KINDS, Lumbar

# The clock starts on Monday 2 March 2026, 09:00 UTC (10:00 in Berlin).
NEXT_MONDAY_10_BERLIN = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def texts(out: list[StoredMessage]) -> str:
    return "\n".join(m.text or m.caption or "" for m in out)


def photos(out: list[StoredMessage]) -> list[StoredMessage]:
    return [m for m in out if m.kind in CARD_KINDS]


async def baseline(lumbar: Lumbar, user: FakeUser, *, pain: int = 2, function: int = 5) -> None:
    """The check, its first session (every card done, the back the same), then the baseline."""
    out = await lumbar.triage(user, pain=pain)
    assert "One more minute" not in texts(out)  # nothing between the plan and the first card
    for _ in range(12):
        if "How does your back feel" in texts(out):
            break
        out = await lumbar.press(user, "Done")
    out = await lumbar.press(user, "Same")
    assert "One more minute so we can see your progress" in texts(out)
    await lumbar.press(user, str(function))
    await lumbar.press(user, "Sitting an hour")
    await lumbar.press(user, "4")
    out = await lumbar.press(user, "Done")
    assert "starting point" in texts(out)


async def nudge_at(lumbar: Lumbar, user: FakeUser, when: datetime) -> list[StoredMessage]:
    lumbar.clock.set(when + timedelta(seconds=5))
    for _ in range(3):  # water may be due at the same time: one a chat, then the other
        await lumbar.dispatch()
        lumbar.clock.advance(seconds=3)
    return [m for m in lumbar.server.new_bot_messages(user) if "Quick check" in (m.text or "")]


async def weekly(lumbar: Lumbar, user: FakeUser, week: int, *, pain: int) -> list[StoredMessage]:
    """The nudge of week ``week`` after the baseline, answered: pain, limits, the activity."""
    (_nudge,) = await nudge_at(lumbar, user, NEXT_MONDAY_10_BERLIN + timedelta(weeks=week - 1))
    out = await lumbar.press(user, "Start (1 minute)")
    assert "How strong is your back pain right now?" in texts(out)
    await lumbar.press(user, str(pain))
    out = await lumbar.press(user, "3")
    assert "sitting for an hour" in texts(out)  # the baseline's activity, asked directly
    return await lumbar.press(user, "6")


async def checkins(
    lumbar: Lumbar, user: FakeUser
) -> list[tuple[str, int | None, int | None, bool]]:
    async with lumbar.services.transaction() as uow:
        rows = await uow.checkins.history(user.id)
        latest = await uow.checkins.latest(user.id)
    found = [(r.kind, r.pain, r.function, r.skipped) for r in rows]
    if latest is not None and latest.skipped:
        found.append((latest.kind, latest.pain, latest.function, True))
    return found


async def test_baseline_follows_the_check_and_the_first_weekly_is_a_week_on(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann, pain=2, function=5)
    async with lumbar.services.transaction() as uow:
        (row,) = await uow.checkins.history(ann.id)
        nudges = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    assert (row.kind, row.pain, row.function, row.activities) == ("baseline", 2, 5, {"sitting": 4})
    assert nudges["checkin"].due_at == NEXT_MONDAY_10_BERLIN  # 10:00 Berlin, a week on


async def test_baseline_is_not_asked_after_a_doctor_first_summary(lumbar: Lumbar) -> None:
    vic = lumbar.user(7010, name="Vic")
    out = await lumbar.triage(vic, flags=["herniated_disc"])
    assert "One more minute" not in texts(out)
    assert await checkins(lumbar, vic) == []


async def test_weekly_check_in_arrives_at_10_local_is_answered_and_resumed(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann)
    assert await nudge_at(lumbar, ann, NEXT_MONDAY_10_BERLIN - timedelta(hours=1)) == []
    (nudge,) = await nudge_at(lumbar, ann, NEXT_MONDAY_10_BERLIN)
    assert nudge.text == "Quick check: your back this week"
    assert (await lumbar.dispatch()).sent == 0  # never twice
    await lumbar.press(ann, "Start (1 minute)")
    await lumbar.press(ann, "3")
    # Resumed at its current question by /today...
    out = await lumbar.send(ann, "/today")
    assert "Let's finish your check-in" in texts(out) and "limit your usual" in texts(out)
    assert not photos(out)
    # ...and by the nudge's button.
    out = await lumbar.press(ann, "Start (1 minute)")
    assert "limit your usual" in texts(out)
    await lumbar.press(ann, "2")
    out = await lumbar.press(ann, "7")
    assert "Pain 3/10, limits 2/10" in texts(out)
    assert await checkins(lumbar, ann) == [("baseline", 2, 5, False), ("weekly", 3, 2, False)]
    async with lumbar.services.transaction() as uow:
        latest = await uow.checkins.latest(ann.id)
        nudges = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    assert latest is not None and latest.activities == {"sitting": 7}
    assert nudges["checkin"].due_at == NEXT_MONDAY_10_BERLIN + timedelta(weeks=1)
    assert photos(await lumbar.send(ann, "/today"))  # done: the session as usual


async def test_skip_this_week_records_a_skip_and_today_goes_on(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann)
    await nudge_at(lumbar, ann, NEXT_MONDAY_10_BERLIN)
    out = await lumbar.press(ann, "Skip this week")
    assert "skipped for this week" in texts(out)
    assert await checkins(lumbar, ann) == [("baseline", 2, 5, False), ("weekly", None, None, True)]
    assert photos(await lumbar.send(ann, "/today"))


async def test_a_missed_check_in_is_asked_at_the_next_today_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann)
    await nudge_at(lumbar, ann, NEXT_MONDAY_10_BERLIN)
    lumbar.clock.advance(days=1)
    out = await lumbar.send(ann, "/today")
    assert "Before today's session" in texts(out) and "back pain right now" in texts(out)
    assert not photos(out)
    (question,) = out
    out = await lumbar.send(ann, "/today")
    assert photos(out)  # asked once; then /today goes on as usual
    # The question can still be answered (or skipped) from its message.
    skip = next(d for row in lumbar.server.buttons(question) for t, d in row if t == "Skip")
    assert skip is not None
    out = await lumbar.press_data(ann, question.message_id, skip)
    assert "skipped for this week" in texts(out)


async def test_better_for_two_weeks_offers_the_next_phase_and_yes_moves_it(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann, pain=6)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None
    before = profile.phase
    out = await weekly(lumbar, ann, 1, pain=3)
    assert "pain 6 → 3 since 2 March" in texts(out)  # a celebration with the numbers
    assert "Yes, step up" not in str([lumbar.server.buttons(m) for m in out])
    out = await weekly(lumbar, ann, 2, pain=3)
    assert "Yes, step up" in str([lumbar.server.buttons(m) for m in out])
    out = await lumbar.press(ann, "Yes, step up")
    assert "your plan is now in the" in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
        changes = await uow.checkins.phase_changes(ann.id)
    assert profile is not None and profile.phase != before
    assert [(c.from_phase, c.to_phase, c.reason) for c in changes] == [
        (before, profile.phase, "accepted_next")
    ]


async def test_worse_moves_gentler_at_once_and_asks_the_safety_questions(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann, pain=2)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None and profile.phase == "building"
    out = await weekly(lumbar, ann, 1, pain=5)
    assert "gentler" in texts(out) and "pain 2 → 5 since 2 March" in texts(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
        changes = await uow.checkins.phase_changes(ann.id)
        state = await uow.triage.get_state(ann.id)
    assert profile is not None and profile.phase == "gentle"
    assert [(c.from_phase, c.to_phase, c.reason) for c in changes] == [
        ("building", "gentle", "worse")
    ]
    assert state is not None  # the safety questions again, as buttons
    assert "None of these" in str([lumbar.server.buttons(m) for m in out])


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_export_holds_the_check_ins_and_forget_erases_them(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann)
    out = await lumbar.send(ann, "/export")
    (document,) = [m for m in out if m.kind == "document"]
    data = json.loads(lumbar.server.files[str(document.document_file_id)].data)
    assert [(c["kind"], c["pain"], c["function"]) for c in data["checkins"]] == [("baseline", 2, 5)]
    await lumbar.send(ann, "/forget")
    await lumbar.press(ann, "Yes, erase everything")
    async with lumbar.services.transaction() as uow:
        assert await uow.checkins.latest(ann.id) is None
        assert await uow.checkins.phase_changes(ann.id) == []


async def test_a_weekly_pain_answer_moves_todays_plan(lumbar: Lumbar) -> None:
    """The check-in's pain is a fresh answer: strong pain turns /today into mobility only."""
    ann = lumbar.user(name="Ann")
    await baseline(lumbar, ann, pain=2)
    await weekly(lumbar, ann, 1, pain=8)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None and profile.pain_now == 8
    assert profile.pain_at == lumbar.clock()
    await lumbar.press(ann, "None of these")  # the safety questions after a worse week
    out = await lumbar.send(ann, "/today")
    assert "keep moving" in texts(out).lower()  # NICE's reassurance for strong pain
    names = [m.caption or "" for m in photos(out)]
    mobility = ("forward bend", "cat", "glute roll")
    assert names and all(any(word in name.lower() for word in mobility) for name in names)
