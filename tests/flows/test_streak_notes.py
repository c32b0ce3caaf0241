"""A streak worth keeping, as the user reads it: the rule once, milestones, at risk, ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from bot.emulator import FakeUser
from bot.emulator.state import StoredMessage
from bot.handlers.session import summary_text
from bot.handlers.streak_notes import NOTE_KEY
from content.loader import load_library
from db.models import Profile
from tests.flows.conftest import Lumbar
from tests.seeding import EVERY_DAY, seed_finished_triage

RULE = "How your streak works"
AT_RISK = "streak is still going"
ENDED = "streak has come to an end"
MONDAY = date(2026, 3, 2)  # the clock's first day: 09:00 UTC is 10:00 in Berlin


async def finish(lumbar: Lumbar, user: FakeUser, command: str = "/stretch") -> str:
    """Run a session to its end with Done; the summary as the user sees it."""
    out = await lumbar.send(user, command)
    while not any("Session complete" in m.text_or_caption for m in out):
        out = await lumbar.press(user, "Done")
    summary = next(m.text_or_caption for m in out if "Session complete" in m.text_or_caption)
    await lumbar.press(user, "Better")
    return summary


async def seeded(lumbar: Lumbar, user: FakeUser, **settings: object) -> None:
    """A user whose check is done (Berlin, default reminders), written straight to the db."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock(), **settings)  # type: ignore[arg-type]


async def with_streak(
    lumbar: Lumbar,
    user: FakeUser,
    current: int,
    last_on: date,
    *,
    best: int | None = None,
    rest_on: date | None = None,
    rule_told: bool = True,
) -> None:
    """A streak of ``current`` days ending on ``last_on``, its days on the calendar too."""
    async with lumbar.services.transaction() as uow:
        for back in range(current):
            await uow.streaks.add_day(user.id, last_on - timedelta(days=back))
        await uow.streaks.save(
            user.id,
            current=current,
            best=current if best is None else best,
            last_on=last_on,
            rest_on=rest_on,
            now=lumbar.clock(),
        )
        if rule_told:
            await uow.streaks.mark_rule_told(user.id, lumbar.clock())


async def nudges_at(
    lumbar: Lumbar, hour: int, minute: int = 0, *users: FakeUser
) -> dict[int, list[str]]:
    """Run the dispatcher at a local Berlin time (UTC+1 in March) of the clock's day."""
    day = lumbar.clock().date()
    for user in users:
        lumbar.server.mark(user)
    lumbar.clock.set(datetime(day.year, day.month, day.day, hour - 1, minute, 5, tzinfo=UTC))
    await lumbar.dispatch()
    return {user.id: [m.text or "" for m in lumbar.server.new_bot_messages(user)] for user in users}


def texts(messages: list[StoredMessage]) -> list[str]:
    return [m.text_or_caption for m in messages]


async def test_the_rest_day_rule_is_told_once_in_the_first_summary(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    first = await finish(lumbar, ann, "/today")
    assert RULE in first and "one day off a week is forgiven" in first
    assert "Streak: 1 day" in first
    assert first.index("Streak: 1 day") < first.index(RULE) < first.index("Numbness")
    assert first.endswith("How does your back feel now?")
    lumbar.clock.advance(days=1)
    second = await finish(lumbar, ann)
    assert "Streak: 2 days" in second and RULE not in second


async def test_milestones_are_marked_once_each_in_the_summary_that_reaches_them(
    lumbar: Lumbar,
) -> None:
    ann, bob = lumbar.user(name="Ann"), lumbar.user(2002, name="Bob")
    await seeded(lumbar, ann)
    await seeded(lumbar, bob)
    yesterday = MONDAY - timedelta(days=1)
    await with_streak(lumbar, ann, 2, yesterday)
    await with_streak(lumbar, bob, 2, yesterday, best=9)  # reached 3 and 7 long ago
    summary = await finish(lumbar, ann)
    assert "Streak: 3 days" in summary and "3 days in a row! A habit is taking shape." in summary
    assert RULE not in summary  # told before
    assert "in a row" not in await finish(lumbar, bob)  # 3 again: not a new milestone
    lumbar.clock.advance(days=1)
    assert "in a row" not in await finish(lumbar, ann)  # 4: no milestone
    await with_streak(lumbar, ann, 6, MONDAY + timedelta(days=1))
    lumbar.clock.advance(days=1)
    summary = await finish(lumbar, ann)
    assert "Streak: 7 days" in summary and "A whole week, 7 days in a row!" in summary
    for current, words in ((13, "14 days in a row"), (29, "30 days in a row!")):
        await with_streak(lumbar, ann, current, lumbar.clock().date())
        lumbar.clock.advance(days=1)
        assert words in await finish(lumbar, ann)


async def test_the_evening_nudge_says_the_streak_is_at_risk_once(lumbar: Lumbar) -> None:
    """Monday, after a weekend rest already used: today's session keeps a 4-day streak."""
    ann, bob, cem, dan = (lumbar.user(i, name=n) for i, n in enumerate("ABCD", start=1))
    for user in (ann, bob, cem, dan):
        await seeded(lumbar, user)
        await with_streak(
            lumbar, user, 4, MONDAY - timedelta(days=1), rest_on=MONDAY - timedelta(days=4)
        )
    async with lumbar.services.transaction() as uow:
        # Bob reported a flag no doctor has cleared: water still comes, the streak line not.
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == bob.id)
            .values(red_flag="soon", red_flag_ids=["weight_loss"], cleared_ids=[])
        )
        # Cem turned stretch reminders off: water only, and no streak line with it.
        await uow.nudges.save_settings(cem.id, now=lumbar.clock(), stretch_enabled=False)
    await finish(lumbar, dan)  # Dan did a stretch this morning: nothing at risk
    seen: dict[str, list[str]] = {u.first_name: [] for u in (ann, bob, cem, dan)}
    for hour, minute in ((11, 0), (12, 0), (15, 30), (16, 0), (20, 0)):
        sent = await nudges_at(lumbar, hour, minute, ann, bob, cem, dan)
        for user in (ann, bob, cem, dan):
            seen[user.first_name] += [f"{hour:02d}:{minute:02d} {text}" for text in sent[user.id]]
    ann_lines = [line for line in seen["A"] if AT_RISK in line]
    assert len(ann_lines) == 1 and ann_lines[0].startswith("15:30 ")  # the last stretch nudge
    assert (
        "Your 4-day streak is still going. One short session today keeps it alive, "
        "and a few minutes of /stretch count too."
    ) in ann_lines[0]
    assert len(seen["A"]) == 5  # 11:00 and 15:30 stretch, water at 12, 16 and 20
    _, data = lumbar.find_button(ann, "Stretch")  # one tap starts the stretch that keeps it
    assert data
    for name in ("B", "C", "D"):
        assert seen[name] and not any(AT_RISK in line for line in seen[name]), seen[name]
    # Tuesday: Ann's streak has ended (no session Monday); nothing is at risk any more.
    lumbar.clock.advance(days=1)
    assert not any(AT_RISK in text for text in (await nudges_at(lumbar, 15, 30, ann))[ann.id])


