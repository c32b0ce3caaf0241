"""``python -m bot.pictures``: the contact sheet and the rendered card folder."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.pictures.__main__ import main
from bot.pictures.sheet import COLUMNS, GAP, THUMB_WIDTH


def test_sheet_puts_all_cards_in_one_image(tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    assert main(["sheet", str(out)]) == 0
    with Image.open(out) as image:
        assert image.width == GAP + COLUMNS * (THUMB_WIDTH + GAP)
        assert image.height > 3 * 400  # three rows of four cards


def test_render_writes_every_card(tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.png"))
    assert len(files) == 14  # the article's twelve and two standing or seated forms
    assert {path.name.rsplit("-", 1)[0] for path in files} >= {
        "cobra",
        "glute_roll",
        "superman",
        "seated_cat_cow",
        "standing_back_extension",
    }
