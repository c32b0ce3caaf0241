"""Compose an exercise card: a header with name, difficulty and goal, then the key positions.

Every card is the same square, so the one message a session redraws in place keeps
its shape from card to card, and Telegram shows all of it in a chat (it crops only
pictures beyond about 1:2.5). The panels take whichever arrangement, rows, columns or
a 2 x 2 grid, draws the figure largest; a legend explains the ghost, the arrows and,
only where left and right limbs differ, which colour is which side.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from bot.pictures import style
from bot.pictures.draw import View, draw_arrow, draw_body, draw_floor, draw_ghost, draw_note
from bot.pictures.scene import Placed, Scene, build_scene
from bot.pictures.skeleton import P
from content.poses import PoseSet
from content.schema import Equipment, Exercise, Goal

CARD_WIDTH = 1080
CARD_HEIGHT = 1080
CARD_SIZE = (CARD_WIDTH, CARD_HEIGHT)  # 1:1 for every card (the animations too)
SS = 2  # draw at twice the size, then scale down for smooth edges

_GOALS = {Goal.STRENGTHEN: "Strengthen", Goal.STRETCH: "Stretch", Goal.BOTH: "Strengthen + stretch"}
_EQUIPMENT = {
    Equipment.MAT: "Mat",
    Equipment.WEIGHT: "Kettlebell",
    Equipment.BALL: "Exercise ball",
    Equipment.ROLLER: "Fascia roller",
}
_LEVELS = {"easy": 1, "medium": 2, "hard": 3}

HEADER_H = 210
FOOTER_H = 76
MARGIN = 28
GAP = 20
LABEL_H = 74
FLOOR_H = 44
PANEL_PAD = 14  # free pixels between the label line and the top of the drawing
PAD_X = 8.0  # centimetres kept free left and right of the scene
PAD_TOP = 6.0  # centimetres kept free above the scene
# Legend text: 36 px is 3.3 % of the card's width, about 11 pt on a phone that shows
# the card some 340 pt wide (the old 25 px legend was under 8 pt).
LEGEND_SIZE = 36
# The pose file's own layout stays unless another draws the figure more than ~11 % larger.
PREFERENCE = 0.9

LegendItem = Literal["before", "move", "right", "left"]
_LEGEND_WORDS: dict[LegendItem, str] = {
    "before": "before",
    "move": "move",
    "right": "right side",
    "left": "left side",
}


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in final-card pixels."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the panels and the legend go on the card, and how large the figure is drawn."""

    rows: int
    columns: int
    panels: tuple[Box, ...]
    legend: Box | None  # the footer band, or the spare cell of a 2 x 2 grid
    scale: float  # card pixels per centimetre


def legend_items(poses: PoseSet) -> tuple[LegendItem, ...]:
    """Return what the legend explains: the ghost, the arrows, the sides if they differ."""
    items: list[LegendItem] = []
    if _has_ghost(poses):
        items.append("before")
    if any(frame.arrows for frame in poses.frames):
        items.append("move")
    if poses.sided():
        items += ["right", "left"]
    return tuple(items)


def _has_ghost(poses: PoseSet) -> bool:
    """Return whether any position shows an earlier one faded behind it."""
    return any(poses.ghost_of(index) is not None for index in range(len(poses.frames)))


def _grids(count: int) -> list[tuple[int, int]]:
    """Return the (rows, columns) arrangements worth trying for ``count`` panels."""
    grids = [(count, 1), (1, count)]
    if count in (3, 4):
        grids.append((2, 2))
    return grids


def _scale(scene: Scene, box: Box) -> float:
    """Return the card pixels per centimetre that fit the scene into one panel."""
    left, _, right, top = scene.extent()
    room_h = box.height - LABEL_H - FLOOR_H - PANEL_PAD
    return min(box.width / (right - left + 2 * PAD_X), room_h / (top + PAD_TOP))