async def test_on_a_day_without_stretch_nudges_the_last_water_nudge_says_it(
    lumbar: Lumbar,
) -> None:
    eve = lumbar.user(name="Eve")
    sunday = date(2026, 3, 8)
    lumbar.clock.set(datetime(2026, 3, 8, 6, 0, tzinfo=UTC))
    await seeded(lumbar, eve)  # stretch nudges on workdays only: Sunday has water alone
    await with_streak(lumbar, eve, 6, sunday - timedelta(days=1), rest_on=sunday - timedelta(3))
    assert not any(AT_RISK in t for t in (await nudges_at(lumbar, 16, 0, eve))[eve.id])
    evening = (await nudges_at(lumbar, 20, 0, eve))[eve.id]
    assert len(evening) == 1 and "Your 6-day streak is still going" in evening[0]


async def test_a_streak_that_ended_is_told_kindly_once_at_progress(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann, stretch_days=EVERY_DAY)
    await with_streak(lumbar, ann, 5, MONDAY - timedelta(days=3), best=8)  # Friday, then nothing
    out = texts(await lumbar.send(ann, "/progress"))
    assert len(out) == 1
    assert "Streak: 0" in out[0]
    assert (
        "🌱 Your 5-day streak has come to an end, and that's alright: breaks are part of it. "
        "Your best is still 8 days. A fresh streak starts with your next session: /today, "
        "or a few minutes of /stretch."
    ) in out[0]
    again = texts(await lumbar.send(ann, "/progress"))
    assert not any(ENDED in t for t in again)
    assert not any(ENDED in t for t in texts(await lumbar.send(ann, "/today")))


async def test_a_streak_that_ended_is_told_once_before_the_next_session(lumbar: Lumbar) -> None:
    ann, bob = lumbar.user(name="Ann"), lumbar.user(2002, name="Bob")
    await seeded(lumbar, ann)
    await seeded(lumbar, bob)
    for user in (ann, bob):
        await with_streak(lumbar, user, 3, MONDAY - timedelta(days=4))
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == bob.id)
            .values(red_flag="soon", red_flag_ids=["weight_loss"], cleared_ids=[])
        )
    out = texts(await lumbar.send(ann, "/today"))
    assert len(out) == 1  # one message: the first card, the note and the intro heading it
    assert out[0].startswith(
        "🌱 Your 3-day streak has come to an end, and that's alright: breaks are part of it. "
        "Your best is still 3 days. A fresh streak starts with this session.\n\n"
        "Today's session"
    )
    assert "Card 1 of" in out[0]
    await lumbar.send(ann, "/cancel")
    resumed = texts(await lumbar.send(ann, "/today"))
    assert not any(ENDED in t for t in resumed)
    # No "start again" for someone who must see a doctor first: only the gate's answer.
    refused = texts(await lumbar.send(bob, "/today"))
    assert refused and not any(ENDED in t for t in refused)
    progress = texts(await lumbar.send(bob, "/progress"))
    assert not any(ENDED in t for t in progress)


def test_every_streak_note_fits_the_longest_summary_caption() -> None:
    """The rule and the longest milestone together, on a session pain ended: under 1024."""
    lib = load_library()
    note = lib.text("streak_milestone_30") + "\n\n" + lib.text("streak_rule")
    summary = {"done": 12, "skipped": 12, "duration": "120 min", "streak": 30, "best": 30}
    longest = max((e.name for e in lib.exercises), key=len)
    text = summary_text(
        lib, {**summary, "tip": None, NOTE_KEY: note}, early=True, hurt_name=longest, limit=1024
    )
    assert note in text and len(text) <= 1024
