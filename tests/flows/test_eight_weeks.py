"""Issue 15, as three people live it for eight weeks in Berlin, across the change to summer time.

* Ida improves: her weekly check-ins come at 10:00 her time every Monday (before and
  after 29 March), her pain falls, the next phase is offered and she accepts it, and
  /progress shows her trend as a picture.
* Max gets worse: his plan turns gentler at once and the safety questions come again.
* Pat plateaus: at week 6 he is pointed, kindly and once, to a GP or physiotherapist.

The three share one clock; each Monday the dispatcher runs once just before 10:00 local
(nothing is sent) and once just after (each gets the check-in once).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.emulator import FakeUser, StoredMessage
from tests.flows.conftest import Lumbar

BERLIN = ZoneInfo("Europe/Berlin")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def texts(out: list[StoredMessage]) -> str:
    return "\n".join(m.text or m.caption or "" for m in out)


def labels(out: list[StoredMessage]) -> str:
    return str([label for m in out for row in m.buttons for label, _ in row])


def monday_10(week: int) -> datetime:
    """10:00 Berlin time on the Monday ``week`` weeks after 2 March 2026, in UTC."""
    local = datetime.combine(date(2026, 3, 2) + timedelta(weeks=week), datetime.min.time())
    return local.replace(hour=10, tzinfo=BERLIN).astimezone(UTC)


async def start(lumbar: Lumbar, user: FakeUser, *, pain: int, function: int) -> None:
    """The first check and its first session, then the baseline: limits, one activity rated."""
    out = await lumbar.triage(user, pain=pain)
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


async def monday(lumbar: Lumbar, week: int, users: list[FakeUser]) -> None:
    """The week's check-in nudge: not a minute early, then once for each of them at 10:00."""
    due = monday_10(week)
    lumbar.clock.set(due - timedelta(minutes=1))
    for user in users:
        lumbar.server.mark(user)
    await lumbar.dispatch()
    for user in users:
        assert "Quick check" not in texts(lumbar.server.new_bot_messages(user))
    lumbar.clock.set(due + timedelta(seconds=5))
    for _ in range(3):  # a water nudge may be due too: one message a chat at a time
        await lumbar.dispatch()
        lumbar.clock.advance(seconds=3)
    for user in users:
        nudges = [
            m for m in lumbar.server.new_bot_messages(user) if "Quick check" in (m.text or "")
        ]
        assert len(nudges) == 1, (user.first_name, week)
        async with lumbar.services.transaction() as uow:
            [row] = [n for n in await uow.nudges.for_user(user.id) if n.kind == "checkin"]
        assert row.last_sent_at is not None
        sent_at = row.last_sent_at.astimezone(BERLIN)
        assert (sent_at.weekday(), sent_at.hour, sent_at.minute) == (0, 10, 0), sent_at


async def answer(
    lumbar: Lumbar, user: FakeUser, *, pain: int, function: int
) -> list[StoredMessage]:
    await lumbar.press(user, "Start (1 minute)")
    await lumbar.press(user, str(pain))
    await lumbar.press(user, str(function))
    return await lumbar.press(user, str(10 - function))  # sitting an hour, rated again


async def test_eight_weeks_three_people(lumbar: Lumbar) -> None:
    ida = lumbar.user(9101, name="Ida")
    max_ = lumbar.user(9102, name="Max")
    pat = lumbar.user(9103, name="Pat")
    await start(lumbar, ida, pain=6, function=7)
    await start(lumbar, max_, pain=3, function=4)
    await start(lumbar, pat, pain=4, function=5)
    ida_pain = [5, 4, 3, 3, 2, 2, 2, 2]
    max_pain = [4, 5]  # 3 → 5: two points up, then he is moved and re-screened
    pat_pain = [4, 4, 5, 4, 4, 4, 4, 4]
    transcript: dict[str, list[str]] = {"Ida": [], "Max": [], "Pat": []}
    offered_at = None
    gp_weeks = []
    for week in range(1, 9):
        people = [ida, pat] + ([max_] if week <= len(max_pain) else [])
        await monday(lumbar, week, people)
        out = await answer(lumbar, ida, pain=ida_pain[week - 1], function=max(1, 7 - week))
        transcript["Ida"].append(f"week {week}: {texts(out)[:160]}")
        if offered_at is None and "Yes, step up" in labels(out):
            offered_at = week
            accepted = await lumbar.press(ida, "Yes, step up")
            transcript["Ida"].append(f"  accepts: {texts(accepted)[:120]}")
        out = await answer(lumbar, pat, pain=pat_pain[week - 1], function=5)
        transcript["Pat"].append(f"week {week}: {texts(out)[:160]}")
        if "GP or a physiotherapist" in texts(out):
            gp_weeks.append(week)
        if week <= len(max_pain):
            out = await answer(lumbar, max_, pain=max_pain[week - 1], function=5)
            transcript["Max"].append(f"week {week}: {texts(out)[:200]}")
            if week == 2:
                assert "gentler" in texts(out) and "pain 3 → 5" in texts(out)
                # The emergency questions again: one group, so no "1 of 4".
                assert "Safety check." in texts(out) and "of 4" not in texts(out)
                out = await lumbar.press(max_, "None of these")
                transcript["Max"].append(f"  re-screen: {texts(out)[:120]}")
                assert "Nothing there needs urgent care" in texts(out)
    print("\n".join(f"{name}: " + "\n  ".join(lines) for name, lines in transcript.items()))

    async with lumbar.services.transaction() as uow:
        profiles = {u.first_name: await uow.profiles.get(u.id) for u in (ida, max_, pat)}
        ida_changes = await uow.checkins.phase_changes(ida.id)
        max_changes = await uow.checkins.phase_changes(max_.id)
        ida_checkins = await uow.checkins.history(ida.id)
    # Ida: better for two check-ins in a row → offered at week 3, accepted, celebrated.
    assert offered_at == 3
    assert [(c.from_phase, c.to_phase, c.reason) for c in ida_changes] == [
        ("gentle", "building", "accepted_next")
    ]
    assert profiles["Ida"] is not None and profiles["Ida"].phase == "building"
    assert [c.pain for c in ida_checkins] == [6, *ida_pain]
    assert any("pain 6 → 3 since 2 March" in line for line in transcript["Ida"])
    # Max: two points up → gentler at once, the safety questions again.
    assert [(c.from_phase, c.to_phase, c.reason) for c in max_changes] == [
        ("building", "gentle", "worse")
    ]
    # Pat: six weeks without a 30 % or 2-point change → the GP, once, at week 6.
    assert gp_weeks == [6]

    out = await lumbar.send(ida, "/progress")
    [picture] = [m for m in out if m.kind == "photo"]
    assert "pain 6 → 2" in (picture.caption or "")
    assert picture.photo_file_id is not None
    data = lumbar.server.files[picture.photo_file_id].data
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "progress-eight-weeks.png").write_bytes(data)
    assert data.startswith(b"\x89PNG")
