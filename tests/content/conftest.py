"""Fixtures shared by the content tests: the real library and a writable copy of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.loader import CONTENT_ROOT, load_library
from content.schema import Library


@pytest.fixture(scope="session")
def library() -> Library:
    """The shipped content, loaded once."""
    return load_library()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the YAML content that a test may break."""
    root = tmp_path / "content"
    shutil.copytree(
        CONTENT_ROOT,
        root,
        ignore=shutil.ignore_patterns("*.py", "__pycache__", "poses*"),
    )
    return root


EditYaml = Callable[[str, Callable[[dict[str, Any]], None]], None]


@pytest.fixture
def edit_yaml(content_copy: Path) -> EditYaml:
    """Return a helper that loads a copied file, lets the test change it and writes it back."""

    def edit(relative: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = content_copy / relative
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    return edit
