"""Cards: every exercise draws within Telegram's photo limits, each different, always the same."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from bot.pictures import render_card, style
from bot.pictures.card import CARD_SIZE, card_layout, card_words, legend_items
from content.poses import PoseSet
from content.schema import Library

MAX_BYTES = 1_000_000  # our own budget; Telegram allows 10 MB for photos


@pytest.fixture(scope="module")
def cards(library: Library, poses: dict[str, PoseSet]) -> dict[str, bytes]:
    """Every card, drawn once for this module."""
    return {
        exercise.id: render_card(exercise, poses[exercise.id], library)
        for exercise in library.exercises
    }


def test_every_exercise_gets_a_card_telegram_accepts(
    cards: dict[str, bytes], library: Library
) -> None:
    assert len(cards) == len(library.exercises) >= 12
    for exercise_id, data in cards.items():
        assert len(data) < MAX_BYTES, exercise_id
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "PNG"
        width, height = image.size
        assert width + height <= 10_000
        assert max(width, height) / min(width, height) <= 20


def test_every_card_has_the_one_square_ratio(cards: dict[str, bytes]) -> None:
    # One ratio: the session's one message keeps its shape as it turns from card to card,
    # and 1:1 is well inside what Telegram shows uncropped in a chat (about 1:2.5 to 2.5:1).
    sizes = {exercise_id: Image.open(io.BytesIO(data)).size for exercise_id, data in cards.items()}
    assert set(sizes.values()) == {CARD_SIZE}, sizes
    assert CARD_SIZE == (1080, 1080)


def test_the_sides_legend_is_there_only_where_left_and_right_differ(
    library: Library, poses: dict[str, PoseSet], cards: dict[str, bytes]
) -> None:
    # Decided from the pose data: the far (left) limbs point their own way in some position.
    sided = {exercise.id for exercise in library.exercises if poses[exercise.id].sided()}
    assert {"bird_dog", "mountain_climber", "glute_roll"} <= sided
    assert not {"cobra", "cat_cow", "glute_bridge", "superman", "chest_lift"} & sided
    dark = np.array(style.BODY[("pants", "far")])
    for exercise in library.exercises:
        items = legend_items(poses[exercise.id])
        assert ("left" in items) == ("right" in items) == (exercise.id in sided), exercise.id
        box = card_layout(poses[exercise.id]).legend
        assert box is not None, exercise.id  # every card has a ghost and arrows to explain
        legend = _pixels(cards[exercise.id])[
            box.top : box.top + box.height, box.left : box.left + box.width
        ]
        swatch = int((np.abs(legend - dark) <= 6).all(axis=-1).sum())
        assert (swatch > 300) == (exercise.id in sided), (exercise.id, swatch)


def test_the_legend_is_readable_on_a_phone(
    library: Library, poses: dict[str, PoseSet], cards: dict[str, bytes]
) -> None:
    # A phone shows the card about 340 pt wide: a legend line 2.4 % of the card is a font
    # of about 11 pt. The old legend's line was 23 px of a 1350 px card (1.7 %, 8 pt).
    for exercise in library.exercises:
        box = card_layout(poses[exercise.id]).legend
        assert box is not None
        image = _pixels(cards[exercise.id])
        legend = image[box.top : box.top + box.height, box.left : box.left + box.width]
        text = (np.abs(legend - np.array(style.MUTED)) <= 12).all(axis=-1)
        lines = _runs(np.flatnonzero(text.any(axis=1)))
        assert lines, exercise.id
        assert max(lines) / image.shape[0] >= 0.024, (exercise.id, lines)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _runs(rows: np.ndarray) -> list[int]:
    """Heights of the runs of consecutive row numbers: one per line of text."""
    heights: list[int] = []
    for row, previous in zip(rows, [None, *rows[:-1]], strict=True):
        if previous is not None and row == previous + 1:
            heights[-1] += 1
        else:
            heights.append(1)
    return heights


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
        again = render_card(library.exercise(exercise_id), poses[exercise_id], library)
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
    assert render_card(library.exercise("cat_cow"), changed, library) != cards["cat_cow"]


def test_the_words_on_a_card_are_the_librarys(
    library: Library, poses: dict[str, PoseSet], cards: dict[str, bytes]
) -> None:
    """Chips and legend are drawn from the library's texts, so each language draws its own."""
    texts = dict(library.texts, picture_legend_left="linke Seite", difficulty_medium="Mittel")
    german = dataclasses.replace(library, texts=texts, language="de")
    exercise = library.exercise("bird_dog")
    assert render_card(exercise, poses["bird_dog"], german) != cards["bird_dog"]
    words = card_words(exercise, german)
    assert words.legend["left"] == "linke Seite"
    assert words.difficulty == german.text(f"difficulty_{exercise.difficulty.value}")
