"""Draw the /progress trend: pain and function over the weeks since the baseline.

Two lines on a 0..10 axis (lower is better for both), the baseline marked as a
dotted line and a hollow first point, a light line for every week (every four
on long histories), and each phase change as a vertical line labelled with the
new phase (green up, orange down). ``render_progress`` stacks the trend above
the streak heatmap in one picture, 1080 pixels wide like the heatmap.

matplotlib is imported inside the drawing function, never at module import:
the bot imports this module for its types, and the drawing itself runs in the
worker process of ``bot.pictures.worker``, so matplotlib never loads in the
bot's own process. The Figure API is used without pyplot: no global figure
state, safe in any thread. Everything depends
only on the arguments, so equal data give byte-identical pictures.
"""

from __future__ import annotations

import ctypes
import gc
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from PIL import Image

from bot.coach.trend import TrendSeries
from bot.coach.triage import Phase
from bot.pictures import style
from bot.pictures.fit import Rect, TextBox
from bot.pictures.heatmap import WIDTH, CalendarWords, draw_heatmap
from content.schema import Library

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 72  # one point is one pixel, so the sizes below read as pixels
HEIGHT = 720
PAIN = "#d9480f"
FUNCTION = "#1c7ed6"
HARDER = "#2b8a3e"
GENTLER = "#e8590c"
MAX_DATE_LABELS = 6
DATE_SIZE = 24  # the dates under the axis
DATE_GAP = 12  # the least space between two dates under the axis


@dataclass(frozen=True, slots=True)
class TrendLabels:
    """The words on the trend picture in one language (``trend_labels``): plain data, so
    the drawing worker gets it cheaply."""

    title: str
    pain: str
    function: str
    baseline: str
    scale: str
    phases: Mapping[str, str]  # phase value -> its name
    language: str  # for the month names under the axis
    date_pattern: str  # CLDR pattern of a date under the axis ("d MMM")


def trend_labels(library: Library) -> TrendLabels:
    """The trend's words from the library's texts, in its language."""
    return TrendLabels(
        title=library.text("trend_title"),
        pain=library.text("trend_pain"),
        function=library.text("trend_function"),
        baseline=library.text("trend_start"),
        scale=library.text("trend_scale"),
        phases={phase.value: library.text(f"phase_name_{phase.value}") for phase in Phase},
        language=library.language,
        date_pattern=library.text("date_day_month"),
    )


