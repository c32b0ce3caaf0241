"""Render each card once, keep it on disk, and name it by what it was drawn from.

The file name carries a hash of the exercise fields on the card, the pose data,
the language and ``RENDERER_VERSION``, so changing any of them gives a new file (and
a new cache key for Telegram file ids) while an unchanged card is never redrawn. Each
language has a renderer of its own (``for_library``): a German card is never an
English one's file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.pictures.animation import render_animation
from bot.pictures.card import CardWords, card_words, render_card
from content.poses import PoseSet, load_pose_sets
from content.schema import Exercise, Library

log = logging.getLogger(__name__)

# Bump when the drawing code changes what a card looks like.
RENDERER_VERSION = "2"
SOURCE_LANGUAGE = "en"


def card_key(
    exercise: Exercise,
    poses: PoseSet,
    kind: str = "card",
    language: str = SOURCE_LANGUAGE,
    words: CardWords | None = None,
) -> str:
    """Return a short stable hash of everything that decides how the card looks.

    The language is part of it even where the words drawn happen to be the same. A
    card's own words (chips and legend, ``texts.yaml``: ``picture_*``) are part of it
    too, so a changed text or translation draws the card again; an animation draws none.
    """
    fields: dict[str, object] = {
        "renderer": RENDERER_VERSION,
        "kind": kind,
        "id": exercise.id,
        "name": exercise.name,
        "difficulty": exercise.difficulty.value,
        "goal": exercise.goal.value,
        "equipment": sorted(item.value for item in exercise.equipment),
        "poses": poses.model_dump(mode="json"),
    }
    if language != SOURCE_LANGUAGE:
        fields["language"] = language
    if words is not None:
        fields["words"] = dataclasses.asdict(words)
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class CardRenderer:
    """Draws exercise cards on first use and serves them from ``cache_dir`` afterwards."""

    def __init__(
        self,
        library: Library,
        cache_dir: Path,
        poses: Mapping[str, PoseSet] | None = None,
    ) -> None:
        """Check up front that every exercise has pose data, so a gap fails at start.

        Without ``poses``, the pose files are read in the library's language (their
        labels are drawn on the card).
        """
        self._library = library
        self._cache_dir = cache_dir
        self._given_poses = poses is not None
        self._poses = dict(poses) if poses is not None else _pose_sets(library.language)
        missing = [item.id for item in library.exercises if item.id not in self._poses]
        if missing:
            raise KeyError(f"no pose data for exercises: {', '.join(sorted(missing))}")
        self.renders = 0  # how many cards this instance has drawn (the rest came from disk)

    @property
    def language(self) -> str:
        """The language of the words drawn on this renderer's cards."""
        return self._library.language

    def for_library(self, library: Library) -> CardRenderer:
        """A renderer of the same folder for another language's library (its own files)."""
        if library is self._library:
            return self
        poses = self._poses if self._given_poses else None
        return CardRenderer(library, self._cache_dir, poses)

    def key(self, exercise_id: str) -> str:
        """Return the cache key of an exercise's card (changes when its content changes)."""
        exercise = self._library.exercise(exercise_id)
        words = card_words(exercise, self._library)
        return card_key(exercise, self._poses[exercise_id], language=self.language, words=words)

    def animated(self, exercise_id: str) -> bool:
        """Return whether the exercise is shown as its animation rather than the still card."""
        return self._poses[exercise_id].animate

    def animation_key(self, exercise_id: str) -> str:
        """Return the cache key of an exercise's animation (changes when its content changes)."""
        exercise = self._library.exercise(exercise_id)
        return card_key(exercise, self._poses[exercise_id], kind="gif", language=self.language)

    def path(self, exercise_id: str) -> Path:
        """Return the card's PNG file, drawing it only if it is not on disk yet."""
        target = self._cache_dir / f"{exercise_id}-{self.key(exercise_id)}.png"
        return self._cached(target, exercise_id, self._draw_card)

    def _draw_card(self, exercise: Exercise, poses: PoseSet) -> bytes:
        """The card in this renderer's language."""
        return render_card(exercise, poses, self._library)

    def animation_path(self, exercise_id: str) -> Path:
        """Return the exercise's animated GIF, drawing it only if it is not on disk yet."""
        target = self._cache_dir / f"{exercise_id}-{self.animation_key(exercise_id)}.gif"
        return self._cached(target, exercise_id, render_animation)

    def _cached(
        self, target: Path, exercise_id: str, draw: Callable[[Exercise, PoseSet], bytes]
    ) -> Path:
        """Return ``target``, first writing it with ``draw`` if it does not exist."""
        if target.exists():
            return target
        data = draw(self._library.exercise(exercise_id), self._poses[exercise_id])
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(
            dir=self._cache_dir, prefix=f".{exercise_id}-", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.renders += 1
        return target

    def render_all(self) -> dict[str, Path]:
        """Make sure every card is on disk and return their paths by exercise id."""
        return {item.id: self.path(item.id) for item in self._library.exercises}

    def render_animations(self) -> dict[str, Path]:
        """Make sure the animation of every animated exercise is on disk; return their paths."""
        return {
            item.id: self.animation_path(item.id)
            for item in self._library.exercises
            if self.animated(item.id)
        }


def _pose_sets(language: str) -> dict[str, PoseSet]:
    """The pose files with their labels in ``language``; English where it has no catalog.

    Loading a language's library needs its compiled catalog already, so the fallback only
    serves a library built in code (a test's stand-in).
    """
    if language == SOURCE_LANGUAGE:
        return load_pose_sets()
    try:
        return load_pose_sets(language=language)
    except FileNotFoundError:
        log.warning("no catalog for %s: its cards show the English labels", language)
        return load_pose_sets()
