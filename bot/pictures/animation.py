"""An animated GIF per exercise: the figure moves smoothly between its key positions.

Angles are eased along the shorter way round from one key position to the
next, and every in-between figure is put back on its support, so the
animation never floats or sinks either.
"""

from __future__ import annotations

import io
import math
from typing import Literal

from PIL import Image, ImageDraw

from bot.pictures import style
from bot.pictures.draw import View, draw_body, draw_floor
from bot.pictures.fit import Rect, TextBox, TextRun, text_box
from bot.pictures.scene import Kettlebell, Placed, Scene, build_scene, grip_of, support_level
from bot.pictures.skeleton import P, pose_body
from content.poses import SEGMENTS, Frame, PoseSet, wrap
from content.schema import Exercise

# Square like the cards (bot/pictures/card.py), so a session's one message keeps its
# shape when an animated card follows a still one.
WIDTH = 640
HEIGHT = 640
SS = 2
TITLE_H = 76
LABEL_H = 64  # the current step, under the title
FLOOR_H = 40
STEPS = 12  # in-between pictures per movement
HOLD = 8  # pictures a key position is held
FRAME_MS = 70
HOLD_MS = 90


def key_order(poses: PoseSet) -> list[int]:
    """Return the order key positions are visited, returning to a ghosted one when needed."""
    order = [0]
    for index in range(1, len(poses.frames)):
        before = poses.ghost_of(index)
        if before is not None and order[-1] != before:
            order.append(before)
        order.append(index)
    return order


def _mix(a: float, b: float, t: float) -> float:
    """Blend two numbers."""
    return a + (b - a) * t


def _turn(a: float, b: float, t: float) -> float:
    """Blend two directions the shorter way round."""
    return a + wrap(b - a) * t


def _blend(
    first: tuple[float, float, float], second: tuple[float, float, float], t: float
) -> tuple[float, float, float]:
    """Blend three directions the shorter way round."""
    return (
        _turn(first[0], second[0], t),
        _turn(first[1], second[1], t),
        _turn(first[2], second[2], t),
    )


def tween(first: Frame, second: Frame, t: float) -> Frame:
    """Return the position ``t`` (0..1) of the way from ``first`` to ``second``."""
    scale = {name: _mix(first.length(name), second.length(name), t) for name in SEGMENTS}
    return Frame.model_construct(
        label=second.label if t >= 0.5 else first.label,
        root_x=_mix(first.root_x, second.root_x, t),
        spine=_blend(first.spine, second.spine, t),
        near_arm=_blend(first.near_arm, second.near_arm, t),
        far_arm=_blend(first.arm("far"), second.arm("far"), t),
        near_leg=_blend(first.near_leg, second.near_leg, t),
        far_leg=_blend(first.leg("far"), second.leg("far"), t),
        scale=scale,
        contacts=[],
        ghost="none",
        arrows=[],
        notes=[],
    )


def ground_contacts(frame: Frame) -> set[str]:
    """Return the parts resting on the floor or mat, far limbs included when they copy the near."""
    parts: set[str] = {contact.part for contact in frame.contacts if contact.on == "ground"}
    for part in list(parts):
        if not part.startswith("near_"):
            continue
        copied = (
            frame.far_arm is None
            if part.endswith(("arm", "forearm", "hand"))
            else frame.far_leg is None
        )
        if copied:
            parts.add("far_" + part.removeprefix("near_"))
    return parts


_LIMB_PARTS = {
    "near_arm": ("near_upper_arm", "near_forearm", "near_hand"),
    "far_arm": ("far_upper_arm", "far_forearm", "far_hand"),
    "near_leg": ("near_thigh", "near_shin", "near_foot"),
    "far_leg": ("far_thigh", "far_shin", "far_foot"),
}


def _angles(frame: Frame, field: str) -> tuple[float, float, float]:
    """Return one limb's angles, a far limb that copies the near one included."""
    side: Literal["near", "far"] = "near" if field.startswith("near") else "far"
    return frame.arm(side) if field.endswith("arm") else frame.leg(side)


def grounded(poses: PoseSet, frame: Frame, supports: set[str]) -> Placed:
    """Place an in-between position on the parts that carry it, swinging limbs kept above ground.

    Eased angles can carry a swinging foot through the floor; rather than lift the whole
    body (and the hands off the mat), such a limb is turned up about its root until it clears.
    """
    support = support_level(poses)
    for field, parts in _LIMB_PARTS.items():
        if supports & set(parts):
            continue
        for turn in (0, *(sign * step for step in range(2, 62, 2) for sign in (1, -1))):
            angles = tuple(angle + turn for angle in _angles(frame, field))
            candidate = frame.model_copy(update={field: angles})
            body = pose_body(candidate, poses.far_shift)
            base = min(body.part_bottom(part) for part in supports) if supports else body.bottom()
            if min(body.part_bottom(part) for part in parts) >= base - 0.2:
                frame = candidate
                break
    body = pose_body(frame, poses.far_shift)
    lowest = min(body.part_bottom(part) for part in supports) if supports else body.bottom()
    offset = P(0.0, support - lowest)
    grip = Kettlebell(grip_of(body) + offset) if poses.has("kettlebell") else None
    return Placed(body.moved(offset), grip)


