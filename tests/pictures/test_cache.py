"""The card cache: drawn once, reused from disk, and renamed whenever its content changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.pictures import cache as cache_module
from bot.pictures.cache import CardRenderer
from content.poses import PoseSet
from content.schema import Library


def _library_of(library: Library, *ids: str) -> Library:
    """A library holding only some exercises, so cache tests draw few cards."""
    return dataclasses.replace(library, exercises=tuple(library.exercise(item) for item in ids))


def test_path_renders_once_then_reuses_the_file(tmp_path: Path, library: Library) -> None:
    renderer = CardRenderer(_library_of(library, "cat_cow"), tmp_path)
    first = renderer.path("cat_cow")
    assert first.is_file() and first.parent == tmp_path
    assert first.name == f"cat_cow-{renderer.key('cat_cow')}.png"
    stamp = first.stat().st_mtime_ns
    assert renderer.path("cat_cow") == first
    assert renderer.renders == 1
    assert first.stat().st_mtime_ns == stamp
    # A new process (a restart) finds the file and draws nothing.
    again = CardRenderer(_library_of(library, "cat_cow"), tmp_path)
    assert again.path("cat_cow") == first
    assert again.renders == 0
    assert not list(tmp_path.glob("*.tmp"))


def test_key_is_stable_and_changes_with_pose_data(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path
) -> None:
    small = _library_of(library, "cobra")
    base = CardRenderer(small, tmp_path, poses)
    assert base.key("cobra") == CardRenderer(small, tmp_path, poses).key("cobra")
    frames = list(poses["cobra"].frames)
    frames[1] = frames[1].model_copy(update={"spine": (30.0, 70.0, 75.0)})
    moved = dict(poses, cobra=poses["cobra"].model_copy(update={"frames": frames}))
    changed = CardRenderer(small, tmp_path, moved)
    assert changed.key("cobra") != base.key("cobra")
    assert changed.path("cobra") != base.path("cobra")
    assert changed.renders == base.renders == 1


def test_key_changes_with_exercise_text_and_renderer_version(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _library_of(library, "cobra")
    before = CardRenderer(small, tmp_path, poses).key("cobra")
    renamed = dataclasses.replace(
        small, exercises=(dataclasses.replace(small.exercise("cobra"), name="Cobra pose"),)
    )
    assert CardRenderer(renamed, tmp_path, poses).key("cobra") != before
    monkeypatch.setattr(cache_module, "RENDERER_VERSION", cache_module.RENDERER_VERSION + "-next")
    assert CardRenderer(small, tmp_path, poses).key("cobra") != before


def test_each_language_has_cards_and_keys_of_its_own(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path
) -> None:
    small = _library_of(library, "cobra")
    english = CardRenderer(small, tmp_path, poses)
    german = english.for_library(dataclasses.replace(small, language="de"))
    assert (english.language, german.language) == ("en", "de")
    assert english.for_library(small) is english
    # The same words and poses (a stand-in), yet a picture and a key of its own.
    assert german.key("cobra") != english.key("cobra")
    assert german.animation_key("cobra") != english.animation_key("cobra")
    assert german.path("cobra") != english.path("cobra")


def test_missing_pose_data_fails_at_construction(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path
) -> None:
    partial = {key: value for key, value in poses.items() if key != "superman"}
    with pytest.raises(KeyError, match="superman"):
        CardRenderer(library, tmp_path, partial)


def test_render_all_returns_every_card(library: Library, tmp_path: Path) -> None:
    small = _library_of(library, "glute_bridge", "forward_bend")
    paths = CardRenderer(small, tmp_path).render_all()
    assert sorted(paths) == ["forward_bend", "glute_bridge"]
    assert all(path.is_file() for path in paths.values())


def test_key_changes_with_the_words_drawn(
    library: Library, poses: dict[str, PoseSet], tmp_path: Path
) -> None:
    """A changed text (or translation) of a chip or the legend draws the card again."""
    small = _library_of(library, "cobra")
    before = CardRenderer(small, tmp_path, poses).key("cobra")
    texts = dict(small.texts, picture_legend_move="movement")
    reworded = dataclasses.replace(small, texts=texts)
    assert CardRenderer(reworded, tmp_path, poses).key("cobra") != before
    assert CardRenderer(reworded, tmp_path, poses).animation_key("cobra") == CardRenderer(
        small, tmp_path, poses
    ).animation_key("cobra")
