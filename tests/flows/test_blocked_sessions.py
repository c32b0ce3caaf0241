"""After a block, nothing offers exercise: old cards, their buttons, /today, feelings.

Users start from a profile written straight to the database (as a finished check
leaves it), and become blocked the same way, so these tests do not depend on the
wording or order of the safety questions.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update

from bot.emulator import FakeUser, StoredMessage
from bot.handlers.gate import close_open_sessions, remove_card_buttons
from bot.services import LumbarContext
from db.models import Profile
from tests.flows.conftest import CARD_KINDS, Lumbar
from tests.seeding import seed_finished_triage

EMERGENCY_FLAG = "bladder_bowel"
SOON_FLAG = "weight_loss"


async def seeded(lumbar: Lumbar, user: FakeUser) -> None:
    """A user whose check is done and clear, as if they had written to the bot before."""
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock())


async def flag(lumbar: Lumbar, user: FakeUser, *flag_ids: str, emergency: bool = False) -> None:
    """The user reported these red flags (no doctor has cleared them)."""
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile)
            .where(Profile.user_id == user.id)
            .values(
                red_flag="emergency" if emergency else "soon",
                red_flag_ids=list(flag_ids),
                cleared_ids=[],
                flagged_at=lumbar.clock(),
            )
        )


async def clear(lumbar: Lumbar, user: FakeUser, *flag_ids: str) -> None:
    """A doctor cleared these flags."""
    async with lumbar.services.transaction() as uow:
        await uow.session.execute(
            update(Profile).where(Profile.user_id == user.id).values(cleared_ids=list(flag_ids))
        )


def photos(messages: Sequence[StoredMessage]) -> list[StoredMessage]:
    return [m for m in messages if m.kind in CARD_KINDS]


def text_of(messages: Sequence[StoredMessage]) -> str:
    return " ".join(m.text or m.caption or "" for m in messages)


def labels(lumbar: Lumbar, messages: Sequence[StoredMessage]) -> list[str]:
    return [t for m in messages for row in lumbar.server.buttons(m) for t, _ in row]


async def test_a_card_on_screen_stops_working_once_the_user_is_blocked(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "/today")
    card = photos(out)[-1]
    await flag(lumbar, ann, EMERGENCY_FLAG, emergency=True)
    out = await lumbar.press(ann, "Done")
    assert photos(out) == []  # no card 2
    assert len(out) == 1 and "🚨" in (out[0].text or "")
    assert lumbar.server.buttons(card) == []
    async with lumbar.services.transaction() as uow:
        workouts = await uow.workouts.recent(ann.id, lumbar.clock.now.date())
        streak = await uow.streaks.get(ann.id)
    assert [w.finished_at is not None and w.ended_early for w in workouts] == [True]
    assert workouts[0].results == []  # the press was not counted as done
    assert streak is None or streak.current == 0


async def test_the_gentler_and_next_buttons_refuse_too(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await lumbar.send(ann, "/today")
    await lumbar.press(ann, "Done")
    out = await lumbar.press(ann, "It hurts")
    assert "Next exercise" in labels(lumbar, out)
    await flag(lumbar, ann, SOON_FLAG)
    out = await lumbar.press(ann, "Next exercise")
    assert photos(out) == [] and len(out) == 1
    assert "⚠️" in (out[0].text or "")
    # The hurt message's buttons are gone: the gentler option cannot be pressed either.
    assert "Next exercise" not in labels(lumbar, lumbar.server.bot_messages(ann))


async def test_today_stretch_and_menu_buttons_refuse_a_blocked_user(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await flag(lumbar, ann, EMERGENCY_FLAG, emergency=True)
    for command in ("/today", "/stretch"):
        out = await lumbar.send(ann, command)
        assert photos(out) == [] and len(out) == 1, command
        assert "🚨" in (out[0].text or ""), command
        assert lumbar.server.buttons(out[0]) == []  # no clearance within the hour of an emergency
    async with lumbar.services.transaction() as uow:
        assert await uow.workouts.recent(ann.id, lumbar.clock.now.date()) == []


async def test_close_open_sessions_closes_the_cards_and_later_presses_get_the_advice(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    await lumbar.send(ann, "/stretch")
    out = await lumbar.send(ann, "/today")
    card = photos(out)[-1]
    stretch_card = photos(lumbar.server.bot_messages(ann))[0]
    _, data = lumbar.find_button(ann, "Done")
    await flag(lumbar, ann, SOON_FLAG)
    context = LumbarContext(lumbar.app)
    async with lumbar.services.transaction() as uow:
        closed = await close_open_sessions(context, uow, ann.id, lumbar.clock())
    assert sorted(closed) == sorted([card.message_id, stretch_card.message_id])
    await remove_card_buttons(context, ann.id, closed)
    await lumbar.server.settle(quiet=0.3)
    assert lumbar.server.buttons(card) == [] and lumbar.server.buttons(stretch_card) == []
    async with lumbar.services.transaction() as uow:
        workouts = await uow.workouts.recent(ann.id, lumbar.clock.now.date())
        streak = await uow.streaks.get(ann.id)
    assert all(w.finished_at is not None and w.ended_early for w in workouts)
    assert len(workouts) == 2 and (streak is None or streak.current == 0)
    # A press that still reaches the closed card (an old client) gets the advice.
    out = await lumbar.press_data(ann, card.message_id, data)
    assert photos(out) == [] and "⚠️" in text_of(out)
    # Once a doctor cleared the flag, the closed card is just stale.
    await clear(lumbar, ann, SOON_FLAG)
    out = await lumbar.press_data(ann, card.message_id, data)
    assert out == []
    answers = lumbar.server.calls_to("answerCallbackQuery")
    assert "earlier message" in str(answers[-1].params.get("text"))


async def test_a_check_under_way_is_resumed_instead_of_the_next_card(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "/today")
    card = photos(out)[-1]
    question = await lumbar.send(ann, "/triage")
    assert question, "the check starts"
    out = await lumbar.press_data(ann, card.message_id, lumbar.find_button(ann, "Done")[1])
    assert photos(out) == []
    assert out and out[-1].text == question[-1].text  # the current question again


async def test_a_feeling_is_stored_but_a_blocked_user_gets_the_advice(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await seeded(lumbar, ann)
    out = await lumbar.send(ann, "/stretch")
    total = int((photos(out)[-1].caption or "").split("Card 1 of ")[1].split()[0])
    for _ in range(total):
        out = await lumbar.press(ann, "Done")
    assert "How does your back feel" in text_of(out)
    await flag(lumbar, ann, SOON_FLAG)
    out = await lumbar.press(ann, "Better")
    assert len(out) == 1 and "⚠️" in (out[0].text or "")
    assert "See you tomorrow" not in text_of(out) and "📈" not in text_of(out)
    async with lumbar.services.transaction() as uow:
        (workout,) = await uow.workouts.recent(ann.id, lumbar.clock.now.date())
    assert workout.feeling == "better"