def _ease(t: float) -> float:
    """Start and end each movement gently, as the article asks ("slowly")."""
    return 0.5 - 0.5 * math.cos(math.pi * t)


def _view(scene: Scene, width: int, height: int) -> View:
    """Fit the scene into the picture below the title and step, in the middle of the room."""
    left, _, right, top = scene.extent()
    world_w = right - left + 16.0
    world_h = top + 6.0
    room = (height - TITLE_H - LABEL_H - FLOOR_H) * SS
    scale = min(width * SS / world_w, room / world_h)
    floor_y = (height - FLOOR_H) * SS - (room - world_h * scale) / 2
    origin_x = (width * SS - world_w * scale) / 2 - (left - 8.0) * scale
    return View(scale, origin_x, floor_y, (TITLE_H + LABEL_H) * SS, 0.0, width * SS, height * SS)


def _picture(
    exercise: Exercise, scene: Scene, placed: Placed, label: str, size: tuple[int, int]
) -> Image.Image:
    """Draw one picture of the animation: title, current step, floor, props and figure."""
    width, height = size
    image = Image.new("RGB", (width * SS, height * SS), style.PANEL)
    pen = ImageDraw.Draw(image)
    view = _view(scene, width, height)
    draw_floor(pen, view, scene)
    draw_body(pen, view, placed.body, behind=placed.kettlebell)
    pen.rectangle((0, 0, width * SS, TITLE_H * SS), fill=style.HEADER)
    _title(pen, exercise, width)[0].draw(pen, style.HEADER_INK, style.HEADER_INK)
    _step(pen, label, width)[0].draw(pen, style.INK)
    return image.resize(size, Image.Resampling.LANCZOS)


def _fitting(pen: ImageDraw.ImageDraw, text: str, room: int, largest: int, smallest: int) -> int:
    """Return the largest font size, ``largest`` px down to ``smallest``, that fits one line."""
    size = largest
    while size > smallest and pen.textlength(text, font=style.font(size * SS)) > room * SS:
        size -= 2
    return size


def _title(pen: ImageDraw.ImageDraw, exercise: Exercise, width: int) -> tuple[TextRun, Rect]:
    """The exercise name in the title band (36 px, smaller if long) and the band's room."""
    name = style.safe(exercise.name)
    size = _fitting(pen, name, width - 36, 36, 24)
    run = TextRun(name, (18 * SS, TITLE_H * SS // 2), size * SS, "lm", SS // 2)
    return run, (18 * SS, 0, (width - 18) * SS, TITLE_H * SS)


def _step(pen: ImageDraw.ImageDraw, label: str, width: int) -> tuple[TextRun, Rect]:
    """The current step under the title (30 px down to 20 to fit one line) and its room."""
    text = style.safe(label)
    size = _fitting(pen, text, width - 36, 30, 20)
    run = TextRun(text, (18 * SS, (TITLE_H + LABEL_H // 2) * SS), size * SS, "lm")
    return run, (18 * SS, TITLE_H * SS, (width - 18) * SS, (TITLE_H + LABEL_H) * SS)


def animation_text_boxes(exercise: Exercise, poses: PoseSet) -> list[TextBox]:
    """Every text the animation draws, with the room its layout gives it (GIF pixels).

    The name in the title band and each key position's label under it (in-between
    pictures show one of those labels).
    """
    pen = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    found = [text_box("name", *_title(pen, exercise, WIDTH), SS)]
    for index, frame in enumerate(poses.frames):
        found.append(
            text_box(f"label of position {index + 1}", *_step(pen, frame.label, WIDTH), SS)
        )
    return found


def render_animation(exercise: Exercise, poses: PoseSet) -> bytes:
    """Return a looping GIF that moves through the key positions, identical for identical input."""
    scene = build_scene(poses)
    size = (WIDTH, HEIGHT)
    order = key_order(poses)
    pictures: list[Image.Image] = []
    durations: list[int] = []
    for step, index in enumerate(order):
        frame = poses.frames[index]
        following = poses.frames[order[(step + 1) % len(order)]]
        held = _picture(exercise, scene, scene.placed[index], frame.label, size)
        pictures.append(held)
        durations.append(HOLD * HOLD_MS)
        supports = ground_contacts(frame) & ground_contacts(following)
        for tick in range(1, STEPS):
            between = tween(frame, following, _ease(tick / STEPS))
            placed = grounded(poses, between, supports)
            pictures.append(_picture(exercise, scene, placed, following.label, size))
            durations.append(FRAME_MS)
    palette = pictures[0].quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    frames = [picture.quantize(palette=palette, dither=Image.Dither.NONE) for picture in pictures]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=True,
        disposal=1,
    )
    return buffer.getvalue()
