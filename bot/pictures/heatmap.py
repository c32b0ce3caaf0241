"""Draw the /progress calendar: the last weeks as a GitHub-style heatmap.

Each day shows how many sessions counted that day (the numbers /progress adds up
for "this week"), and the line under the title sums them up.

Rows are Monday to Sunday, columns are weeks with the current week on the
right. ``today`` is always passed in, so the picture depends only on its
arguments and tests can draw any day they like.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date, get_day_names
from PIL import Image, ImageDraw

from bot.pictures import style
from bot.pictures.fit import Rect, TextBox, TextRun, scaled
from content.plurals import formatter_for
from content.schema import Library

WIDTH = 1080
SS = 2
LEVELS: tuple[style.RGB, ...] = (
    (235, 237, 240),
    (198, 228, 139),
    (123, 201, 111),
    (35, 154, 59),
    (25, 97, 39),
)
MAX_WEEKS = 53
MARGIN = 48
LABEL_W = 96  # the weekday names left of the grid
TOP_H = 150  # title and summary
WEEK_H = 48  # the week labels above the grid
LEGEND_H = 110
TITLE_Y = 46
SUMMARY_Y = 104
LEGEND_GAP = 14  # between a legend word and its swatches
SWATCH = 30


@dataclass(frozen=True, slots=True)
class CalendarWords:
    """The calendar's words in one language: plain data, so the drawing worker gets it cheaply.

    ``summary`` is the texts pattern (``{total}``, ``{active}``, ``{weeks}``, with plural
    forms), filled in by the drawing; ``date_pattern`` the CLDR pattern of a week's label.
    """

    language: str
    title: str
    summary: str
    today: str
    less: str
    more: str
    date_pattern: str


def calendar_words(library: Library, title: str | None = None) -> CalendarWords:
    """The calendar's words from the library (``heatmap_title`` unless ``title`` is given)."""
    return CalendarWords(
        language=library.language,
        title=library.text("heatmap_title") if title is None else title,
        summary=library.text("picture_heatmap_summary"),  # filled in when drawn
        today=library.text("picture_heatmap_today"),
        less=library.text("picture_heatmap_less"),
        more=library.text("picture_heatmap_more"),
        date_pattern=library.text("date_day_month"),
    )


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One day of the grid."""

    day: date
    count: int
    level: int  # 0 (nothing) to 4 (the busiest days)
    column: int  # week, 0 = oldest
    row: int  # 0 = Monday
    future: bool  # later this week: drawn empty
    today: bool


def level_for(count: int, peak: int) -> int:
    """Return the colour step of a day, scaled so the busiest days are darkest."""
    if count <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * count / max(peak, 4))))


def heatmap_cells(counts: Mapping[date, int], today: date, weeks: int = 8) -> list[HeatCell]:
    """Return every cell of the grid, oldest week first, Monday first within a week."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}, not {weeks}")
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    days = [first + timedelta(days=offset) for offset in range(weeks * 7)]
    peak = max((counts.get(day, 0) for day in days if day <= today), default=0)
    cells = []
    for offset, day in enumerate(days):
        count = counts.get(day, 0) if day <= today else 0
        cells.append(
            HeatCell(
                day=day,
                count=count,
                level=level_for(count, peak),
                column=offset // 7,
                row=offset % 7,
                future=day > today,
                today=day == today,
            )
        )
    return cells


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where the calendar's parts go for a number of weeks (pixels of the final picture)."""

    weeks: int
    cell: int
    gap: int
    left: int  # the grid's left edge: the grid is centred right of the weekday names

    @property
    def top(self) -> int:
        return TOP_H + WEEK_H

    @property
    def bottom(self) -> int:
        return self.top + 7 * self.cell + 6 * self.gap

    @property
    def height(self) -> int:
        return self.bottom + LEGEND_H

    @property
    def legend_y(self) -> int:
        return self.bottom + 58

    @property
    def every(self) -> int:
        """Label every this many weeks, so labels do not collide."""
        return max(1, math.ceil(72 / (self.cell + self.gap)))