def _arrange(scene: Scene, rows: int, columns: int, legend: bool) -> Layout:
    """Cut the card below the header into a grid; the legend takes a spare cell or the foot."""
    count = len(scene.poses.frames)
    spare = rows * columns > count
    footer = FOOTER_H if legend and not spare else 0
    top = HEADER_H + MARGIN
    width = (CARD_WIDTH - 2 * MARGIN - GAP * (columns - 1)) // columns
    height = (CARD_HEIGHT - top - MARGIN - footer - GAP * (rows - 1)) // rows
    cells = [
        Box(MARGIN + column * (width + GAP), top + row * (height + GAP), width, height)
        for row in range(rows)
        for column in range(columns)
    ]
    where: Box | None = None
    if legend and spare:
        where = cells[count]
    elif footer:
        where = Box(MARGIN, CARD_HEIGHT - MARGIN // 2 - footer, CARD_WIDTH - 2 * MARGIN, footer)
    panels = tuple(cells[:count])
    return Layout(rows, columns, panels, where, _scale(scene, panels[0]))


def card_layout(poses: PoseSet, scene: Scene | None = None) -> Layout:
    """Return the arrangement that draws the figure largest, the pose file's own if near it."""
    scene = scene if scene is not None else build_scene(poses)
    legend = bool(legend_items(poses))
    count = len(poses.frames)
    options = [_arrange(scene, rows, columns, legend) for rows, columns in _grids(count)]
    best = max(options, key=lambda option: option.scale)
    preferred = options[0] if poses.layout == "rows" else options[1]
    return preferred if preferred.scale >= PREFERENCE * best.scale else best


def _view(scene: Scene, box: Box) -> View:
    """Return one world-to-pixel mapping, shared by every panel so the ghost lines up."""
    left, _, right, top = scene.extent()
    world_w = right - left + 2 * PAD_X
    world_h = top + PAD_TOP
    width, height = box.width * SS, box.height * SS
    room_h = height - (LABEL_H + FLOOR_H + PANEL_PAD) * SS
    scale = min(width / world_w, room_h / world_h)
    # A wide scene in a tall panel sits in the middle of the room, on a deeper floor.
    floor_y = height - FLOOR_H * SS - (room_h - world_h * scale) / 2
    origin_x = (width - world_w * scale) / 2 - (left - PAD_X) * scale
    # Props and callouts stay below the label line at the top of the panel.
    return View(scale, origin_x, floor_y, float(LABEL_H * SS), 0.0, float(width), float(height))


def _points(placed: Placed) -> dict[str, P]:
    """Return the named points of a placed position, the kettlebell's grip included."""
    points = dict(placed.body.points)
    if placed.kettlebell is not None:
        points["kettlebell"] = placed.kettlebell.grip
    return points


def _panel(scene: Scene, index: int, view: View, box: Box) -> Image.Image:
    """Draw one key position with its number, label, ghost, arrows and notes."""
    image = Image.new("RGB", (box.width * SS, box.height * SS), style.PANEL)
    pen = ImageDraw.Draw(image)
    draw_floor(pen, view, scene)
    ghost = scene.poses.ghost_of(index)
    if ghost is not None:
        draw_ghost(image, view, scene.placed[ghost].body, scene.placed[ghost].kettlebell)
    placed = scene.placed[index]
    draw_body(pen, view, placed.body, behind=placed.kettlebell)
    frame = scene.poses.frames[index]
    if ghost is not None:
        before, after = _points(scene.placed[ghost]), _points(placed)
        for arrow in frame.arrows:
            draw_arrow(pen, view, before[arrow.point], after[arrow.point], arrow)
    for note in frame.notes:
        draw_note(pen, view, _points(placed)[note.at], note, 26 * SS)
    _label(pen, index, frame.label, box)
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, image.width - 1, image.height - 1), radius=22 * SS, fill=255
    )
    framed = Image.new("RGB", image.size, style.BACKGROUND)
    framed.paste(image, (0, 0), mask)
    ImageDraw.Draw(framed).rounded_rectangle(
        (0, 0, image.width - 1, image.height - 1),
        radius=22 * SS,
        outline=style.PANEL_EDGE,
        width=2 * SS,
    )
    return framed


