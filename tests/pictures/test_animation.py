"""The optional animated GIF: it loops through the key positions and keeps the figure grounded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.pictures.animation import (
    ground_contacts,
    grounded,
    key_order,
    render_animation,
    tween,
)
from bot.pictures.cache import CardRenderer
from bot.pictures.card import CARD_HEIGHT, CARD_WIDTH
from bot.pictures.scene import support_level
from content.poses import PoseSet
from content.schema import Library


def test_key_order_returns_to_the_ghosted_position(poses: dict[str, PoseSet]) -> None:
    assert key_order(poses["mountain_climber"]) == [0, 1, 0, 2]
    assert key_order(poses["bird_dog"]) == [0, 1, 2]
    assert key_order(poses["cat_cow"]) == [0, 1]


def test_in_between_positions_rest_on_what_carries_them(poses: dict[str, PoseSet]) -> None:
    for pose_set in poses.values():
        order = key_order(pose_set)
        for step, index in enumerate(order):
            first = pose_set.frames[index]
            second = pose_set.frames[order[(step + 1) % len(order)]]
            supports = ground_contacts(first) & ground_contacts(second)
            for t in (0.25, 0.5, 0.75):
                body = grounded(pose_set, tween(first, second, t), supports).body
                # Nothing sinks into the floor; what carries the body stays on it (key positions
                # are exact, in-between ones within a couple of centimetres).
                assert body.bottom() >= support_level(pose_set) - 0.5, (pose_set.id, index, t)
                for part in supports:
                    gap = body.part_bottom(part) - support_level(pose_set)
                    assert gap < 2.0, (pose_set.id, index, t, part)


def test_tween_ends_at_the_key_positions(poses: dict[str, PoseSet]) -> None:
    first, second = poses["cobra"].frames
    assert tween(first, second, 0.0).spine == pytest.approx(first.spine)
    assert tween(first, second, 1.0).spine == pytest.approx(second.spine)


def test_animation_is_a_looping_gif_of_modest_size(
    library: Library, poses: dict[str, PoseSet]
) -> None:
    data = render_animation(library.exercise("cat_cow"), poses["cat_cow"])
    assert data == render_animation(library.exercise("cat_cow"), poses["cat_cow"])
    assert len(data) < 1_000_000
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF"
    assert getattr(image, "n_frames", 1) > len(poses["cat_cow"].frames)
    assert image.info.get("loop") == 0


def test_animated_exercises_are_marked_in_the_pose_data_and_drawn_square(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path
) -> None:
    animated = {exercise.id for exercise in library.exercises if poses[exercise.id].animate}
    assert animated == {"bird_dog", "mountain_climber"}
    paths = CardRenderer(library, tmp_path).render_animations()
    assert set(paths) == animated
    for exercise_id, path in paths.items():
        image = Image.open(path)
        # The same 1:1 as the still cards: the session message keeps its shape.
        assert image.size == (640, 640), exercise_id
        assert image.width / image.height == CARD_WIDTH / CARD_HEIGHT
        assert getattr(image, "n_frames", 1) > 2 * len(poses[exercise_id].frames)


def test_animation_is_cached_like_the_card(library: Library, tmp_path: Path) -> None:
    renderer = CardRenderer(library, tmp_path)
    path = renderer.animation_path("superman")
    assert path.suffix == ".gif" and path.is_file()
    assert renderer.animation_path("superman") == path
    assert renderer.renders == 1
    assert path.name != renderer.path("superman").name
