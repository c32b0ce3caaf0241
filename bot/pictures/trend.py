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
from typing import Any

from PIL import Image

from bot.coach.trend import TrendSeries
from bot.pictures import style
from bot.pictures.heatmap import MONTHS, WIDTH, draw_heatmap

DPI = 72  # one point is one pixel, so the sizes below read as pixels
HEIGHT = 720
PAIN = "#d9480f"
FUNCTION = "#1c7ed6"
HARDER = "#2b8a3e"
GENTLER = "#e8590c"
MAX_DATE_LABELS = 6


@dataclass(frozen=True, slots=True)
class TrendLabels:
    """The words on the trend picture (from content/texts.yaml in the bot)."""

    title: str = "Pain and function"
    pain: str = "Pain"
    function: str = "Back limited activities"
    baseline: str = "start"
    scale: str = "0 = none, 10 = worst · lower is better"
    phases: Mapping[str, str] | None = None  # phase value -> its name; the value itself if absent


def _hex(colour: style.RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _date_label(day: date, with_year: bool) -> str:
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text}\n{day.year}" if with_year else text


def _tick_weeks(span: int) -> list[int]:
    """Whole weeks that get a date label: at most ``MAX_DATE_LABELS``, evenly spaced."""
    step = max(1, math.ceil(span / (MAX_DATE_LABELS - 1)))
    if step > 2:
        step = math.ceil(step / 2) * 2  # 2, 4, 6, 8 ... reads better than 3, 5, 7
    return list(range(0, span + 1, step))


def draw_trend(series: TrendSeries, labels: TrendLabels | None = None) -> Image.Image:
    """Return the trend as an RGB image ``WIDTH`` by ``HEIGHT`` pixels."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    labels = labels or TrendLabels()
    ink, muted, edge = _hex(style.INK), _hex(style.MUTED), _hex(style.PANEL_EDGE)
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=_hex(style.PANEL))
    axes = figure.add_axes((0.085, 0.14, 0.875, 0.6))
    span = series.span

    # Week markers, then the phase changes, under the data.
    every = 1 if span <= 26 else 4
    for week in range(0, span + 1, every):
        axes.axvline(week, color=edge, linewidth=1.5, zorder=0)
    for index, (x, mark) in enumerate(series.marks):
        colour = HARDER if mark.harder else GENTLER
        axes.axvline(x, color=colour, linewidth=3, linestyle=(0, (6, 4)), zorder=1)
        name = (labels.phases or {}).get(mark.to_phase.value, mark.to_phase.value)
        arrow = "▲" if mark.harder else "▼"
        left = x <= 0.7 * span  # labels near the right edge grow leftwards
        axes.annotate(
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
    axes.annotate(
        labels.baseline,
        xy=(0, series.baseline_pain),
        xytext=(14, 14 if series.baseline_pain < 9 else -26),
        textcoords="offset points",
        fontsize=22,
        color=PAIN,
        va="center",
    )

    axes.set_ylim(-0.4, 10.4)
    axes.set_yticks(range(0, 11, 2))
    axes.set_xlim(-0.35, span + 0.35)
    ticks = _tick_weeks(span)
    starts = [series.start + timedelta(weeks=week) for week in ticks]
    axes.set_xticks(
        ticks,
        [
            _date_label(day, i == 0 or day.year != starts[i - 1].year)
            for i, day in enumerate(starts)
        ],
    )
    axes.tick_params(labelsize=24, colors=muted, length=0, pad=10)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(edge)
    axes.spines["bottom"].set_linewidth(2)
    axes.grid(axis="y", color=edge, linewidth=1)
    axes.set_axisbelow(True)

    figure.text(48 / WIDTH, 1 - 46 / HEIGHT, labels.title, fontsize=40, color=ink, va="center")
    figure.text(
        48 / WIDTH,
        1 - 98 / HEIGHT,
        labels.scale,
        fontsize=24,
        color=muted,
        va="center",
    )
    handles = [
        Line2D([], [], color=PAIN, linewidth=5, marker="o", markersize=11),
        Line2D([], [], color=FUNCTION, linewidth=4, linestyle=(0, (8, 4)), marker="o"),
    ]
    figure.legend(
        handles,
        [labels.pain, labels.function],
        loc="center left",
        bbox_to_anchor=(40 / WIDTH, 1 - 146 / HEIGHT),
        ncols=2,
        fontsize=24,
        frameon=False,
        handlelength=2.4,
        columnspacing=1.6,
        labelcolor=ink,
    )
    raw = io.BytesIO()
    figure.savefig(raw, format="rgba", dpi=DPI)  # Agg's raw pixels, no PNG round trip
    return Image.frombytes("RGBA", (WIDTH, HEIGHT), raw.getvalue()).convert("RGB")


def render_trend(series: TrendSeries, labels: TrendLabels | None = None) -> bytes:
    """Return the trend alone as PNG bytes."""
    png = _png(draw_trend(series, labels))
    release_memory()
    return png


def render_progress(
    series: TrendSeries | None,
    counts: Mapping[date, int],
    today: date,
    weeks: int = 8,
    heatmap_title: str = "Your last weeks",
    labels: TrendLabels | None = None,
) -> bytes:
    """Return the /progress picture: the trend (when there is one) above the heatmap."""
    calendar = draw_heatmap(counts, today, weeks, heatmap_title)
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
