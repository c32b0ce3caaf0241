"""Paint a scene (figure, ghost, props, arrows, notes) into one panel of a card."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.pictures import style
from bot.pictures.chair import draw_chair
from bot.pictures.fit import Rect, TextRun
from bot.pictures.scene import (
    BELL_BASE_DROP,
    BELL_RADIUS,
    HANDLE_RISE,
    WALL_WIDTH,
    Ball,
    Kettlebell,
    Scene,
)
from bot.pictures.skeleton import HEAD_R, NOSE_R, Body, Capsule, P, direction, front_of
from content.poses import Arrow, Note

Pixel = tuple[float, float]
Ink = style.RGB | int  # RGB on the card, a grey level on masks


@dataclass(frozen=True, slots=True)
class View:
    """Maps centimetres (y up) to pixels (y down) for one panel."""

    scale: float  # pixels per centimetre
    origin_x: float  # pixel x of world x = 0
    floor_y: float  # pixel y of world y = 0
    top: float  # pixel y under the panel's label, where drawing may start
    left: float
    right: float
    bottom: float

    def px(self, point: P) -> Pixel:
        """Return the pixel position of a world point."""
        return (self.origin_x + point.x * self.scale, self.floor_y - point.y * self.scale)

    def length(self, centimetres: float) -> float:
        """Return a world length in pixels."""
        return centimetres * self.scale


def _circle(draw: ImageDraw.ImageDraw, centre: Pixel, radius: float, fill: Ink) -> None:
    """Fill a circle."""
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)


def _capsule_polygon(view: View, capsule: Capsule, grow: float) -> list[Pixel]:
    """Return the straight middle part of a (tapered) capsule, widened by ``grow`` pixels."""
    a, b = view.px(capsule.a), view.px(capsule.b)
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / span, dx / span
    ra = view.length(capsule.ra) + grow
    rb = view.length(capsule.rb) + grow
    return [
        (a[0] + nx * ra, a[1] + ny * ra),
        (b[0] + nx * rb, b[1] + ny * rb),
        (b[0] - nx * rb, b[1] - ny * rb),
        (a[0] - nx * ra, a[1] - ny * ra),
    ]


def _fill_capsule(
    draw: ImageDraw.ImageDraw, view: View, capsule: Capsule, colour: Ink, grow: float
) -> None:
    """Fill one capsule, optionally grown by ``grow`` pixels (for its outline)."""
    draw.polygon(_capsule_polygon(view, capsule, grow), fill=colour)
    _circle(draw, view.px(capsule.a), view.length(capsule.ra) + grow, colour)
    _circle(draw, view.px(capsule.b), view.length(capsule.rb) + grow, colour)


def _limb(draw: ImageDraw.ImageDraw, view: View, capsules: list[Capsule], line: float) -> None:
    """Draw one arm or leg: a shared outline, the fills, then the joints."""
    for capsule in capsules:
        _fill_capsule(draw, view, capsule, style.OUTLINE, line)
    for capsule in capsules:
        _fill_capsule(draw, view, capsule, style.BODY[(capsule.role, capsule.side)], 0.0)
    for capsule in capsules[:2]:
        # A darker dot at each joint (elbow, wrist, knee, ankle) makes the bends easy to read.
        colour = style.shade(style.BODY[(capsule.role, capsule.side)], 0.82)
        _circle(draw, view.px(capsule.b), view.length(min(capsule.rb, 4.0)) * 0.5, colour)


def _sleeve(draw: ImageDraw.ImageDraw, view: View, upper_arm: Capsule, line: float) -> None:
    """Draw a short T-shirt sleeve over the top of the upper arm."""
    end = upper_arm.a + (upper_arm.b - upper_arm.a) * 0.5
    sleeve = Capsule(
        upper_arm.name,
        upper_arm.a,
        end,
        upper_arm.ra + 0.9,
        upper_arm.ra + 0.6,
        "shirt",
        upper_arm.side,
    )
    _fill_capsule(draw, view, sleeve, style.OUTLINE, line)
    _fill_capsule(draw, view, sleeve, style.BODY[("shirt", upper_arm.side)], 0.0)


def _trunk(draw: ImageDraw.ImageDraw, view: View, body: Body, line: float) -> None:
    """Draw the trunk (shirt), the hips (trousers) and the neck."""
    neck = Capsule("neck", body.points["neck_base"], body.head, 4.8, 4.4, "skin", "near")
    _fill_capsule(draw, view, neck, style.OUTLINE, line)
    _fill_capsule(draw, view, neck, style.BODY[("skin", "near")], 0.0)
    outline = [view.px(point) for point in body.torso]
    draw.polygon(
        outline, fill=style.BODY[("shirt", "near")], outline=style.OUTLINE, width=round(line)
    )
    _hips(draw, view, body, line)


def _hips(draw: ImageDraw.ImageDraw, view: View, body: Body, line: float) -> None:
    """Draw the trousers over the pelvis, the belt line and the trunk's outline."""
    draw.polygon([view.px(point) for point in body.hips], fill=style.BODY[("pants", "near")])
    draw.line([view.px(point) for point in body.belt], fill=style.OUTLINE, width=round(line))
    outline = [view.px(point) for point in body.torso]
    draw.polygon(outline, outline=style.OUTLINE, width=round(line))


