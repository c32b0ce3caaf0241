"""Compose an exercise card: a header with name, difficulty and goal, then the key positions.

Every card is the same square, so the one message a session redraws in place keeps
its shape from card to card, and Telegram shows all of it in a chat (it crops only
pictures beyond about 1:2.5). The panels take whichever arrangement, rows, columns or
a 2 x 2 grid, draws the figure largest; a legend explains the ghost, the arrows and,
only where left and right limbs differ, which colour is which side.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw

from bot.pictures import style
from bot.pictures.draw import (
    View,
    draw_arrow,
    draw_body,
    draw_floor,
    draw_ghost,
    draw_note,
    note_layout,
)
from bot.pictures.fit import Rect, TextBox, TextRun, scaled, text_box
from bot.pictures.scene import Placed, Scene, build_scene
from bot.pictures.skeleton import P
from content.poses import PoseSet
from content.schema import Equipment, Exercise, Library

CARD_WIDTH = 1080
CARD_HEIGHT = 1080
CARD_SIZE = (CARD_WIDTH, CARD_HEIGHT)  # 1:1 for every card (the animations too)
SS = 2  # draw at twice the size, then scale down for smooth edges

# The gear chip names these, in this order (texts ``picture_equipment_*``).
_EQUIPMENT = (Equipment.MAT, Equipment.WEIGHT, Equipment.BALL, Equipment.ROLLER)
_LEVELS = {"easy": 1, "medium": 2, "hard": 3}

HEADER_H = 210
FOOTER_H = 76
MARGIN = 28
HEADER_LEFT = MARGIN + 6  # where the name and the first chip start
HEADER_ROOM = CARD_WIDTH - 2 * MARGIN - 10  # how wide the name and the row of chips may be
NAME_BASELINE = 78
CHIP_TOP = 112
CHIP_H = 58
GAP = 20
LABEL_H = 74
FLOOR_H = 44
PANEL_PAD = 14  # free pixels between the label line and the top of the drawing
NOTE_SIZE = 26  # callouts' text
PAD_X = 8.0  # centimetres kept free left and right of the scene
PAD_TOP = 6.0  # centimetres kept free above the scene
# Legend text: 36 px is 3.3 % of the card's width, about 11 pt on a phone that shows
# the card some 340 pt wide (the old 25 px legend was under 8 pt).
LEGEND_SIZE = 36
LEGEND_MIN = 26  # a legend row shrinks to this before its words may overflow
LEGEND_INSET = 34  # the legend list's margin inside the spare cell of a 2 x 2 grid
# The pose file's own layout stays unless another draws the figure more than ~11 % larger.
PREFERENCE = 0.9

LegendItem = Literal["before", "move", "right", "left"]
LEGEND_ITEMS: tuple[LegendItem, ...] = ("before", "move", "right", "left")


@dataclass(frozen=True, slots=True)
class CardWords:
    """The words a card draws besides the content's own (the name, pose labels and notes)."""

    difficulty: str
    goal: str
    equipment: tuple[str, ...]  # the gear the exercise needs, in the chip's order
    legend: Mapping[LegendItem, str]


def card_words(exercise: Exercise, library: Library) -> CardWords:
    """The card's words in the library's language (``texts.yaml``: ``picture_*``)."""
    return CardWords(
        difficulty=library.text(f"difficulty_{exercise.difficulty.value}"),
        goal=library.text(f"picture_goal_{exercise.goal.value}"),
        equipment=tuple(
            library.text(f"picture_equipment_{item.value}")
            for item in _EQUIPMENT
            if item in exercise.equipment
        ),
        legend={item: library.text(f"picture_legend_{item}") for item in LEGEND_ITEMS},
    )


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
        draw_note(pen, view, _points(placed)[note.at], note, NOTE_SIZE * SS)
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


_DISC_R = 24 * SS  # the position number's disc
_DISC_CENTRE = (22 * SS + _DISC_R, 18 * SS + _DISC_R)


def _label_lines(pen: ImageDraw.ImageDraw, label: str, box: Box) -> tuple[list[TextRun], Rect]:
    """The label's lines (on two if needed, smaller if long) and the room beside the disc.

    Panel pixels at twice the size; the room is the band above the drawing (``LABEL_H``).
    """
    cx, cy = _DISC_CENTRE
    label = style.safe(label)
    left = cx + _DISC_R + 14 * SS
    room = box.width * SS - left - 14 * SS
    for size in (32, 30, 28, 26, 24, 22):
        lines = _wrap(pen, label, room, size * SS)
        if len(lines) == 1 or (len(lines) == 2 and size <= 28):
            break
    step = int(size * SS * 1.15)
    first = cy - step * (len(lines) - 1) / 2
    runs = [
        TextRun(line, (left, first + number * step), size * SS, "lm", 1)
        for number, line in enumerate(lines)
    ]
    return runs, (left, 0, left + room, LABEL_H * SS)


def _label(pen: ImageDraw.ImageDraw, index: int, label: str, box: Box) -> None:
    """Draw the position's number in a disc and its short label (on two lines if needed)."""
    radius = _DISC_R
    cx, cy = _DISC_CENTRE
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
    for run in _label_lines(pen, label, box)[0]:
        run.draw(pen, style.INK, style.INK)


