"""Progress, progression and reminder settings, as a user sees them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from PIL import Image

from bot.emulator.state import StoredMessage
from tests.flows.conftest import Lumbar


async def finish_today(lumbar: Lumbar, user: object, feeling: str = "Better") -> list[object]:
    out = await lumbar.send(user, "/today")  # type: ignore[arg-type]
    while not any("Session complete" in m.text_or_caption for m in out):
        out = await lumbar.press(user, "Done")  # type: ignore[arg-type]
    return list(await lumbar.press(user, feeling))  # type: ignore[arg-type]


TREND_SOON = "trend appears here after your first weekly check-in"


def picture(lumbar: Lumbar, message: StoredMessage) -> Image.Image:
    """The photo the bot sent, as the user's phone would show it."""
    assert message.photo_file_id is not None
    return Image.open(io.BytesIO(lumbar.server.files[message.photo_file_id].data))


async def add_check_ins(lumbar: Lumbar, user_id: int, answers: list[tuple[int, int]]) -> None:
    """A baseline and weekly check-ins a week apart, ending today; the first moves up a phase."""
    now = lumbar.clock()
    start = now.date() - timedelta(weeks=len(answers) - 1)
    async with lumbar.services.transaction() as uow:
        for week, (pain, function) in enumerate(answers):
            kind = "baseline" if week == 0 else "weekly"
            at = now - timedelta(weeks=len(answers) - 1 - week)
            row = await uow.checkins.start(user_id, kind, start + timedelta(weeks=week), at, None)
            await uow.checkins.answer(row.id, pain=pain, function=function)
            await uow.checkins.complete(row.id, at)
        await uow.checkins.add_phase_change(
            user_id,
            now=now - timedelta(days=3),
            local_on=now.date() - timedelta(days=3),
            from_phase="gentle",
            to_phase="building",
            reason="accepted_next",
        )


