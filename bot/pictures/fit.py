"""Where a picture puts its words, and the room its layout gives each of them.

The drawing code hands every line of text to Pillow as a ``TextRun``; the same runs
are measured here, so a check that the words fit (``tests/pictures/test_text_fits.py``)
reads the drawing code's own layout instead of copying its numbers. A ``TextBox`` is
one such text with the box it takes and the box it may take, in final-picture pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.pictures import style

Rect = tuple[float, float, float, float]  # left, top, right, bottom

# Measures as a drawing pen does (an RGB image's pen: the cards', the calendar's).
_PEN = ImageDraw.Draw(Image.new("RGB", (1, 1)))


@dataclass(frozen=True, slots=True)
class TextRun:
    """One line of text exactly as a picture draws it (position in the canvas's pixels)."""

    text: str
    xy: tuple[float, float]
    size: int  # the ``style.font`` size
    anchor: str
    stroke: int = 0

    def draw(
        self, pen: ImageDraw.ImageDraw, fill: style.RGB, stroke_fill: style.RGB | None = None
    ) -> None:
        """Draw the run."""
        pen.text(
            self.xy,
            self.text,
            font=style.font(self.size),
            fill=fill,
            anchor=self.anchor,
            stroke_width=self.stroke,
            stroke_fill=stroke_fill,
        )

    def bbox(self) -> Rect:
        """The pixels the run covers: its ink, stroke included."""
        left, top, right, bottom = _PEN.textbbox(
            self.xy,
            self.text,
            font=style.font(self.size),
            anchor=self.anchor,
            stroke_width=self.stroke,
        )
        return (float(left), float(top), float(right), float(bottom))


@dataclass(frozen=True, slots=True)
class TextBox:
    """A text on a picture: the box it takes and the room the layout gives it (pixels)."""

    what: str  # which text: "label of position 2", "legend: left"
    text: str
    box: Rect
    room: Rect

    @property
    def overflow(self) -> float:
        """How far the text reaches past its room on its worst side; 0 or less when it fits."""
        left, top, right, bottom = self.box
        room_left, room_top, room_right, room_bottom = self.room
        return max(room_left - left, right - room_right, room_top - top, bottom - room_bottom)


def scaled(rect: Rect, factor: float, dx: float = 0.0, dy: float = 0.0) -> Rect:
    """``rect`` moved by ``(dx, dy)`` and then divided by ``factor`` (supersampled pixels)."""
    left, top, right, bottom = rect
    return (
        (left + dx) / factor,
        (top + dy) / factor,
        (right + dx) / factor,
        (bottom + dy) / factor,
    )


def text_box(
    what: str, run: TextRun, room: Rect, factor: float = 1.0, dx: float = 0.0, dy: float = 0.0
) -> TextBox:
    """The ``TextBox`` of a run drawn at ``factor`` times the final size, offset by ``dx, dy``."""
    return TextBox(what, run.text, scaled(run.bbox(), factor, dx, dy), scaled(room, factor, dx, dy))