def _grid(weeks: int) -> _Grid:
    gap = 10 if weeks <= 12 else 6
    cell = min(104, (WIDTH - 2 * MARGIN - LABEL_W - gap * (weeks - 1)) // weeks)
    grid_w = weeks * cell + (weeks - 1) * gap
    return _Grid(weeks, cell, gap, MARGIN + LABEL_W + (WIDTH - 2 * MARGIN - LABEL_W - grid_w) // 2)


def _px(value: float) -> int:
    return round(value * SS)


@dataclass(frozen=True, slots=True)
class _Word:
    """A text on the calendar, and the room the layout gives it (twice-size pixels)."""

    what: str
    run: TextRun
    room: Rect


def _legend_x(pen: ImageDraw.ImageDraw, words: CalendarWords) -> float:
    """Where the colour swatches start: "More" after them ends at the right margin."""
    more_w = pen.textlength(words.more, font=style.font(_px(26))) / SS
    return WIDTH - MARGIN - more_w - 5 * (SWATCH + 6) - LEGEND_GAP


def _words(
    pen: ImageDraw.ImageDraw, cells: list[HeatCell], grid: _Grid, words: CalendarWords
) -> dict[str, _Word]:
    """Every text the calendar draws, by role: title, summary, day:<row>, week:<column>,
    today, less, more."""
    found: dict[str, _Word] = {}
    right = _px(WIDTH - MARGIN)
    middle = _px((TITLE_Y + SUMMARY_Y) / 2)
    title = TextRun(style.safe(words.title), (_px(MARGIN), _px(TITLE_Y)), _px(46), "lm", SS // 2)
    found["title"] = _Word("title", title, (_px(MARGIN), 0, right, middle))
    active = sum(1 for item in cells if item.count > 0)
    total = sum(item.count for item in cells)
    summary = formatter_for(words.language).format(
        words.summary, total=total, active=active, weeks=grid.weeks
    )
    run = TextRun(summary, (_px(MARGIN), _px(SUMMARY_Y)), _px(30), "lm")
    found["summary"] = _Word("summary", run, (_px(MARGIN), middle, right, _px(TOP_H)))
    pitch = grid.cell + grid.gap
    names = get_day_names("abbreviated", locale=words.language)
    for row in range(7):
        y = grid.top + row * pitch + grid.cell / 2
        run = TextRun(str(names[row]), (_px(MARGIN), _px(y)), _px(26), "lm")
        top, bottom = _px(y - pitch / 2), _px(y + pitch / 2)
        room: Rect = (_px(MARGIN), top, _px(grid.left - grid.gap), bottom)
        found[f"day:{row}"] = _Word(f"weekday {row + 1}", run, room)
    size = _px(24 if grid.cell >= 80 else 20)
    half = (grid.every * pitch - grid.gap) / 2
    for column in range(grid.weeks):
        if (grid.weeks - 1 - column) % grid.every:
            continue
        monday = cells[column * 7].day
        x = grid.left + column * pitch + grid.cell / 2
        label = str(format_date(monday, words.date_pattern, locale=words.language))
        run = TextRun(label, (_px(x), _px(grid.top - 16)), size, "ms")
        left, right_ = max(MARGIN, x - half), min(WIDTH - MARGIN, x + half)
        room = (_px(left), _px(TOP_H), _px(right_), _px(grid.top))
        found[f"week:{column}"] = _Word(f"week of {monday.isoformat()}", run, room)
    small = _px(26)
    y = grid.legend_y
    x = _legend_x(pen, words)
    less_w = pen.textlength(words.less, font=style.font(small)) / SS
    less = TextRun(words.less, (_px(x - LEGEND_GAP - less_w), _px(y)), small, "lm")
    band = (_px(grid.bottom), _px(grid.height))
    found["less"] = _Word("legend: less", less, (_px(MARGIN), band[0], _px(x), band[1]))
    today = TextRun(words.today, (_px(MARGIN + 46), _px(y)), small, "lm")
    room = (_px(MARGIN + 46), band[0], less.xy[0] - _px(LEGEND_GAP), band[1])
    found["today"] = _Word("legend: today", today, room)
    end = x + 5 * (SWATCH + 6)
    more = TextRun(words.more, (_px(end + 8), _px(y)), small, "lm")
    found["more"] = _Word("legend: more", more, (_px(end), band[0], right, band[1]))
    return found


def render_heatmap(
    counts: Mapping[date, int], today: date, weeks: int, words: CalendarWords
) -> bytes:
    """Return the heatmap as PNG bytes: one cell per day, today ringed, with a legend."""
    final = draw_heatmap(counts, today, weeks, words)
    buffer = io.BytesIO()
    # optimize=True took 60 of the 105 ms per picture for 5 % fewer bytes.
    final.save(buffer, format="PNG")
    return buffer.getvalue()


def draw_heatmap(
    counts: Mapping[date, int], today: date, weeks: int, words: CalendarWords
) -> Image.Image:
    """Return the heatmap as an RGB image ``WIDTH`` wide (the /progress picture stacks it)."""
    cells = heatmap_cells(counts, today, weeks)
    grid = _grid(weeks)
    cell, gap, left, grid_top = grid.cell, grid.gap, grid.left, grid.top
    height = grid.height
    image = Image.new("RGB", (WIDTH * SS, height * SS), style.PANEL)
    pen = ImageDraw.Draw(image)
    px = _px
    placed = _words(pen, cells, grid, words)
    placed["title"].run.draw(pen, style.INK, style.INK)
    placed["summary"].run.draw(pen, style.MUTED)
    for role, word in placed.items():
        if role.startswith(("day:", "week:")):
            word.run.draw(pen, style.MUTED)

    number_font = style.font(px(max(18, cell // 3)))
    radius = px(max(4, cell // 7))
    today_cell: HeatCell | None = None
    for item in cells:
        x0 = left + item.column * (cell + gap)
        y0 = grid_top + item.row * (cell + gap)
        box = (px(x0), px(y0), px(x0 + cell), px(y0 + cell))
        if item.future:
            pen.rounded_rectangle(box, radius=radius, outline=LEVELS[0], width=px(2))
            continue
        pen.rounded_rectangle(box, radius=radius, fill=LEVELS[item.level])
        if item.count and cell >= 56:
            ink = (255, 255, 255) if item.level >= 3 else style.INK
            pen.text(
                (px(x0 + cell / 2), px(y0 + cell / 2)),
                str(item.count),
                font=number_font,
                fill=ink,
                anchor="mm",
            )
        if item.today:
            today_cell = item
            ring = (box[0] - px(5), box[1] - px(5), box[2] + px(5), box[3] + px(5))
            pen.rounded_rectangle(ring, radius=radius + px(4), outline=style.ACCENT, width=px(5))

    legend_y = grid.legend_y
    if today_cell is not None:
        pen.rounded_rectangle(
            (px(MARGIN), px(legend_y - 16), px(MARGIN + 32), px(legend_y + 16)),
            radius=px(7),
            outline=style.ACCENT,
            width=px(5),
        )
        placed["today"].run.draw(pen, style.MUTED)
    size = SWATCH
    x = _legend_x(pen, words)
    placed["less"].run.draw(pen, style.MUTED)
    for colour in LEVELS:
        pen.rounded_rectangle(
            (px(x), px(legend_y - size / 2), px(x + size), px(legend_y + size / 2)),
            radius=px(6),
            fill=colour,
        )
        x += size + 6
    placed["more"].run.draw(pen, style.MUTED)

    return image.resize((WIDTH, height), Image.Resampling.LANCZOS)


def heatmap_text_boxes(
    counts: Mapping[date, int], today: date, weeks: int, words: CalendarWords
) -> list[TextBox]:
    """Every text the calendar draws, with the room its layout gives it (picture pixels)."""
    cells = heatmap_cells(counts, today, weeks)
    pen = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    return [
        TextBox(word.what, word.run.text, scaled(word.run.bbox(), SS), scaled(word.room, SS))
        for word in _words(pen, cells, _grid(weeks), words).values()
    ]