def _wrap(pen: ImageDraw.ImageDraw, text: str, room: float, size: int) -> list[str]:
    """Split ``text`` into lines no wider than ``room`` at font ``size``."""
    font = style.font(size)
    lines: list[str] = []
    for word in text.split():
        if lines and pen.textlength(f"{lines[-1]} {word}", font=font) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _label(pen: ImageDraw.ImageDraw, index: int, label: str, box: Box) -> None:
    """Draw the position's number in a disc and its short label (on two lines if needed)."""
    radius = 24 * SS
    cx, cy = 22 * SS + radius, 18 * SS + radius
    pen.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=style.ACCENT)
    number = style.font(30 * SS)
    pen.text(
        (cx, cy),
        str(index + 1),
        font=number,
        fill=(255, 255, 255),
        anchor="mm",
        stroke_width=SS,
        stroke_fill=(255, 255, 255),
    )
    label = style.safe(label)
    left = cx + radius + 14 * SS
    room = box.width * SS - left - 14 * SS
    for size in (32, 30, 28, 26, 24, 22):
        lines = _wrap(pen, label, room, size * SS)
        if len(lines) == 1 or (len(lines) == 2 and size <= 28):
            break
    font = style.font(size * SS)
    step = int(size * SS * 1.15)
    first = cy - step * (len(lines) - 1) / 2
    for number_of_line, line in enumerate(lines):
        pen.text(
            (left, first + number_of_line * step),
            line,
            font=font,
            fill=style.INK,
            anchor="lm",
            stroke_width=1,
            stroke_fill=style.INK,
        )


def _header(pen: ImageDraw.ImageDraw, exercise: Exercise) -> None:
    """Draw the band with the exercise name and chips for difficulty, goal and equipment."""
    pen.rectangle((0, 0, CARD_WIDTH * SS, HEADER_H * SS), fill=style.HEADER)
    name = style.safe(exercise.name)
    size = 60
    room = (CARD_WIDTH - 2 * MARGIN - 10) * SS
    while size > 34 and pen.textlength(name, font=style.font(size * SS)) > room:
        size -= 2
    pen.text(
        (MARGIN * SS + 6 * SS, 78 * SS),
        name,
        font=style.font(size * SS),
        fill=style.HEADER_INK,
        anchor="ls",
        stroke_width=SS,
        stroke_fill=style.HEADER_INK,
    )
    x = MARGIN * SS + 6 * SS
    y = 112 * SS
    level = _LEVELS[exercise.difficulty.value]
    colour = style.DIFFICULTY_COLOURS[exercise.difficulty.value]
    x = _chip(pen, x, y, exercise.difficulty.value.capitalize(), colour, dots=level)
    x = _chip(pen, x, y, _GOALS[exercise.goal], (255, 255, 255), ink=style.HEADER)
    gear = [label for item, label in _EQUIPMENT.items() if item in exercise.equipment]
    if gear:
        _chip(pen, x, y, " + ".join(gear), style.shade(style.HEADER, 1.25))