def _head(draw: ImageDraw.ImageDraw, view: View, body: Body, line: float) -> None:
    """Draw the head with hair at the back and a face (eye, nose) at the front."""
    centre = view.px(body.head)
    radius = view.length(HEAD_R)
    nose = view.px(body.nose)
    nose_r = view.length(NOSE_R)
    skin = style.BODY[("skin", "near")]
    _circle(draw, centre, radius + line, style.OUTLINE)
    _circle(draw, nose, nose_r + line, style.OUTLINE)
    _circle(draw, centre, radius, skin)
    _circle(draw, nose, nose_r, skin)
    # Hair: a cap from the forehead over the crown to the nape (angles in image space).
    crown = body.head_dir
    start, end = -(crown + 165.0), -(crown - 40.0)
    box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    draw.chord(box, start, end, fill=style.HAIR)
    up, front = direction(crown), front_of(crown)
    eye = view.px(body.head + up * (HEAD_R * 0.18) + front * (HEAD_R * 0.55))
    _circle(draw, eye, max(view.length(1.5), 2.0), style.OUTLINE)


def draw_body(
    draw: ImageDraw.ImageDraw, view: View, body: Body, *, behind: Kettlebell | None = None
) -> None:
    """Draw a figure far limbs first, then the trunk, then the near limbs and the head."""
    line = max(view.length(0.55), 2.0)
    by_name = {capsule.name: capsule for capsule in body.capsules}
    for side in ("far", "near"):
        if side == "near":
            _trunk(draw, view, body, line)
        leg = [by_name[f"{side}_{part}"] for part in ("thigh", "shin", "foot")]
        _limb(draw, view, leg, line)
        if side == "near":
            # Trousers run on from the hips into the near thigh without a seam at the hip joint.
            _hips(draw, view, body, line)
        if side == "near" and behind is not None:
            draw_kettlebell(draw, view, behind)
        arm = [by_name[f"{side}_{part}"] for part in ("upper_arm", "forearm", "hand")]
        _limb(draw, view, arm, line)
        _sleeve(draw, view, arm[0], line)
    _head(draw, view, body, line)


def draw_ghost(
    image: Image.Image, view: View, body: Body, bell: Kettlebell | None = None, opacity: int = 110
) -> None:
    """Draw a faded silhouette of an earlier position (and its weight) behind the current one."""
    mask = Image.new("L", image.size, 0)
    pen = ImageDraw.Draw(mask)
    if bell is not None:
        _circle(pen, view.px(bell.centre), view.length(BELL_RADIUS), opacity)
    for capsule in body.capsules:
        _fill_capsule(pen, view, capsule, opacity, 0.0)
    neck = Capsule("neck", body.points["neck_base"], body.head, 4.8, 4.4, "skin", "near")
    _fill_capsule(pen, view, neck, opacity, 0.0)
    pen.polygon([view.px(point) for point in body.torso], fill=opacity)
    _circle(pen, view.px(body.head), view.length(HEAD_R), opacity)
    _circle(pen, view.px(body.nose), view.length(NOSE_R), opacity)
    image.paste(Image.new("RGB", image.size, style.GHOST), (0, 0), mask)