def _name_run(pen: ImageDraw.ImageDraw, exercise: Exercise) -> TextRun:
    """The exercise name, as large as fits the header's width (60 px down to 34)."""
    name = style.safe(exercise.name)
    size = 60
    room = HEADER_ROOM * SS
    while size > 34 and pen.textlength(name, font=style.font(size * SS)) > room:
        size -= 2
    return TextRun(name, (HEADER_LEFT * SS, NAME_BASELINE * SS), size * SS, "ls", SS)


# The name and the chips stay inside the card's margins (twice-size pixels).
_HEADER_ROOM: Rect = (MARGIN * SS, 0, (CARD_WIDTH - MARGIN) * SS, CHIP_TOP * SS)
_CHIPS_ROOM: Rect = (
    MARGIN * SS,
    CHIP_TOP * SS,
    (CARD_WIDTH - MARGIN) * SS,
    (CHIP_TOP + CHIP_H) * SS,
)


@dataclass(frozen=True, slots=True)
class _Chip:
    """A rounded label in the header: where it goes and what it says."""

    x: int
    text: str
    fill: style.RGB
    ink: style.RGB
    dots: int
    width: int

    @property
    def box(self) -> Rect:
        """The chip's pixels (twice the size)."""
        return (self.x, CHIP_TOP * SS, self.x + self.width, (CHIP_TOP + CHIP_H) * SS)


def _chips(pen: ImageDraw.ImageDraw, exercise: Exercise, words: CardWords) -> list[_Chip]:
    """The chips for difficulty, goal and equipment, left to right."""
    white = (255, 255, 255)
    colour = style.DIFFICULTY_COLOURS[exercise.difficulty.value]
    specs = [
        (words.difficulty, colour, white, _LEVELS[exercise.difficulty.value]),
        (words.goal, white, style.HEADER, 0),
    ]
    if words.equipment:
        specs.append((" + ".join(words.equipment), style.shade(style.HEADER, 1.25), white, 0))
    chips: list[_Chip] = []
    x = HEADER_LEFT * SS
    for text, fill, ink, dots in specs:
        chip = _Chip(x, text, fill, ink, dots, _chip_width(pen, text, dots))
        chips.append(chip)
        x += chip.width + 14 * SS
    return chips


def _header(pen: ImageDraw.ImageDraw, exercise: Exercise, words: CardWords) -> None:
    """Draw the band with the exercise name and chips for difficulty, goal and equipment."""
    pen.rectangle((0, 0, CARD_WIDTH * SS, HEADER_H * SS), fill=style.HEADER)
    _name_run(pen, exercise).draw(pen, style.HEADER_INK, style.HEADER_INK)
    for chip in _chips(pen, exercise, words):
        _chip(pen, chip)


_CHIP_FONT = 30 * SS
_CHIP_PAD = 20 * SS
_DOT_R = 7 * SS


def _chip_width(pen: ImageDraw.ImageDraw, text: str, dots: int) -> int:
    """How wide a chip is: its text, its padding and the difficulty dots."""
    dots_w = (3 * (2 * _DOT_R + 6 * SS) + 6 * SS) if dots else 0
    return int(pen.textlength(text, font=style.font(_CHIP_FONT))) + 2 * _CHIP_PAD + dots_w


