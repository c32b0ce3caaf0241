"""Draw the chair the desk exercises are done sitting on: seat, backrest and legs.

A small, separate addition to the floor props (``bot.pictures.draw.draw_floor`` calls
it before the figure, so the figure sits in front of the chair). The scene fits the
chair to the figure (``bot.pictures.scene.fit_chair``); this only paints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import ImageDraw

from bot.pictures import style
from bot.pictures.scene import CHAIR_SEAT_THICKNESS, Chair
from bot.pictures.skeleton import P

if TYPE_CHECKING:
    from bot.pictures.draw import View

CHAIR = (150, 160, 178)
CHAIR_EDGE = style.shade(CHAIR, 0.62)
LEG_WIDTH = 3.2  # centimetres
BACK_WIDTH = 4.5
LEG_INSET = 3.0  # legs stand this far in from the seat's ends


def draw_chair(draw: ImageDraw.ImageDraw, view: View, chair: Chair) -> None:
    """Paint the chair: two legs, the backrest, then the seat over their tops."""
    line = max(2, round(view.length(0.5)))
    seat_bottom = chair.seat_y - CHAIR_SEAT_THICKNESS
    for x in (chair.left + LEG_INSET, chair.right - LEG_INSET):
        _bar(draw, view, P(x - LEG_WIDTH / 2, 0.0), P(x + LEG_WIDTH / 2, seat_bottom), line)
    back = P(chair.left, seat_bottom)
    _bar(draw, view, back, P(chair.left + BACK_WIDTH, chair.back_top), line, rounded=True)
    _bar(draw, view, P(chair.left, seat_bottom), P(chair.right, chair.seat_y), line, rounded=True)


def _bar(
    draw: ImageDraw.ImageDraw,
    view: View,
    low_left: P,
    high_right: P,
    line: int,
    *,
    rounded: bool = False,
) -> None:
    """Fill one rectangle of the chair between two world corners, outlined."""
    x0, y1 = view.px(low_left)
    x1, y0 = view.px(high_right)
    radius = round(min(x1 - x0, y1 - y0) / 2) if rounded else 0
    draw.rounded_rectangle(
        (x0, y0, x1, y1), radius=radius, fill=CHAIR, outline=CHAIR_EDGE, width=line
    )
