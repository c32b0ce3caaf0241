"""Compose an exercise card: a header with name, difficulty and goal, then the key positions."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from bot.pictures import style
from bot.pictures.draw import View, draw_arrow, draw_body, draw_floor, draw_ghost, draw_note
from bot.pictures.scene import Placed, Scene, build_scene
from bot.pictures.skeleton import P
from content.poses import PoseSet
from content.schema import Equipment, Exercise, Goal

CARD_WIDTH = 1080
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
FOOTER_H = 64
MARGIN = 28
GAP = 20
LABEL_H = 74
FLOOR_H = 44
PANEL_PAD = 14  # free pixels between the label line and the top of the drawing
PAD_X = 8.0  # centimetres kept free left and right of the scene
PAD_TOP = 6.0  # centimetres kept free above the scene
MIN_HEIGHT = 720
MAX_HEIGHT = 1350  # 4:5, the tallest photo Telegram shows uncropped in a chat


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in final-card pixels."""

    left: int
    top: int
    width: int
    height: int


def _columns(poses: PoseSet) -> int:
    """Return how many panels sit side by side."""
    return len(poses.frames) if poses.layout == "columns" else 1


def _panel_width(poses: PoseSet) -> int:
    """Return the width of one panel in card pixels."""
    columns = _columns(poses)
    return (CARD_WIDTH - 2 * MARGIN - GAP * (columns - 1)) // columns


def _fixed_height(poses: PoseSet, footer: int) -> int:
    """Return the card height taken by everything except the drawings themselves."""
    rows = len(poses.frames) // _columns(poses)
    return (
        HEADER_H + 2 * MARGIN + footer + GAP * (rows - 1) + rows * (LABEL_H + FLOOR_H + PANEL_PAD)
    )


def card_size(poses: PoseSet, scene: Scene | None = None) -> tuple[int, int]:
    """Return the card size: full width, and as tall as the drawings need within 4:5."""
    scene = scene if scene is not None else build_scene(poses)
    footer = FOOTER_H if _has_ghost(poses) else 0
    left, _, right, top = scene.extent()
    scale = _panel_width(poses) / (right - left + 2 * PAD_X)
    rows = len(poses.frames) // _columns(poses)
    height = _fixed_height(poses, footer) + round(rows * (top + PAD_TOP) * scale)
    return CARD_WIDTH, max(MIN_HEIGHT, min(MAX_HEIGHT, height))


def _has_ghost(poses: PoseSet) -> bool:
    """Return whether any position shows an earlier one faded behind it."""
    return any(poses.ghost_of(index) is not None for index in range(len(poses.frames)))


def _panels(poses: PoseSet, height: int, footer: int) -> list[Box]:
    """Split the space under the header into one panel per key position."""
    count = len(poses.frames)
    top = HEADER_H + MARGIN
    available_h = height - top - footer - MARGIN
    width = _panel_width(poses)
    if poses.layout == "columns":
        return [
            Box(MARGIN + index * (width + GAP), top, width, available_h) for index in range(count)
        ]
    panel_h = (available_h - GAP * (count - 1)) // count
    return [Box(MARGIN, top + index * (panel_h + GAP), width, panel_h) for index in range(count)]


def _view(scene: Scene, box: Box) -> View:
    """Return one world-to-pixel mapping, shared by every panel so the ghost lines up."""
    left, _, right, top = scene.extent()
    world_w = right - left + 2 * PAD_X
    world_h = top + PAD_TOP
    width, height = box.width * SS, box.height * SS
    room_h = height - (LABEL_H + FLOOR_H + PANEL_PAD) * SS
    scale = min(width / world_w, room_h / world_h)
    floor_y = height - FLOOR_H * SS
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


def _footer(pen: ImageDraw.ImageDraw, top: int) -> None:
    """Explain the drawing's conventions in one line: faded figure, arrow, right-side limbs."""
    y = (top + FOOTER_H // 2 - 6) * SS
    x = (MARGIN + 6) * SS
    font = style.font(25 * SS)
    pen.rounded_rectangle(
        (x, y - 13 * SS, x + 34 * SS, y + 13 * SS), radius=9 * SS, fill=style.GHOST
    )
    x += 44 * SS
    x = _legend_text(pen, x, y, "= before", font)
    pen.line((x, y, x + 34 * SS, y), fill=style.ACCENT, width=8 * SS)
    pen.polygon(
        [(x + 52 * SS, y), (x + 30 * SS, y - 14 * SS), (x + 30 * SS, y + 14 * SS)],
        fill=style.ACCENT,
    )
    x += 64 * SS
    x = _legend_text(pen, x, y, "= move", font)
    for offset, side in ((0, "far"), (16, "near")):
        left = x + offset * SS
        pen.rounded_rectangle(
            (left, y - 13 * SS, left + 22 * SS, y + 13 * SS),
            radius=8 * SS,
            fill=style.BODY[("pants", side)],
            outline=style.OUTLINE,
            width=SS,
        )
    x += 50 * SS
    _legend_text(pen, x, y, "= light: right side, dark: left side", font)


def _legend_text(
    pen: ImageDraw.ImageDraw, x: int, y: int, text: str, font: ImageFont.FreeTypeFont
) -> int:
    """Write one legend entry and return where the next one starts."""
    pen.text((x, y), text, font=font, fill=style.MUTED, anchor="lm")
    return x + int(pen.textlength(text, font=font)) + 36 * SS


def render_card_image(exercise: Exercise, poses: PoseSet) -> Image.Image:
    """Draw the card and return it as an image (for the contact sheet and tests)."""
    scene = build_scene(poses)
    width, height = card_size(poses, scene)
    footer = FOOTER_H if _has_ghost(poses) else 0
    canvas = Image.new("RGB", (width * SS, height * SS), style.BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    _header(pen, exercise)
    boxes = _panels(poses, height, footer)
    # Panels are the same size, so one mapping serves all and the ghost lines up with the figure.
    view = _view(scene, boxes[0])
    for index, box in enumerate(boxes):
        canvas.paste(_panel(scene, index, view, box), (box.left * SS, box.top * SS))
    if footer:
        _footer(pen, height - footer - MARGIN // 2)
    return canvas.resize((width, height), Image.Resampling.LANCZOS)


def render_card(exercise: Exercise, poses: PoseSet) -> bytes:
    """Return the exercise card as PNG bytes, identical for identical inputs."""
    image = render_card_image(exercise, poses)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
