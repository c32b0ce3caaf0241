"""Shared fixtures: the real content library and pose data, loaded once per test session."""

from __future__ import annotations

import pytest

from content.loader import load_library
from content.poses import PoseSet, load_pose_sets
from content.schema import Library


@pytest.fixture(scope="session")
def library() -> Library:
    """The content library the bot ships with."""
    return load_library()


@pytest.fixture(scope="session")
def poses() -> dict[str, PoseSet]:
    """Every pose file under content/poses, keyed by exercise id."""
    return load_pose_sets()
