"""Cards: every exercise draws within Telegram's photo limits, each different, always the same."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from bot.pictures import render_card
from content.poses import PoseSet
from content.schema import Library

MAX_BYTES = 1_000_000  # our own budget; Telegram allows 10 MB for photos


@pytest.fixture(scope="module")
def cards(library: Library, poses: dict[str, PoseSet]) -> dict[str, bytes]:
    """Every card, drawn once for this module."""
    return {
        exercise.id: render_card(exercise, poses[exercise.id]) for exercise in library.exercises
    }


def test_every_exercise_gets_a_card_telegram_accepts(cards: dict[str, bytes]) -> None:
    assert len(cards) == 12
    for exercise_id, data in cards.items():
        assert len(data) < MAX_BYTES, exercise_id
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "PNG"
        width, height = image.size
        assert width == 1080, exercise_id
        assert 700 <= height <= 1350, exercise_id  # 4:5 at most, so chats show it uncropped
        assert width + height <= 10_000
        assert max(width, height) / min(width, height) <= 20


def test_cards_carry_no_timestamps_or_text_chunks(cards: dict[str, bytes]) -> None:
    for data in cards.values():
        image = Image.open(io.BytesIO(data))
        assert not {"date", "time", "tIME", "Creation Time"} & set(image.info)
        assert b"tIME" not in data and b"tEXt" not in data


def test_all_cards_differ(cards: dict[str, bytes]) -> None:
    digests = {hashlib.sha256(data).hexdigest() for data in cards.values()}
    assert len(digests) == len(cards)


def test_rendering_is_deterministic(
    library: Library, poses: dict[str, PoseSet], cards: dict[str, bytes]
) -> None:
    for exercise_id in ("bird_dog", "kettlebell_lift"):
        again = render_card(library.exercise(exercise_id), poses[exercise_id])
        assert again == cards[exercise_id]


def test_header_shows_the_exercise_in_its_difficulty_colour(
    cards: dict[str, bytes], library: Library
) -> None:
    # The difficulty chip sits at a fixed place in the header; its colour follows the rating.
    seen = {}
    for exercise in library.exercises:
        image = Image.open(io.BytesIO(cards[exercise.id])).convert("RGB")
        seen[exercise.difficulty.value] = image.getpixel((36, 141))
    assert len(set(seen.values())) == 3, seen


def test_a_changed_pose_changes_the_picture(
    library: Library, poses: dict[str, PoseSet], cards: dict[str, bytes]
) -> None:
    pose_set = poses["cat_cow"]
    frames = list(pose_set.frames)
    frames[1] = frames[1].model_copy(update={"label": "Cat: round the back"})
    changed = pose_set.model_copy(update={"frames": frames})
    assert render_card(library.exercise("cat_cow"), changed) != cards["cat_cow"]