def draw_floor(draw: ImageDraw.ImageDraw, view: View, scene: Scene) -> None:
    """Draw the floor, then the mat, wall, ball and roller that sit behind the figure."""
    draw.rectangle((view.left, view.floor_y, view.right, view.bottom), fill=style.FLOOR)
    draw.line((view.left, view.floor_y, view.right, view.floor_y), fill=style.FLOOR_EDGE, width=3)
    if scene.wall_x is not None:
        x = view.px(P(scene.wall_x, 0))[0]
        width = view.length(WALL_WIDTH)
        x0, x1 = (x - width, x) if scene.wall_side == "left" else (x, x + width)
        x0, x1 = max(x0, view.left), min(x1, view.right)
        draw.rectangle((x0, view.top, x1, view.floor_y), fill=style.WALL)
        edge = x1 if scene.wall_side == "left" else x0
        draw.line((edge, view.top, edge, view.floor_y), fill=style.WALL_EDGE, width=4)
        board = view.length(6.0)
        draw.rectangle((x0, view.floor_y - board, x1, view.floor_y), fill=style.WALL_EDGE)
    if scene.mat is not None:
        left = view.px(P(scene.mat[0], 0))[0]
        right = view.px(P(scene.mat[1], 0))[0]
        top = view.px(P(0, scene.support))[1]
        draw.rounded_rectangle(
            (left, top, right, view.floor_y),
            radius=max(2, round(view.floor_y - top) // 2),
            fill=style.MAT,
            outline=style.MAT_EDGE,
            width=2,
        )
    if scene.ball is not None:
        _draw_ball(draw, view, scene.ball)
    if scene.roller is not None:
        _draw_roller(draw, view, scene.roller)
    if scene.chair is not None:
        draw_chair(draw, view, scene.chair)


def _draw_ball(draw: ImageDraw.ImageDraw, view: View, ball: Ball) -> None:
    """Draw an exercise ball with a highlight and seams, so it reads as a sphere."""
    centre = view.px(ball.centre)
    radius = view.length(ball.radius)
    _circle(draw, centre, radius + 3, style.BALL_EDGE)
    _circle(draw, centre, radius, style.BALL)
    box = (
        centre[0] - radius * 0.55,
        centre[1] - radius,
        centre[0] + radius * 0.55,
        centre[1] + radius,
    )
    draw.arc(box, 0, 360, fill=style.BALL_EDGE, width=3)
    _circle(
        draw,
        (centre[0] - radius * 0.45, centre[1] - radius * 0.45),
        radius * 0.16,
        style.shade(style.BALL, 1.45),
    )


def _draw_roller(draw: ImageDraw.ImageDraw, view: View, roller: Ball) -> None:
    """Draw a fascia roller end-on: a foam ring with a darker core."""
    centre = view.px(roller.centre)
    radius = view.length(roller.radius)
    _circle(draw, centre, radius + 3, style.ROLLER_EDGE)
    _circle(draw, centre, radius, style.ROLLER)
    _circle(draw, centre, radius * 0.62, style.shade(style.ROLLER, 1.3))
    _circle(draw, centre, radius * 0.28, style.ROLLER_EDGE)


def draw_kettlebell(draw: ImageDraw.ImageDraw, view: View, bell: Kettlebell) -> None:
    """Draw a kettlebell hanging from its handle, flat base down."""
    centre = view.px(bell.centre)
    radius = view.length(BELL_RADIUS)
    grip = view.px(bell.grip)
    top = grip[1] - view.length(HANDLE_RISE)
    handle_half = radius * 0.62
    thickness = max(view.length(2.4), 4.0)
    box = (grip[0] - handle_half, top, grip[0] + handle_half, centre[1] - radius * 0.2)
    draw.rounded_rectangle(
        box, radius=handle_half * 0.9, outline=style.IRON_EDGE, width=round(thickness + 4)
    )
    draw.rounded_rectangle(
        box, radius=handle_half * 0.9, outline=style.IRON, width=round(thickness)
    )
    base_y = view.px(P(0, bell.grip.y - BELL_BASE_DROP))[1]
    # The bell: a circle with its bottom cut flat where it stands.
    outline = []
    for step in range(73):
        theta = 2 * math.pi * step / 72
        outline.append(
            (
                centre[0] + math.cos(theta) * radius,
                min(centre[1] + math.sin(theta) * radius, base_y),
            )
        )
    draw.polygon(
        outline, fill=style.IRON, outline=style.IRON_EDGE, width=max(2, round(thickness / 3))
    )
    _circle(
        draw,
        (centre[0] - radius * 0.4, centre[1] - radius * 0.35),
        radius * 0.18,
        style.shade(style.IRON, 1.5),
    )


def _bezier(a: Pixel, control: Pixel, b: Pixel, steps: int = 24) -> list[Pixel]:
    """Sample a quadratic curve from ``a`` to ``b``."""
    out = []
    for index in range(steps + 1):
        t = index / steps
        u = 1 - t
        out.append(
            (
                u * u * a[0] + 2 * u * t * control[0] + t * t * b[0],
                u * u * a[1] + 2 * u * t * control[1] + t * t * b[1],
            )
        )
    return out


def _head_polygon(tip: Pixel, before: Pixel, size: float) -> list[Pixel]:
    """Return an arrowhead triangle pointing from ``before`` to ``tip``."""
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    span = math.hypot(dx, dy) or 1.0
    ux, uy = dx / span, dy / span
    base = (tip[0] - ux * size, tip[1] - uy * size)
    return [
        (tip[0] + ux * size * 0.25, tip[1] + uy * size * 0.25),
        (base[0] - uy * size * 0.6, base[1] + ux * size * 0.6),
        (base[0] + uy * size * 0.6, base[1] - ux * size * 0.6),
    ]


def draw_arrow(draw: ImageDraw.ImageDraw, view: View, start: P, end: P, arrow: Arrow) -> None:
    """Draw a curved movement arrow from where a point was to where it is now."""
    shift = P(*arrow.shift)
    a, b = view.px(start + shift), view.px(end + shift)
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = math.hypot(dx, dy)
    if span < 1:
        return
    shortest = view.length(14.0)
    if span < shortest:
        # A small movement still gets an arrow long enough to see, centred on the movement.
        grow = (shortest - span) / 2 / span
        a, b = (a[0] - dx * grow, a[1] - dy * grow), (b[0] + dx * grow, b[1] + dy * grow)
        dx, dy = b[0] - a[0], b[1] - a[1]
    # Bend to the left of the direction of travel for positive ``bend``.
    control = ((a[0] + b[0]) / 2 + dy * arrow.bend * 0.5, (a[1] + b[1]) / 2 - dx * arrow.bend * 0.5)
    points = _bezier(a, control, b)
    width = max(view.length(1.4), 7.0)
    size = width * 2.6
    trim = size * 0.8
    # Stop the shaft short of the tip so the arrowhead keeps a sharp point.
    shaft = [p for p in points if math.hypot(p[0] - b[0], p[1] - b[1]) > trim]
    if arrow.both_ways:
        shaft = [p for p in shaft if math.hypot(p[0] - a[0], p[1] - a[1]) > trim]
    if len(shaft) < 2:
        shaft = [points[0], points[-1]]
    heads = [_head_polygon(b, points[-4], size)]
    if arrow.both_ways:
        heads.append(_head_polygon(a, points[3], size))
    draw.line(shaft, fill=style.PANEL, width=round(width + 8), joint="curve")
    for head in heads:
        draw.polygon(head, fill=style.PANEL, outline=style.PANEL, width=6)
    draw.line(shaft, fill=style.ACCENT, width=round(width), joint="curve")
    for head in heads:
        draw.polygon(head, fill=style.ACCENT)


@dataclass(frozen=True, slots=True)
class NoteLayout:
    """Where a callout goes: its text, the pill around it, and the room it must stay in."""

    run: TextRun
    text: Rect  # the text's own box
    pad: float  # the pill's margin around the text
    room: Rect  # the panel inside a margin, above the floor: the padded text stays in it
    anchor: Pixel  # the body point it names

    @property
    def box(self) -> Rect:
        """The text's box with the pill's margin, which ``room`` must hold."""
        left, top, right, bottom = self.text
        return (left - self.pad, top - self.pad, right + self.pad, bottom + self.pad)


def note_layout(draw: ImageDraw.ImageDraw, view: View, at: P, note: Note, size: int) -> NoteLayout:
    """Place a callout next to its point, moved inside the panel if the offset leaves it."""
    centre = view.px(at + P(*note.offset))
    font = style.font(size)
    text = style.safe(note.text)
    left, top, right, bottom = draw.textbbox(centre, text, font=font, anchor="mm")
    pad = size * 0.35
    # Keep the whole callout inside the panel, however the offset was chosen.
    edge = size * 0.6
    room = (view.left + edge, view.top + edge, view.right - edge, view.floor_y - 2)
    shift_x = max(0.0, room[0] - (left - pad)) - max(0.0, (right + pad) - room[2])
    shift_y = max(0.0, room[1] - (top - pad)) - max(0.0, (bottom + pad) - room[3])
    centre = (centre[0] + shift_x, centre[1] + shift_y)
    shifted = (left + shift_x, top + shift_y, right + shift_x, bottom + shift_y)
    return NoteLayout(TextRun(text, centre, size, "mm"), shifted, pad, room, view.px(at))


def draw_note(draw: ImageDraw.ImageDraw, view: View, at: P, note: Note, size: int) -> None:
    """Draw a short callout in a pill next to a body point."""
    placed = note_layout(draw, view, at, note, size)
    centre, anchor, pad = placed.run.xy, placed.anchor, placed.pad
    left, top, right, bottom = placed.text
    # A thin leader from the callout to the point it names, unless the callout sits on it.
    box = (left - pad, top - pad * 0.8, right + pad, bottom + pad * 0.8)
    inside = box[0] <= anchor[0] <= box[2] and box[1] <= anchor[1] <= box[3]
    if note.leader and not inside:
        draw.line((centre, anchor), fill=style.ACCENT_DARK, width=max(2, round(size / 9)))
        _circle(draw, anchor, max(3.0, size / 6), style.ACCENT_DARK)
    draw.rounded_rectangle(
        box,
        radius=size * 0.6,
        fill=(255, 255, 255),
        outline=style.ACCENT_DARK,
        width=3,
    )
    placed.run.draw(draw, style.INK)
