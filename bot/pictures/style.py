"""Colours and fonts shared by the cards and the heatmap, so they look like one app."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

RGB = tuple[int, int, int]

BACKGROUND: RGB = (246, 243, 236)
PANEL: RGB = (255, 255, 255)
PANEL_EDGE: RGB = (226, 221, 210)
INK: RGB = (33, 37, 48)
MUTED: RGB = (104, 110, 124)
HEADER: RGB = (28, 74, 92)
HEADER_INK: RGB = (255, 255, 255)
ACCENT: RGB = (240, 128, 38)  # movement arrows
ACCENT_DARK: RGB = (176, 84, 12)

FLOOR: RGB = (230, 222, 207)
FLOOR_EDGE: RGB = (196, 184, 162)
MAT: RGB = (88, 160, 150)
MAT_EDGE: RGB = (56, 120, 112)
WALL: RGB = (214, 206, 192)
WALL_EDGE: RGB = (176, 164, 144)
BALL: RGB = (232, 92, 110)
BALL_EDGE: RGB = (176, 56, 74)
ROLLER: RGB = (96, 178, 214)
ROLLER_EDGE: RGB = (50, 118, 152)
IRON: RGB = (66, 70, 80)
IRON_EDGE: RGB = (32, 34, 40)

DIFFICULTY_COLOURS: dict[str, RGB] = {
    "easy": (64, 160, 92),
    "medium": (226, 150, 30),
    "hard": (214, 72, 64),
}

# Body colours: the near (right) side is lighter, the far (left) side darker.
BODY: dict[tuple[str, str], RGB] = {
    ("skin", "near"): (246, 198, 160),
    ("skin", "far"): (206, 150, 112),
    ("shirt", "near"): (60, 132, 222),
    ("shirt", "far"): (34, 88, 168),
    ("pants", "near"): (70, 92, 136),
    ("pants", "far"): (40, 54, 86),
    ("shoe", "near"): (240, 112, 80),
    ("shoe", "far"): (180, 74, 50),
}
OUTLINE: RGB = (40, 36, 44)
HAIR: RGB = (92, 58, 36)
GHOST: RGB = (150, 166, 190)


def shade(colour: RGB, factor: float) -> RGB:
    """Return ``colour`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    if factor <= 1:
        return (int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor))
    mix = factor - 1
    return (
        int(colour[0] + (255 - colour[0]) * mix),
        int(colour[1] + (255 - colour[1]) * mix),
        int(colour[2] + (255 - colour[2]) * mix),
    )


# DejaVu Sans draws every letter of the catalog languages (ä, ö, ü, ß, é...), and
# matplotlib, which draws the /progress picture, ships it: no system fonts needed.
# Pillow's built-in font (ASCII only) drew German words with empty boxes.
def _font_file() -> Path:
    """DejaVu Sans inside matplotlib's package data, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is a dependency"
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


FONT_FILE = _font_file()
# DejaVu is about 14 % wider than the built-in font the layouts were drawn for, its capitals
# about as much shorter: 0.95 keeps words as tall as before and about as wide.
_SCALE = 0.95

# Characters DejaVu has, but that read better as these on a small picture.
_SWAPS = str.maketrans({"↔": "<->"})


def safe(text: str) -> str:
    """Replace characters that read badly when drawn small."""
    return text.translate(_SWAPS)


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at the layout's size (``size`` is in the old built-in font's units)."""
    return ImageFont.truetype(str(FONT_FILE), max(1, round(size * _SCALE)))