def _chip(pen: ImageDraw.ImageDraw, chip: _Chip) -> None:
    """Draw a rounded label, optionally led by 1-3 difficulty dots."""
    x, y, height = chip.x, CHIP_TOP * SS, CHIP_H * SS
    pen.rounded_rectangle((x, y, x + chip.width, y + height), radius=height // 2, fill=chip.fill)
    cursor = x + _CHIP_PAD
    for index in range(3 if chip.dots else 0):
        cx = cursor + _DOT_R
        cy = y + height // 2
        dot = chip.ink if index < chip.dots else style.shade(chip.fill, 0.7)
        pen.ellipse((cx - _DOT_R, cy - _DOT_R, cx + _DOT_R, cy + _DOT_R), fill=dot)
        cursor += 2 * _DOT_R + 6 * SS
    if chip.dots:
        cursor += 6 * SS
    TextRun(chip.text, (cursor, y + height // 2), _CHIP_FONT, "lm", 1).draw(pen, chip.ink, chip.ink)


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


def _symbol_width(item: LegendItem) -> int:
    """Return the width ``_symbol`` takes for an entry."""
    return (62 if item == "move" else 46) * SS


@dataclass(frozen=True, slots=True)
class _Entry:
    """One legend entry: its picture at ``x`` and its word."""

    item: LegendItem
    x: int
    y: int
    word: TextRun


def _legend_row(
    pen: ImageDraw.ImageDraw, items: tuple[LegendItem, ...], box: Box, words: CardWords
) -> tuple[list[_Entry], Rect]:
    """The legend on one line along the foot, as large as fits (36 px down to 26)."""
    room = (box.width - 12) * SS
    for size in range(LEGEND_SIZE, LEGEND_MIN - 1, -2):
        font = style.font(size * SS)
        width = sum(
            _symbol_width(item) + 14 * SS + int(pen.textlength(words.legend[item], font=font))
            for item in items
        ) + 44 * SS * (len(items) - 1)
        if width <= room:
            break
    x, y = (box.left + 6) * SS, (box.top * 2 + box.height) * SS // 2
    entries: list[_Entry] = []
    for item in items:
        word = words.legend[item]
        start = x + _symbol_width(item) + 14 * SS
        entries.append(_Entry(item, x, y, TextRun(word, (start, y), size * SS, "lm")))
        x = start + int(pen.textlength(word, font=font)) + 44 * SS
    edge = (box.left + 6) * SS
    return entries, (edge, box.top * SS, edge + room, (box.top + box.height) * SS)


def _legend_column(
    items: tuple[LegendItem, ...], box: Box, words: CardWords
) -> tuple[list[_Entry], Rect]:
    """The legend as a list in the spare cell of a 2 x 2 grid, words in one column."""
    step = round(LEGEND_SIZE * 1.9) * SS
    first = (box.top * 2 + box.height) * SS // 2 - step * (len(items) - 1) // 2
    x = (box.left + LEGEND_INSET) * SS
    entries: list[_Entry] = []
    for row, item in enumerate(items):
        y = first + row * step
        start = max(x + _symbol_width(item), x + _symbol_width("move")) + 14 * SS
        word = TextRun(words.legend[item], (start, y), LEGEND_SIZE * SS, "lm")
        entries.append(_Entry(item, x, y, word))
    room = (
        x,
        box.top * SS,
        (box.left + box.width - LEGEND_INSET) * SS,
        (box.top + box.height) * SS,
    )
    return entries, room


def _legend(
    pen: ImageDraw.ImageDraw, poses: PoseSet, layout: Layout, words: CardWords
) -> tuple[list[_Entry], Rect]:
    """The legend's entries where the layout puts it: a spare cell, or the foot."""
    items = legend_items(poses)
    if layout.legend is None:
        return [], (0, 0, 0, 0)
    if layout.rows * layout.columns > len(layout.panels):
        return _legend_column(items, layout.legend, words)
    return _legend_row(pen, items, layout.legend, words)


def render_card_image(exercise: Exercise, poses: PoseSet, library: Library) -> Image.Image:
    """Draw the card in the library's language and return it as an image (sheet, tests)."""
    words = card_words(exercise, library)
    scene = build_scene(poses)
    layout = card_layout(poses, scene)
    canvas = Image.new("RGB", (CARD_WIDTH * SS, CARD_HEIGHT * SS), style.BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    _header(pen, exercise, words)
    # Panels are the same size, so one mapping serves all and the figure keeps its size.
    view = _view(scene, layout.panels[0])
    for index, box in enumerate(layout.panels):
        canvas.paste(_panel(scene, index, view, box), (box.left * SS, box.top * SS))
    for entry in _legend(pen, poses, layout, words)[0]:
        _symbol(pen, entry.item, entry.x, entry.y)
        entry.word.draw(pen, style.MUTED)
    return canvas.resize(CARD_SIZE, Image.Resampling.LANCZOS)


def render_card(exercise: Exercise, poses: PoseSet, library: Library) -> bytes:
    """Return the exercise card as PNG bytes, identical for identical inputs."""
    image = render_card_image(exercise, poses, library)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def card_text_boxes(exercise: Exercise, poses: PoseSet, library: Library) -> list[TextBox]:
    """Every text the card draws, with the room its layout gives it (card pixels).

    The name and the chips in the header, each position's label (wrapped and shrunk as
    drawn) and callouts, and the legend's words: what ``render_card`` would draw, measured.
    """
    words = card_words(exercise, library)
    scene = build_scene(poses)
    layout = card_layout(poses, scene)
    pen = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    found = [text_box("name", _name_run(pen, exercise), _HEADER_ROOM, SS)]
    for chip in _chips(pen, exercise, words):
        chip_box = TextBox("header chip", chip.text, scaled(chip.box, SS), scaled(_CHIPS_ROOM, SS))
        found.append(chip_box)
    view = _view(scene, layout.panels[0])
    for index, (frame, panel) in enumerate(zip(poses.frames, layout.panels, strict=True)):
        dx, dy = panel.left * SS, panel.top * SS
        runs, room = _label_lines(pen, frame.label, panel)
        for line, run in enumerate(runs, 1):
            what = f"label of position {index + 1}, line {line} of {len(runs)}"
            found.append(text_box(what, run, room, SS, dx, dy))
        points = _points(scene.placed[index])
        for note in frame.notes:
            placed = note_layout(pen, view, points[note.at], note, NOTE_SIZE * SS)
            found.append(
                TextBox(
                    f"note at {note.at} in position {index + 1}",
                    placed.run.text,
                    scaled(placed.box, SS, dx, dy),
                    scaled(placed.room, SS, dx, dy),
                )
            )
    entries, room = _legend(pen, poses, layout, words)
    for entry in entries:
        found.append(text_box(f"legend: {entry.item}", entry.word, room, SS))
    return found
