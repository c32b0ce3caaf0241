"""The safety net after the first day, as a user meets it.

The cauda equina warning signs are one line away in every summary, in the pain
stop and after a Worse answer; Worse twice in a row, or pain ending two sessions
in a week, suggests a GP or physiotherapist, asks the safety questions again and
offers stretches only until a Better answer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.emulator import FakeUser
from db.models import Workout
from tests.flows.conftest import Lumbar
from tests.flows.test_blocked_sessions import labels, photos, seeded, text_of

WARNING_SIGNS = "🚩 Numbness around your genitals or bottom"


async def past_session(
    lumbar: Lumbar, user_id: int, days_ago: int, *, feeling: str | None = None, pain: bool = False
) -> None:
    """A session finished ``days_ago`` days ago, answered with ``feeling``, stopped by pain."""
    when = lumbar.clock() - timedelta(days=days_ago)
    async with lumbar.services.transaction() as uow:
        plan = [{"exercise_id": "cat_cow", "variant_id": None, "dosage": {}}]
        workout = await uow.workouts.start(user_id, "stretch", when.date(), plan, when)
        await uow.session.execute(
            update(Workout)
            .where(Workout.id == workout.id)
            .values(
                finished_at=when + timedelta(minutes=5),
                ended_early=pain,
                hurts=2 if pain else 0,
                feeling=feeling,
            )
        )


async def stretch_to_the_end(lumbar: Lumbar, user: FakeUser) -> str:
    """Do the quick stretch card by card; the text of what the last press brought."""
    out = await lumbar.send(user, "/stretch")
    total = int((photos(out)[-1].caption or "").split("Card 1 of ")[1].split()[0])
    for _ in range(total):
        out = await lumbar.press(user, "Done")
    return text_of(out)


async def test_worse_twice_steps_back_to_stretches_until_better(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await past_session(lumbar, ann.id, 1, feeling="worse")
    summary = await stretch_to_the_end(lumbar, ann)
    assert "Session complete" in summary and WARNING_SIGNS in summary
    out = await lumbar.press(ann, "Worse")
    said = text_of(out)
    assert WARNING_SIGNS in said  # after every Worse answer
    assert "GP or a physiotherapist" in said and "stretches only" in said
    assert "safety questions again" in said  # the recheck has begun
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
        await uow.triage.clear_state(ann.id)  # as if the recheck had ended clear
    assert profile is not None and profile.stretch_only_since == lumbar.clock()
    lumbar.clock.advance(days=1)
    out = await lumbar.send(ann, "/today")
    assert photos(out) == [] and "gentle stretches" in text_of(out)
    assert labels(lumbar, out) == ["Quick stretch"]
    out = await lumbar.press(ann, "Quick stretch")
    assert photos(out), "the quick stretch is offered instead"
    await lumbar.send(ann, "/cancel")
    await stretch_to_the_end(lumbar, ann)
    out = await lumbar.press(ann, "Better")
    assert "Full sessions are back" in text_of(out)
    out = await lumbar.send(ann, "/today")
    assert photos(out), "today's session is back"


async def test_a_single_worse_changes_nothing_but_shows_the_warning_signs(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await past_session(lumbar, ann.id, 1, feeling="same")
    await stretch_to_the_end(lumbar, ann)
    out = await lumbar.press(ann, "Worse")
    assert WARNING_SIGNS in text_of(out) and "GP or a physiotherapist" not in text_of(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None and profile.stretch_only_since is None


async def test_pain_ending_two_sessions_in_a_week_steps_back(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await past_session(lumbar, ann.id, 3, pain=True)
    await lumbar.send(ann, "/stretch")
    await lumbar.press(ann, "It hurts")
    await lumbar.press(ann, "Next exercise")
    out = await lumbar.press(ann, "It hurts")
    texts = [m.text_or_caption for m in out]
    summary = next(t for t in texts if "Session ended" in t)
    assert "let's stop here" in summary and WARNING_SIGNS in summary
    said = text_of(out)
    assert "Pain has ended two sessions this week" in said
    assert "GP or a physiotherapist" in said and "safety questions again" in said
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None and profile.stretch_only_since == lumbar.clock()


async def test_one_painful_session_in_a_week_only_stops_that_session(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await past_session(lumbar, ann.id, 9, pain=True)  # more than a week ago
    await lumbar.send(ann, "/stretch")
    await lumbar.press(ann, "It hurts")
    await lumbar.press(ann, "Next exercise")
    out = await lumbar.press(ann, "It hurts")
    assert WARNING_SIGNS in text_of(out) and "GP or a physiotherapist" not in text_of(out)
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(ann.id)
    assert profile is not None and profile.stretch_only_since is None
