"""Put every card on one image, so a person can check all drawings at a glance."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from bot.pictures import style
from bot.pictures.card import render_card_image
from content.poses import PoseSet, load_pose_sets
from content.schema import Library

THUMB_WIDTH = 540
COLUMNS = 4
GAP = 24


def render_contact_sheet(
    library: Library,
    out: Path,
    poses: dict[str, PoseSet] | None = None,
) -> Path:
    """Draw all cards, scaled to half width, in a grid of four columns and save a PNG."""
    pose_sets = poses if poses is not None else load_pose_sets(language=library.language)
    thumbs = []
    for exercise in library.exercises:
        card = render_card_image(exercise, pose_sets[exercise.id], library)
        height = round(card.height * THUMB_WIDTH / card.width)
        thumbs.append(card.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS))
    columns = min(COLUMNS, max(1, len(thumbs)))
    rows = [thumbs[index : index + columns] for index in range(0, len(thumbs), columns)]
    row_heights = [max(thumb.height for thumb in row) for row in rows]
    width = GAP + columns * (THUMB_WIDTH + GAP)
    height = GAP + sum(row_height + GAP for row_height in row_heights)
    sheet = Image.new("RGB", (width, height), style.shade(style.BACKGROUND, 0.92))
    pen = ImageDraw.Draw(sheet)
    y = GAP
    for row, row_height in zip(rows, row_heights, strict=True):
        x = GAP
        for thumb in row:
            sheet.paste(thumb, (x, y))
            pen.rectangle(
                (x - 1, y - 1, x + thumb.width, y + thumb.height), outline=style.PANEL_EDGE
            )
            x += THUMB_WIDTH + GAP
        y += row_height + GAP
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, format="PNG", optimize=True)
    return out
