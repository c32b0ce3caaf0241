"""Sessions as a user sees them: cards one at a time, done / skip / it hurts, streaks."""

from __future__ import annotations

from tests.flows.conftest import CARD_KINDS, Lumbar


def card_of(lumbar: Lumbar, user: object) -> object:
    """The session's card message (the newest photo or animation)."""
    return [m for m in lumbar.server.bot_messages(user) if m.kind in CARD_KINDS][-1]  # type: ignore[arg-type]


def caption(message: object) -> str:
    return getattr(message, "caption", None) or getattr(message, "text", None) or ""


async def test_today_card_by_card_to_the_summary_and_streak(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, pain=2, experience="Now and then", start=False)
    out = await lumbar.press(ann, "Start my first session")
    # One message: the session's intro heads the first card's caption.
    (card,) = out
    assert card.kind in CARD_KINDS
    assert caption(card).startswith("Today's session") and "minutes" in caption(card)
    total = int(caption(card).split("Card 1 of ")[1].split()[0])
    assert 4 <= total <= 7
    labels = [t for row in lumbar.server.buttons(card) for t, _ in row]
    assert labels == ["✅ Done", "⏭ Skip", "🤕 It hurts"]
    captions = [caption(card)]
    for position in range(1, total):
        out = await lumbar.press(ann, "Done")
        # One message for the whole session: the card turns into the next one in place,
        # saying what was just answered; no new message.
        assert [m.message_id for m in out] == [card.message_id]
        shown = caption(out[0])
        assert f"Card {position + 1} of {total}" in shown
        assert shown.startswith("✅ Done — ")
        assert [t for row in lumbar.server.buttons(out[0]) for t, _ in row] == labels
        captions.append(shown)
    out = await lumbar.press(ann, "Done")
    assert [m.message_id for m in out] == [card.message_id]
    summary = caption(out[0])
    assert "Session complete" in summary
    assert f"Done: {total}" in summary and "Skipped: 0" in summary
    assert "Streak: 1 day" in summary and summary.endswith("How does your back feel now?")
    assert [t for row in lumbar.server.buttons(out[0]) for t, _ in row] == [
        "Better",
        "Same",
        "Worse",
    ]
    assert "cat-cow" in captions[-1].lower()  # the article's perfect conclusion
    assert len([m for m in lumbar.server.bot_messages(ann) if m.kind in CARD_KINDS]) == 1
    out = await lumbar.press(ann, "Better")
    # The answer and the thanks join the summary in place, its buttons gone; then the
    # first session's baseline question follows.
    assert out[0].message_id == card.message_id
    assert caption(out[0]).startswith(summary)
    assert "→ Better\n\nGreat to hear" in caption(out[0])
    assert lumbar.server.buttons(out[0]) == []
    assert len(out) == 2 and "One more minute" in (out[-1].text or "")
    async with lumbar.services.transaction() as uow:
        streak = await uow.streaks.get(ann.id)
        workouts = await uow.workouts.recent(ann.id, lumbar.clock.now.date())
    assert streak is not None and streak.current == 1 and streak.best == 1
    assert len(workouts) == 1 and workouts[0].finished_at is not None
    assert [r.outcome for r in workouts[0].results] == ["done"] * total
    assert workouts[0].feeling == "better"
    # /today again the same day: already done, no second streak day.
    out = await lumbar.send(ann, "/today")
    assert "already finished" in (out[0].text or "")


async def test_card_pictures_upload_once_then_reuse_file_ids(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, start=False)
    await lumbar.press(ann, "Start my first session")
    uploads_after_first_card = lumbar.server.uploads
    bob = lumbar.user(2002, name="Bob")
    await lumbar.triage(bob, start=False)
    await lumbar.press(bob, "Start my first session")
    # Bob's first card is the same exercise (same plan rules, same day): no new upload.
    assert lumbar.server.uploads == uploads_after_first_card


