"""The stretch nudge starts a desk routine and names its first card, as the user sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.coach.desk import in_sentence
from bot.emulator import FakeUser, StoredMessage
from content.schema import Position
from tests.flows.conftest import Lumbar

STRETCH_NOW = "Stretch now"
DESK = (Position.STANDING, Position.SEATED)
TODAY = date(2026, 3, 2)  # a Monday; the clock starts at 10:00 in Berlin


def caption(message: StoredMessage) -> str:
    return message.caption or message.text or ""


async def nudge_at(lumbar: Lumbar, user: FakeUser, moment: datetime) -> StoredMessage:
    """Move the clock, run the dispatcher, and return the stretch nudge the user got."""
    lumbar.clock.set(moment)
    lumbar.server.new_bot_messages(user)  # forget what came before
    report = await lumbar.dispatch()
    assert report.sent >= 1
    nudges = [
        m
        for m in lumbar.server.new_bot_messages(user)
        if STRETCH_NOW in str(lumbar.server.buttons(m))
    ]
    assert len(nudges) == 1
    return nudges[0]


async def stretch_plan(lumbar: Lumbar, user: FakeUser, day: date) -> list[str]:
    """The exercise ids of the user's stretch routine under way on ``day``."""
    async with lumbar.services.transaction() as uow:
        workout = await uow.workouts.open_for_day(user.id, "stretch", day)
    assert workout is not None
    return [str(card["exercise_id"]) for card in workout.plan]


def name_of(lumbar: Lumbar, exercise_id: str) -> str:
    return lumbar.services.library.exercise(exercise_id).name


async def test_the_stretch_nudge_names_the_first_card_of_the_desk_routine_it_starts(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)  # Berlin, pain 2, exercising now and then, a mat
    nudge = await nudge_at(lumbar, ann, datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # 11:00
    assert "cat-cows" not in (nudge.text or "")  # the old text named what was not in it
    out = await lumbar.press(ann, STRETCH_NOW)
    (card,) = out  # one message: the routine's intro heads its first card
    assert card.kind == "photo"
    assert caption(card).startswith("Desk stretch, standing or seated")
    plan = await stretch_plan(lumbar, ann, TODAY)
    first = name_of(lumbar, plan[0])
    # The text names the first card, and the first card is that exercise.
    assert in_sentence(first) in (nudge.text or "")
    assert first in caption(card) and "Card 1 of" in caption(card)
    # Every card of the routine is done standing or seated: nothing on the floor.
    library = lumbar.services.library
    assert all(library.exercise(i).position in DESK for i in plan), plan
    assert plan == ["forward_bend", "standing_back_extension", "seated_cat_cow"]
    shown = [caption(card)]
    for _ in plan[1:]:
        out = await lumbar.press(ann, "Done")
        shown.append(caption(next(m for m in out if m.kind == "photo")))
    for position, (exercise_id, text) in enumerate(zip(plan, shown, strict=True), 1):
        assert name_of(lumbar, exercise_id) in text and f"Card {position} of" in text
    out = await lumbar.press(ann, "Done")
    assert "Session complete" in " ".join(m.text_or_caption for m in out)


async def test_what_hurt_rests_and_the_next_nudge_names_the_routine_s_new_first_card(
    lumbar: Lumbar,
) -> None:
    """Derived from the routine, never fixed: after the forward bend hurt, it is not named."""
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await nudge_at(lumbar, ann, datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    await lumbar.press(ann, STRETCH_NOW)
    assert (await stretch_plan(lumbar, ann, TODAY))[0] == "forward_bend"
    await lumbar.press(ann, "It hurts")
    out = await lumbar.press(ann, "Next exercise")
    while not any("Session complete" in m.text_or_caption for m in out):
        out = await lumbar.press(ann, "Done")
    lumbar.clock.set(datetime(2026, 3, 2, 14, 30, 5, tzinfo=UTC))  # 15:30: done today
    assert (await lumbar.dispatch()).skipped_done == 1
    # Tuesday 11:00: the forward bend rests for a week, so the routine and its nudge change.
    nudge = await nudge_at(lumbar, ann, datetime(2026, 3, 3, 10, 0, 5, tzinfo=UTC))
    out = await lumbar.press(ann, STRETCH_NOW)
    plan = await stretch_plan(lumbar, ann, date(2026, 3, 3))
    assert "forward_bend" not in plan and plan[0] == "standing_back_extension"
    assert "standing back extension" in (nudge.text or "")
    assert "forward bend" not in (nudge.text or "")
    card = next(m for m in out if m.kind == "photo")
    assert "Standing back extension" in caption(card)


async def test_a_desk_routine_under_way_is_named_where_it_stands(lumbar: Lumbar) -> None:
    """Paused at card 2 at 11:00, the 15:30 nudge names card 2, and its button resumes there."""
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await nudge_at(lumbar, ann, datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    await lumbar.press(ann, STRETCH_NOW)
    await lumbar.press(ann, "Done")
    await lumbar.send(ann, "/cancel")
    plan = await stretch_plan(lumbar, ann, TODAY)
    nudge = await nudge_at(lumbar, ann, datetime(2026, 3, 2, 14, 30, 5, tzinfo=UTC))  # 15:30
    assert in_sentence(name_of(lumbar, plan[1])) in (nudge.text or "")
    out = await lumbar.press(ann, STRETCH_NOW)
    assert "card 2 of" in " ".join(m.text_or_caption for m in out)
    card = next(m for m in out if m.kind == "photo")
    assert name_of(lumbar, plan[1]) in caption(card)


async def test_a_floor_stretch_under_way_stays_for_slash_stretch(lumbar: Lumbar) -> None:
    """/stretch keeps the article's floor routine; the nudge at the desk starts a desk one."""
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    out = await lumbar.send(ann, "/stretch")
    (floor_card,) = out  # the intro heads the first card
    assert floor_card.kind == "photo" and caption(floor_card).startswith("Quick stretch")
    floor = await stretch_plan(lumbar, ann, TODAY)
    library = lumbar.services.library
    assert any(library.exercise(i).position not in DESK for i in floor)  # the cobra, cat-cow
    nudge = await nudge_at(lumbar, ann, datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))
    out = await lumbar.press(ann, STRETCH_NOW)
    desk = await stretch_plan(lumbar, ann, TODAY)  # the newest routine under way
    assert all(library.exercise(i).position in DESK for i in desk)
    assert in_sentence(name_of(lumbar, desk[0])) in (nudge.text or "")
    assert "Desk stretch" in " ".join(m.text_or_caption for m in out)
    # The floor card sent before is no longer pressable beside the desk one.
    assert lumbar.server.buttons(floor_card) == []
