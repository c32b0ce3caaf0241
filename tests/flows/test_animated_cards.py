"""Animated cards: an exercise marked `animate` arrives as an animation, the rest as photos.

The session is one message redrawn in place, so an animated card is the same message
turned into an animation (editMessageMedia with an InputMediaAnimation), uploaded once
and sent by file id ever after, like the photos.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import FakeUser, StoredMessage
from tests.flows.conftest import CARD_KINDS, Lumbar


async def _start(lumbar: Lumbar, user: FakeUser) -> StoredMessage:
    """Answer the check and open the first session; return the session's card message."""
    await lumbar.triage(user, start=False)
    if not _cards(lumbar, user):
        await lumbar.press(user, "Start my first session")
    (card,) = _cards(lumbar, user)
    return card


def _cards(lumbar: Lumbar, user: FakeUser) -> list[StoredMessage]:
    return [m for m in lumbar.server.bot_messages(user) if m.kind in CARD_KINDS]


async def _plan(lumbar: Lumbar, user: FakeUser) -> list[str]:
    async with lumbar.services.transaction() as uow:
        (workout,) = await uow.workouts.recent(user.id, lumbar.clock.now.date())
    return [str(card["exercise_id"]) for card in workout.plan]


def _animated(lumbar: Lumbar) -> set[str]:
    pictures = lumbar.services.pictures
    return {e.id for e in lumbar.services.library.exercises if pictures.animated(e.id)}


def _media(params: dict[str, Any]) -> dict[str, Any]:
    media = params["media"]
    return json.loads(media) if isinstance(media, str) else dict(media)


async def _walk(lumbar: Lumbar, user: FakeUser) -> list[tuple[str, str, int, dict[str, Any]]]:
    """Press Done through the session: (exercise, kind shown, uploads so far, the call)."""
    card = await _start(lumbar, user)
    plan = await _plan(lumbar, user)
    shown = [(plan[0], card.kind, lumbar.server.uploads, {})]
    for exercise_id in plan[1:]:
        out = await lumbar.press(user, "Done")
        assert [m.message_id for m in out] == [card.message_id]  # the one message, redrawn
        edit = lumbar.server.calls_to("editMessageMedia")[-1]
        assert edit.ok
        shown.append((exercise_id, out[0].kind, lumbar.server.uploads, _media(edit.params)))
    return shown


async def test_an_animated_exercise_arrives_as_an_animation_the_others_as_photos(
    lumbar: Lumbar,
) -> None:
    animated = _animated(lumbar)
    assert animated == {"bird_dog", "mountain_climber"}
    ann = lumbar.user(name="Ann")
    shown = await _walk(lumbar, ann)
    assert {exercise for exercise, *_ in shown} & animated, "the session has an animated card"
    for exercise_id, kind, _, media in shown:
        expected = "animation" if exercise_id in animated else "photo"
        assert kind == expected, exercise_id
        if media:
            assert media["type"] == expected, exercise_id
    # What Telegram gives back for a GIF: an MP4 animation (with its document twin).
    message = _cards(lumbar, ann)[0]
    versions = [v.content for v in message.history] + [message.content]
    version = next(content for content in versions if "animation" in content)
    animation = version["animation"]
    assert animation["mime_type"] == "video/mp4"
    assert animation["file_name"].endswith(".gif.mp4")
    assert animation["width"] == animation["height"] == 640
    assert animation["duration"] >= 3 and "thumbnail" in animation
    assert version["document"]["file_id"] == animation["file_id"]
    # The summary is written over the last card's caption: one message from start to end.
    out = await lumbar.press(ann, "Done")
    assert "Session complete" in (out[0].caption or "")


async def test_the_second_time_the_animation_goes_by_file_id_without_an_upload(
    lumbar: Lumbar,
) -> None:
    animated = _animated(lumbar)
    first = await _walk(lumbar, lumbar.user(2002, name="Bob"))
    uploads_after_bob = lumbar.server.uploads
    second = await _walk(lumbar, lumbar.user(name="Ann"))  # same plan rules, same day
    assert [e for e, *_ in second] == [e for e, *_ in first]
    assert lumbar.server.uploads == uploads_after_bob  # nothing uploaded for Ann
    animated_edits = [media for e, _, _, media in second if e in animated]
    assert animated_edits
    for media in animated_edits:
        # By the file id Bob's upload got, never attach:// (an upload) again.
        assert media["type"] == "animation"
        assert not str(media["media"]).startswith("attach://")
        assert lumbar.server.files[str(media["media"])].kind == "animation"
    # Bob's upload of the animation was one upload; its id is kept like a photo's.
    async with lumbar.services.transaction() as uow:
        key = lumbar.services.pictures.cache_key("bird_dog")
        assert key.startswith("gif:bird_dog:")
        assert await uow.files.get(key) == animated_edits[0]["media"]


async def test_a_first_card_that_animates_is_sent_with_send_animation(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    await lumbar.send(ann, "/start")  # a chat with the bot, so it may send there
    pictures = lumbar.services.pictures
    bot = lumbar.app.bot

    async def lookup(key: str) -> str | None:
        return None

    async def store(key: str, file_id: str) -> None:
        kept.append((key, file_id))

    kept: list[tuple[str, str]] = []
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="x")]])
    message = await pictures.send(
        bot, ann.id, "mountain_climber", "card", markup, lookup=lookup, store=store
    )
    assert message.animation is not None and not message.photo
    again = await pictures.send(
        bot, ann.id, "mountain_climber", "card", markup, lookup=lookup, store=store
    )
    assert again.animation is not None
    assert again.animation.file_id == message.animation.file_id
    calls = lumbar.server.calls_to("sendAnimation")
    assert [c.ok for c in calls] == [True, True]
    assert isinstance(calls[0].params["animation"], dict)  # an upload
    assert calls[1].params["animation"] == message.animation.file_id  # by file id
    assert kept == [(pictures.cache_key("mountain_climber"), message.animation.file_id)]