async def test_it_hurts_offers_gentler_path_and_two_hurts_end_the_session(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, pain=1, experience="Regularly", equipment=["Exercise mat"])
    await lumbar.send(ann, "/today")
    await lumbar.press(ann, "Done")  # the warm-up
    out = await lumbar.press(ann, "It hurts")
    text = " ".join(m.text_or_caption for m in out)
    assert "stop" in text.lower() and "push" in text.lower()
    labels = [t for m in out for row in lumbar.server.buttons(m) for t, _ in row]
    assert "Next exercise" in labels
    assert all(
        "push through" not in m.text_or_caption.lower().replace("don't push through", "")
        for m in out
    )
    gentler = lumbar.find_button(ann, "Try ")[1:]
    assert gentler, "a gentler option is offered"
    assert "something gentler" in text
    out = await lumbar.press(ann, "Try ")
    assert out[-1].kind in CARD_KINDS and "Card 3 of" in caption(out[-1])
    gentler_name = [
        t
        for m in lumbar.server.bot_messages(ann)
        for row in lumbar.server.buttons(m)
        for t, _ in row
        if t.startswith("Try ")
    ]
    assert not gentler_name  # the offer's buttons are gone once answered
    out = await lumbar.press(ann, "It hurts")
    text = " ".join(m.text_or_caption for m in out)
    assert "two exercises that hurt" in text
    assert "doctor" in text
    assert "Session ended" in text
    async with lumbar.services.transaction() as uow:
        progress = await uow.progress.levels(ann.id)
        workouts = await uow.workouts.recent(ann.id, lumbar.clock.now.date())
    hurt = [eid for eid, row in progress.items() if row.hurt_on is not None]
    assert len(hurt) == 2
    assert workouts[0].ended_early and workouts[0].hurts == 2
    # Tomorrow's session leaves out what hurt.
    lumbar.clock.advance(days=1)
    out = await lumbar.send(ann, "/today")
    first = next(m for m in out if m.kind in CARD_KINDS)
    async with lumbar.services.transaction() as uow:
        todays = await uow.workouts.open_for_day(ann.id, "today", (lumbar.clock.now).date())
    assert todays is not None
    assert not {c["exercise_id"] for c in todays.plan} & set(hurt)
    assert first.caption


async def test_stretch_routine_and_resume_later_the_same_day(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann, equipment=["Fascia roller"])
    out = await lumbar.send(ann, "/stretch")
    (first,) = out  # the intro heads the card's caption
    assert first.kind in CARD_KINDS and caption(first).startswith("Quick stretch")
    total = int(caption(first).split("Card 1 of ")[1].split()[0])
    assert 3 <= total <= 5
    await lumbar.press(ann, "Done")
    out = await lumbar.send(ann, "/cancel")
    assert "paused" in (out[0].text or "")
    out = await lumbar.send(ann, "/stretch")
    (resumed,) = out  # where it stands heads the card it resumes with
    assert resumed.kind in CARD_KINDS
    assert caption(resumed).startswith("Welcome back")
    assert f"continue where you left off (card 2 of {total})." in caption(resumed)
    assert f"Card 2 of {total}" in caption(resumed)
    for _ in range(total - 1):
        out = await lumbar.press(ann, "Done")
    assert "Session complete" in " ".join(m.text_or_caption for m in out)


async def test_double_press_counts_once(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)  # the plan's tap starts the first session
    message, data = lumbar.find_button(ann, "Done")
    lumbar.server.press(ann, message.message_id, data)
    lumbar.server.press(ann, message.message_id, data, force=True)
    await lumbar.server.settle(quiet=0.3)
    (card,) = [m for m in lumbar.server.bot_messages(ann) if m.kind in CARD_KINDS]
    assert "Card 2 of" in caption(card)  # card 2, not card 3
    assert lumbar.server.buttons(card)  # still live: the second tap left it alone
    async with lumbar.services.transaction() as uow:
        workout = await uow.workouts.open_for_day(ann.id, "today", lumbar.clock.now.date())
        assert workout is not None
        results = await uow.workouts.results(workout.id)
    assert workout.position == 1 and len(results) == 1


async def test_hurt_on_the_last_card_offers_finish_and_today_closes_it(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    out = await lumbar.send(ann, "/today")
    first = next(m for m in out if m.kind in CARD_KINDS)
    total = int(caption(first).split("Card 1 of ")[1].split()[0])
    for _ in range(total - 1):
        await lumbar.press(ann, "Done")
    out = await lumbar.press(ann, "It hurts")
    labels = [t for m in out for row in lumbar.server.buttons(m) for t, _ in row]
    assert "Finish the session" in labels
    out = await lumbar.send(ann, "/today")
    assert "Session complete" in " ".join(m.text or "" for m in out)
    assert f"Done: {total - 1}" in " ".join(m.text or "" for m in out)
    assert lumbar.server.buttons(card_of(lumbar, ann)) == []  # the offer closed


async def test_a_session_where_everything_hurt_does_not_count_for_the_streak(
    lumbar: Lumbar,
) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await lumbar.send(ann, "/stretch")
    await lumbar.press(ann, "It hurts")
    await lumbar.press(ann, "Next exercise")
    out = await lumbar.press(ann, "It hurts")
    text = " ".join(m.text_or_caption for m in out)
    assert "Session ended" in text and "Streak: 0 days" in text
    async with lumbar.services.transaction() as uow:
        assert (
            await uow.streaks.days_between(ann.id, lumbar.clock.now.date(), lumbar.clock.now.date())
            == {}
        )


async def test_resuming_takes_the_buttons_off_the_card_sent_before(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.triage(ann)
    await lumbar.send(ann, "/today")
    out = await lumbar.press(ann, "Skip")
    old_card = [m for m in out if m.kind in CARD_KINDS][-1]
    out = await lumbar.send(ann, "/today")
    new_card = [m for m in out if m.kind in CARD_KINDS][-1]
    assert lumbar.server.buttons(old_card) == []
    assert lumbar.server.buttons(new_card) != []