def _hex(colour: style.RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _date_label(day: date, with_year: bool, labels: TrendLabels) -> str:
    text = str(format_date(day, labels.date_pattern, locale=labels.language))
    return f"{text}\n{day.year}" if with_year else text


def _tick_weeks(span: int) -> list[int]:
    """Whole weeks that get a date label: at most ``MAX_DATE_LABELS``, evenly spaced."""
    step = max(1, math.ceil(span / (MAX_DATE_LABELS - 1)))
    if step > 2:
        step = math.ceil(step / 2) * 2  # 2, 4, 6, 8 ... reads better than 3, 5, 7
    return list(range(0, span + 1, step))


# Where the words go, in pixels from the top left (matplotlib counts from the bottom).
TEXT_LEFT = 48  # title and scale
TITLE_Y = 46
SCALE_Y = 98
LEGEND_LEFT = 40
LEGEND_Y = 146
AXES = (0.085, 0.14, 0.875, 0.6)  # left, bottom, width, height: shares of the picture


@dataclass(frozen=True, slots=True)
class _Words:
    """The text artists of one trend figure, each with the room the layout gives it."""

    fixed: list[tuple[str, Any, Rect]]  # what, artist, room (pixels from the top left)
    ticks: list[int]  # the weeks with a date under the axis


def _figure(series: TrendSeries, labels: TrendLabels) -> tuple[Figure, Any, _Words]:
    """Build the trend's figure (not drawn yet), its axes and its words."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    ink, muted, edge = _hex(style.INK), _hex(style.MUTED), _hex(style.PANEL_EDGE)
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=_hex(style.PANEL))
    axes = figure.add_axes(AXES)
    span = series.span
    whole: Rect = (0, 0, WIDTH, HEIGHT)
    fixed: list[tuple[str, Any, Rect]] = []

    # Week markers, then the phase changes, under the data.
    every = 1 if span <= 26 else 4
    for week in range(0, span + 1, every):
        axes.axvline(week, color=edge, linewidth=1.5, zorder=0)
    for index, (x, mark) in enumerate(series.marks):
        colour = HARDER if mark.harder else GENTLER
        axes.axvline(x, color=colour, linewidth=3, linestyle=(0, (6, 4)), zorder=1)
        name = labels.phases.get(mark.to_phase.value, mark.to_phase.value)
        arrow = "▲" if mark.harder else "▼"
        left = x <= 0.7 * span  # labels near the right edge grow leftwards
        phase = axes.annotate(
            f"{arrow} {name}",
            xy=(x, 10.4 + 0.9 * (index % 2)),
            xytext=(6 if left else -6, 0),
            textcoords="offset points",
            fontsize=22,
            color=colour,
            fontweight="bold",
            va="center",
            ha="left" if left else "right",
            annotation_clip=False,
        )
        fixed.append((f"phase change {index + 1}", phase, whole))

    # The baseline: a dotted line at its pain, and hollow first points.
    axes.axhline(series.baseline_pain, color=PAIN, linewidth=2, linestyle=":", alpha=0.8)
    weeks = list(series.weeks)
    axes.plot(weeks, list(series.pain), color=PAIN, linewidth=5, zorder=3, solid_capstyle="round")
    axes.scatter(weeks[1:], list(series.pain)[1:], s=110, color=PAIN, zorder=4)
    function = [(x, y) for x, y in zip(weeks, series.function, strict=True) if y is not None]
    if function:
        axes.plot(
            [x for x, _ in function],
            [y for _, y in function],
            color=FUNCTION,
            linewidth=4,
            linestyle=(0, (8, 4)),
            zorder=3,
        )
        later = [(x, y) for x, y in function if x > 0]
        axes.scatter([x for x, _ in later], [y for _, y in later], s=90, color=FUNCTION, zorder=4)
    for value, colour in ((series.baseline_function, FUNCTION), (series.baseline_pain, PAIN)):
        if value is not None:
            axes.scatter([0], [value], s=260, facecolor="white", edgecolor=colour, lw=4, zorder=5)
    plot_x = (AXES[0] * WIDTH, 0.0, (AXES[0] + AXES[2]) * WIDTH, HEIGHT)
    baseline = axes.annotate(
        labels.baseline,
        xy=(0, series.baseline_pain),
        xytext=(14, 14 if series.baseline_pain < 9 else -26),
        textcoords="offset points",
        fontsize=22,
        color=PAIN,
        va="center",
    )
    fixed.append(("baseline", baseline, plot_x))

    axes.set_ylim(-0.4, 10.4)
    axes.set_yticks(range(0, 11, 2))
    axes.set_xlim(-0.35, span + 0.35)
    ticks = _tick_weeks(span)
    starts = [series.start + timedelta(weeks=week) for week in ticks]
    axes.set_xticks(
        ticks,
        [
            _date_label(day, i == 0 or day.year != starts[i - 1].year, labels)
            for i, day in enumerate(starts)
        ],
    )
    axes.tick_params(labelsize=DATE_SIZE, colors=muted, length=0, pad=10)
    _keep_dates_inside(axes, ticks)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(edge)
    axes.spines["bottom"].set_linewidth(2)
    axes.grid(axis="y", color=edge, linewidth=1)
    axes.set_axisbelow(True)

    title = figure.text(
        TEXT_LEFT / WIDTH, 1 - TITLE_Y / HEIGHT, labels.title, fontsize=40, color=ink, va="center"
    )
    scale = figure.text(
        TEXT_LEFT / WIDTH,
        1 - SCALE_Y / HEIGHT,
        labels.scale,
        fontsize=24,
        color=muted,
        va="center",
    )
    between = (TITLE_Y + SCALE_Y) / 2, (SCALE_Y + LEGEND_Y) / 2
    fixed.append(("title", title, (TEXT_LEFT, 0, WIDTH - TEXT_LEFT, between[0])))
    fixed.append(("scale", scale, (TEXT_LEFT, between[0], WIDTH - TEXT_LEFT, between[1])))
    handles = [
        Line2D([], [], color=PAIN, linewidth=5, marker="o", markersize=11),
        Line2D([], [], color=FUNCTION, linewidth=4, linestyle=(0, (8, 4)), marker="o"),
    ]
    legend = figure.legend(
        handles,
        [labels.pain, labels.function],
        loc="center left",
        bbox_to_anchor=(LEGEND_LEFT / WIDTH, 1 - LEGEND_Y / HEIGHT),
        ncols=2,
        fontsize=24,
        frameon=False,
        handlelength=2.4,
        columnspacing=1.6,
        labelcolor=ink,
    )
    plot_top = (1 - AXES[1] - AXES[3]) * HEIGHT
    for name, text in zip(("pain", "function"), legend.get_texts(), strict=True):
        fixed.append(
            (f"legend: {name}", text, (LEGEND_LEFT, between[1], WIDTH - LEGEND_LEFT, plot_top))
        )
    return figure, axes, _Words(fixed, ticks)


def _keep_dates_inside(axes: Any, ticks: list[int]) -> None:
    """A date at either end that would run off the picture ends (or starts) at its tick.

    Dates are centred on their week; a long one (another language's month names) at the
    last week would be cut by the picture's right edge.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure, font = TextToPath(), FontProperties(size=DATE_SIZE)
    texts = axes.get_xticklabels()
    for index, align, beyond in ((0, "left", 0.0), (len(ticks) - 1, "right", float(WIDTH))):
        label = texts[index]
        width = max(
            measure.get_text_width_height_descent(line, font, ismath=False)[0]
            for line in label.get_text().split("\n")
        )
        x = float(axes.transData.transform((ticks[index], 0))[0])
        if (x - width / 2 < beyond) if align == "left" else (x + width / 2 > beyond):
            label.set_horizontalalignment(align)


def draw_trend(series: TrendSeries, labels: TrendLabels) -> Image.Image:
    """Return the trend as an RGB image ``WIDTH`` by ``HEIGHT`` pixels."""
    figure, _, _ = _figure(series, labels)
    raw = io.BytesIO()
    figure.savefig(raw, format="rgba", dpi=DPI)  # Agg's raw pixels, no PNG round trip
    return Image.frombytes("RGBA", (WIDTH, HEIGHT), raw.getvalue()).convert("RGB")


def trend_text_boxes(series: TrendSeries, labels: TrendLabels) -> list[TextBox]:
    """Every text the trend draws, with the room its layout gives it (picture pixels).

    The title, the scale, the legend, the phase-change labels (inside the picture), the
    baseline's label (over the plot's width) and each date under the axis (inside the
    picture, ``DATE_GAP`` clear of the dates either side).
    """
    figure, axes, words = _figure(series, labels)
    figure.draw_without_rendering()  # lays every text out, as drawing it would

    def box(artist: Any) -> Rect:
        extent = artist.get_window_extent()
        return (extent.x0, HEIGHT - extent.y1, extent.x1, HEIGHT - extent.y0)

    found = [
        TextBox(what, artist.get_text(), box(artist), room) for what, artist, room in words.fixed
    ]
    dates = [(label.get_text(), box(label)) for label in axes.get_xticklabels()]
    plot_bottom = (1 - AXES[1]) * HEIGHT
    for index, (text, taken) in enumerate(dates):
        left = dates[index - 1][1][2] + DATE_GAP if index else 0.0
        right = dates[index + 1][1][0] - DATE_GAP if index + 1 < len(dates) else float(WIDTH)
        room = (left, plot_bottom, right, float(HEIGHT))
        found.append(TextBox(f"date {index + 1} under the axis", text, taken, room))
    release_memory()
    return found


def render_trend(series: TrendSeries, labels: TrendLabels) -> bytes:
    """Return the trend alone as PNG bytes."""
    png = _png(draw_trend(series, labels))
    release_memory()
    return png


def render_progress(
    series: TrendSeries | None,
    counts: Mapping[date, int],
    today: date,
    weeks: int,
    calendar_words: CalendarWords,
    labels: TrendLabels,
) -> bytes:
    """Return the /progress picture: the trend (when there is one) above the heatmap."""
    calendar = draw_heatmap(counts, today, weeks, calendar_words)
    if series is None:
        return _png(calendar)
    trend = draw_trend(series, labels)
    gap = 8
    sheet = Image.new("RGB", (WIDTH, trend.height + gap + calendar.height), style.PANEL_EDGE)
    sheet.paste(trend, (0, 0))
    sheet.paste(calendar, (0, trend.height + gap))
    png = _png(sheet)
    del trend, calendar, sheet
    release_memory()
    return png


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where there is none (musl, macOS)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Hand the heap freed by a draw back to the OS.

    glibc keeps freed memory in its arenas: without this the process grew by about
    45 MB over the first 20 trend pictures and stayed there (Python's own objects grew
    by under 0.2 MB; see bench/progress_picture.py). Collect and trim take a few ms.
    """
    trim = _malloc_trim()
    if trim is not None:
        # A Figure is a web of cycles, freed only by the collector. Its objects are young:
        # collecting the two young generations frees it in ~1 ms (a full collect in the
        # bot's process took ~100 ms, holding the GIL).
        gc.collect(1)
        trim(0)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