def _chip(
    pen: ImageDraw.ImageDraw,
    x: int,
    y: int,
    text: str,
    fill: style.RGB,
    *,
    ink: style.RGB = (255, 255, 255),
    dots: int = 0,
) -> int:
    """Draw a rounded label, optionally led by 1-3 difficulty dots; return the next x."""
    font = style.font(30 * SS)
    height = 58 * SS
    pad = 20 * SS
    dot_r = 7 * SS
    dots_w = (3 * (2 * dot_r + 6 * SS) + 6 * SS) if dots else 0
    width = int(pen.textlength(text, font=font)) + 2 * pad + dots_w
    pen.rounded_rectangle((x, y, x + width, y + height), radius=height // 2, fill=fill)
    cursor = x + pad
    for index in range(3 if dots else 0):
        cx = cursor + dot_r
        cy = y + height // 2
        dot = ink if index < dots else style.shade(fill, 0.7)
        pen.ellipse((cx - dot_r, cy - dot_r, cx + dot_r, cy + dot_r), fill=dot)
        cursor += 2 * dot_r + 6 * SS
    if dots:
        cursor += 6 * SS
    pen.text(
        (cursor, y + height // 2),
        text,
        font=font,
        fill=ink,
        anchor="lm",
        stroke_width=1,
        stroke_fill=ink,
    )
    return x + width + 14 * SS


def _symbol(pen: ImageDraw.ImageDraw, item: LegendItem, x: int, y: int) -> int:
    """Draw one legend entry's picture from ``x``, centred on ``y``; return its width."""
    half = 17 * SS
    if item == "move":
        pen.line((x, y, x + 42 * SS, y), fill=style.ACCENT, width=9 * SS)
        pen.polygon(
            [(x + 62 * SS, y), (x + 36 * SS, y - half), (x + 36 * SS, y + half)],
            fill=style.ACCENT,
        )
        return 62 * SS
    box = (x, y - half, x + 46 * SS, y + half)
    if item == "before":
        pen.rounded_rectangle(box, radius=12 * SS, fill=style.GHOST)
    else:
        side = "near" if item == "right" else "far"
        fill = style.BODY[("pants", side)]
        pen.rounded_rectangle(box, radius=12 * SS, fill=fill, outline=style.OUTLINE, width=SS)
    return 46 * SS


def _entry(
    pen: ImageDraw.ImageDraw,
    item: LegendItem,
    x: int,
    y: int,
    font: ImageFont.FreeTypeFont,
    column: int = 0,
) -> int:
    """Draw a legend entry, picture then word (from ``column`` on, if given); return its end."""
    x = max(x + _symbol(pen, item, x, y), x + column) + 14 * SS
    word = _LEGEND_WORDS[item]
    pen.text((x, y), word, font=font, fill=style.MUTED, anchor="lm")
    return x + int(pen.textlength(word, font=font))


def _legend_row(pen: ImageDraw.ImageDraw, items: tuple[LegendItem, ...], box: Box) -> None:
    """Draw the legend on one line along the foot of the card."""
    size = LEGEND_SIZE
    font = style.font(size * SS)
    room = (box.width - 12) * SS
    while size > 26:
        font = style.font(size * SS)
        width = sum(
            _symbol_width(item) + 14 * SS + int(pen.textlength(_LEGEND_WORDS[item], font=font))
            for item in items
        ) + 44 * SS * (len(items) - 1)
        if width <= room:
            break
        size -= 2
    x, y = (box.left + 6) * SS, (box.top * 2 + box.height) * SS // 2
    for item in items:
        x = _entry(pen, item, x, y, font) + 44 * SS


def _symbol_width(item: LegendItem) -> int:
    """Return the width ``_symbol`` takes for an entry."""
    return (62 if item == "move" else 46) * SS


def _legend_column(pen: ImageDraw.ImageDraw, items: tuple[LegendItem, ...], box: Box) -> None:
    """Draw the legend as a list in the spare cell of a 2 x 2 grid."""
    font = style.font(LEGEND_SIZE * SS)
    step = round(LEGEND_SIZE * 1.9) * SS
    first = (box.top * 2 + box.height) * SS // 2 - step * (len(items) - 1) // 2
    for row, item in enumerate(items):
        _entry(pen, item, (box.left + 34) * SS, first + row * step, font, _symbol_width("move"))


def render_card_image(exercise: Exercise, poses: PoseSet) -> Image.Image:
    """Draw the card and return it as an image (for the contact sheet and tests)."""
    scene = build_scene(poses)
    layout = card_layout(poses, scene)
    canvas = Image.new("RGB", (CARD_WIDTH * SS, CARD_HEIGHT * SS), style.BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    _header(pen, exercise)
    # Panels are the same size, so one mapping serves all and the figure keeps its size.
    view = _view(scene, layout.panels[0])
    for index, box in enumerate(layout.panels):
        canvas.paste(_panel(scene, index, view, box), (box.left * SS, box.top * SS))
    items = legend_items(poses)
    if layout.legend is not None and layout.rows * layout.columns > len(layout.panels):
        _legend_column(pen, items, layout.legend)
    elif layout.legend is not None:
        _legend_row(pen, items, layout.legend)
    return canvas.resize(CARD_SIZE, Image.Resampling.LANCZOS)


def render_card(exercise: Exercise, poses: PoseSet) -> bytes:
    """Return the exercise card as PNG bytes, identical for identical inputs."""
    image = render_card_image(exercise, poses)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
