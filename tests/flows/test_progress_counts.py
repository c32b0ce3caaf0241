"""/progress: "This week: N sessions" and the calendar's number for a day agree (issue 18, item 3).

Both count the sessions that count for the streak: finished, with at least one
exercise done. A session that only hurt, or one closed for safety, counts in neither.
Sessions are written straight to the database, as a finished session leaves them,
so the test does not depend on how a session is walked through.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from PIL import Image, ImageChops

from bot.coach.streak import StreakState, count_day
from bot.emulator import FakeUser, StoredMessage
from bot.pictures.heatmap import calendar_words
from bot.pictures.trend import render_progress, trend_labels
from db.models import ExerciseResult, Workout
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage


async def finished_session(
    lumbar: Lumbar, user: FakeUser, outcomes: list[str], *, at: datetime, closed: bool = False
) -> None:
    """A session finished at ``at`` (Berlin's local day) with these card answers."""
    day = at.date()  # 09:00 UTC is 10:00 in Berlin: the same local day
    async with lumbar.services.transaction() as uow:
        workout = Workout(
            user_id=user.id,
            kind="today",
            local_on=day,
            started_at=at - timedelta(minutes=15),
            finished_at=at,
            ended_early=closed,
            plan=[],
            position=len(outcomes),
            hurts=outcomes.count("hurt"),
            feeling_asked_at=at,
        )
        uow.session.add(workout)
        await uow.session.flush()
        for position, outcome in enumerate(outcomes):
            uow.session.add(
                ExerciseResult(
                    workout_id=workout.id,
                    user_id=user.id,
                    position=position,
                    exercise_id="cat_cow",
                    outcome=outcome,
                    answered_at=at,
                )
            )
        if "done" in outcomes and await uow.streaks.add_day(user.id, day):
            # As a finished session counts its day for the streak.
            row = await uow.streaks.get(user.id)
            state = StreakState(row.current, row.best, row.last_on, row.rest_on) if row else None
            state = count_day(state or StreakState(), day)
            await uow.streaks.save(
                user.id, state.current, state.best, state.last_on, state.rest_on, at
            )


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def sent_picture(lumbar: Lumbar, message: StoredMessage) -> Image.Image:
    assert message.photo_file_id is not None
    return pixels(lumbar.server.files[message.photo_file_id].data)


def calendar_showing(lumbar: Lumbar, counts: dict[date, int], today: date) -> Image.Image:
    """The picture the user should see: the calendar with exactly these numbers on it."""
    library = lumbar.services.library
    words, labels = calendar_words(library), trend_labels(library)
    return pixels(render_progress(None, counts, today, 8, words, labels))


async def test_this_week_and_the_calendar_count_the_same_sessions(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    lumbar.server.private_chat(ann)
    now = lumbar.clock()
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, ann, now)
    today = now.date()
    await finished_session(lumbar, ann, ["done", "done"], at=now - timedelta(minutes=50))
    await finished_session(lumbar, ann, ["skipped", "done"], at=now - timedelta(minutes=20))
    await finished_session(lumbar, ann, ["hurt"], at=now - timedelta(minutes=10))  # no exercise
    await finished_session(lumbar, ann, [], at=now - timedelta(minutes=5), closed=True)

    (answer,) = await lumbar.send(ann, "/progress")
    print("\n" + (answer.caption or ""))
    assert answer.kind == "photo"
    assert "This week: 2 sessions" in (answer.caption or "")
    picture = sent_picture(lumbar, answer)
    assert (
        ImageChops.difference(picture, calendar_showing(lumbar, {today: 2}, today)).getbbox()
        is None
    )

    assert "Streak: 1" in (answer.caption or "")  # the streak counted the same day
    lumbar.clock.advance(days=1)
    await finished_session(lumbar, ann, ["done"], at=lumbar.clock())
    (answer,) = await lumbar.send(ann, "/progress")
    assert "This week: 3 sessions" in (answer.caption or "")
    expected = calendar_showing(
        lumbar, {today: 2, today + timedelta(days=1): 1}, today + timedelta(days=1)
    )
    assert ImageChops.difference(sent_picture(lumbar, answer), expected).getbbox() is None