async def test_progress_shows_streak_week_and_heatmap(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    out = await lumbar.send(ann, "/progress")
    assert [m.kind for m in out] == ["text"]
    assert "No sessions yet" in (out[0].text or "")
    assert TREND_SOON in (out[0].text or "")
    await finish_today(lumbar, ann)
    lumbar.clock.advance(days=1)
    await finish_today(lumbar, ann)
    out = await lumbar.send(ann, "/progress")
    assert out[0].kind == "photo"
    assert "Streak: 2" in (out[0].caption or "")
    assert "This week: 2" in (out[0].caption or "")
    assert TREND_SOON in (out[0].caption or "")


async def test_progress_shows_the_trend_after_the_first_weekly_check_in(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await add_check_ins(lumbar, ann.id, [(6, 7)])  # the baseline alone: no trend yet
    out = await lumbar.send(ann, "/progress")
    assert [m.kind for m in out] == ["text"]
    assert TREND_SOON in (out[0].text or "")

    await add_check_ins(lumbar, ann.id, [(6, 7), (5, 6), (4, 4)])
    out = await lumbar.send(ann, "/progress")
    assert [m.kind for m in out] == ["photo"]
    caption = out[0].caption or ""
    assert "pain 6 → 4" in caption and "activities 7 → 4" in caption
    assert TREND_SOON not in caption
    with_trend = picture(lumbar, out[0])

    await finish_today(lumbar, ann)
    out = await lumbar.send(ann, "/progress")
    assert [m.kind for m in out] == ["photo"]
    assert "Streak: 1" in (out[0].caption or "")
    assert picture(lumbar, out[0]).size == with_trend.size  # the trend above the calendar
    answers = [m for m in lumbar.server.bot_messages(ann) if "Your progress" in m.text_or_caption]
    assert [m.kind for m in answers] == ["text", "photo", "photo"]


async def test_the_trend_picture_is_taller_than_the_calendar_alone(lumbar: Lumbar) -> None:
    ann, bob = lumbar.user(1001, "Ann"), lumbar.user(1002, "Bob")
    for user in (ann, bob):
        await lumbar.triage(user)
        await finish_today(lumbar, user)
    await add_check_ins(lumbar, bob.id, [(7, 8), (6, 6)])
    calendar = picture(lumbar, (await lumbar.send(ann, "/progress"))[0])
    both = picture(lumbar, (await lumbar.send(bob, "/progress"))[0])
    assert calendar.width == both.width == 1080
    assert both.height > calendar.height + 500


async def test_three_good_sessions_raise_the_reps_and_say_so(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, pain=0, experience="Regularly")
    lines: list[str] = []
    for _ in range(3):
        out = await finish_today(lumbar, ann)
        # The thanks and any level change join the summary's caption, in place.
        lines.append(" ".join(getattr(m, "text_or_caption", "") for m in out))
        lumbar.clock.advance(days=1)
    assert "next time" not in lines[0].lower()
    assert "next time 12 reps instead of 10" in " ".join(lines).lower()
    async with lumbar.services.transaction() as uow:
        levels = await uow.progress.levels(ann.id)
    assert any(row.level > 0 for row in levels.values())


async def test_reminders_screen_changes_settings_and_reschedules(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, reminders="all")
    out = await lumbar.send(ann, "/reminders")
    assert "11:00, 15:30 (workdays)" in (out[0].text or "")
    out = await lumbar.press(ann, "Stretch times")
    assert "Type your stretch times" in (out[0].text or "")
    out = await lumbar.send(ann, "9:15, 16:45")
    assert "09:15, 16:45" in (out[-1].text or "")
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    # 09:00 UTC Monday = 10:00 Berlin: next is 16:45 Berlin = 15:45 UTC.
    assert rows["stretch"].due_at == datetime(2026, 3, 2, 15, 45, tzinfo=UTC)
    await lumbar.press(ann, "Quiet hours")
    out = await lumbar.send(ann, "22:00-07:00")
    async with lumbar.services.transaction() as uow:
        settings = await uow.nudges.get_settings(ann.id)
    assert settings is not None
    assert (settings.quiet_start, settings.quiet_end) == (time(22, 0), time(7, 0))
    out = await lumbar.press(ann, "Every 4 hours")
    assert "every hour" in (lumbar.server.bot_messages(ann)[-1].text or "")  # 240 -> 60
    await lumbar.press(ann, "Days: Mon–Fri")
    await lumbar.press(ann, "Waking hours")
    await lumbar.send(ann, "07:30-22:15")
    async with lumbar.services.transaction() as uow:
        settings = await uow.nudges.get_settings(ann.id)
    assert settings is not None and settings.water_interval_minutes == 60
    assert settings.stretch_days == 0b1111111
    assert (settings.wake_start, settings.wake_end) == (time(7, 30), time(22, 15))
    await lumbar.press(ann, "Pause 1 week")
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    assert all(
        n.due_at is None or n.due_at >= datetime(2026, 3, 9, tzinfo=UTC) for n in rows.values()
    )
    await lumbar.press(ann, "Resume")
    await lumbar.press(ann, "Turn everything off")
    async with lumbar.services.transaction() as uow:
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    assert all(n.due_at is None for n in rows.values())
    out = await lumbar.send(ann, "/reminders")
    assert "Stretch: off" in (out[0].text or "")


async def test_changing_time_zone_moves_the_reminders(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await lumbar.send(ann, "/settings")
    await lumbar.press(ann, "Change time zone")
    out = await lumbar.send(ann, "New York")
    assert "America/New_York" in (out[0].text or "")
    async with lumbar.services.transaction() as uow:
        user = await uow.users.get(ann.id)
        rows = {n.kind: n for n in await uow.nudges.for_user(ann.id)}
    assert user is not None and user.time_zone == "America/New_York"
    # 09:00 UTC = 04:00 in New York (EST): next stretch 11:00 EST = 16:00 UTC.
    assert rows["stretch"].due_at == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


async def test_typing_reminder_times_waits_while_a_repeat_check_is_open(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await lumbar.send(ann, "/triage")  # a repeat check: consent and zone are kept
    await lumbar.press(ann, "16 to 49")
    (screen,) = await lumbar.send(ann, "/reminders")
    # Nothing is scheduled for stretching while the check is open: the screen says so.
    assert "Stretch: none until you finish the safety check; then 11:00" in (screen.text or "")
    out = await lumbar.press(ann, "Stretch times")
    assert "finish your safety check first" in " ".join(m.text_or_caption for m in out)
    out = await lumbar.send(ann, "/start")  # the check in progress is still there
    assert "None of these" in str([lumbar.server.buttons(m) for m in out])
