"""The /progress trend picture: pain and function lines, phase changes, above the calendar."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

import numpy as np
import pytest
from PIL import Image

from bot.coach.trend import PhaseMark, Point, TrendSeries, trend_series
from bot.coach.triage import Phase
from bot.pictures.heatmap import calendar_words, render_heatmap
from bot.pictures.trend import HEIGHT, PAIN, render_progress, render_trend, trend_labels
from content.loader import load_library

BASE = date(2025, 3, 3)
TODAY = BASE + timedelta(weeks=7, days=2)
LIBRARY = load_library()
LABELS = trend_labels(LIBRARY)
WORDS = calendar_words(LIBRARY, "Last 8 weeks")


def history(weeks: int, pain: int = 6) -> list[Point]:
    """A baseline and ``weeks - 1`` weekly check-ins, pain easing by a point every four weeks."""
    return [
        Point(BASE + timedelta(weeks=i), max(0, pain - i // 4), max(0, 8 - i // 3))
        for i in range(weeks)
    ]


def series(points: list[Point], marks: tuple[PhaseMark, ...] = ()) -> TrendSeries:
    built = trend_series(points, marks)
    assert built is not None
    return built


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def colour_count(image: Image.Image, hex_colour: str, tolerance: int = 24) -> int:
    """Pixels within ``tolerance`` of a colour (the lines are drawn anti-aliased)."""
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    pixels = np.asarray(image, dtype=np.int16)
    return int((np.abs(pixels - target) <= tolerance).all(axis=-1).sum())


@pytest.mark.parametrize("count", [1, 8, 60])
def test_any_history_draws_a_phone_sized_png(count: int) -> None:
    image = decode(render_trend(series(history(count)), LABELS))
    assert image.size == (1080, HEIGHT)
    assert colour_count(image, PAIN) > 200  # the pain line (or the baseline dot) is there


def test_no_check_ins_give_the_calendar_alone() -> None:
    counts = {TODAY - timedelta(days=1): 1}
    alone = render_progress(None, counts, TODAY, 8, WORDS, LABELS)
    assert alone == render_heatmap(counts, TODAY, 8, WORDS)


def test_the_trend_sits_above_the_calendar() -> None:
    counts = {TODAY: 2}
    calendar = decode(render_heatmap(counts, TODAY, 8, WORDS))
    both = decode(render_progress(series(history(8)), counts, TODAY, 8, WORDS, LABELS))
    assert both.width == calendar.width == 1080
    assert both.height > calendar.height + HEIGHT
    assert both.crop((0, both.height - calendar.height, 1080, both.height)) == calendar


def test_different_figures_draw_different_pictures_and_equal_ones_the_same() -> None:
    better = history(8)
    worse = [*better[:-1], Point(better[-1].on, 9, 9)]
    assert render_trend(series(better), LABELS) == render_trend(series(better), LABELS)
    assert render_trend(series(better), LABELS) != render_trend(series(worse), LABELS)


def test_phase_changes_are_drawn_green_up_and_orange_down() -> None:
    points = history(8)
    up = PhaseMark(BASE + timedelta(days=22), Phase.GENTLE, Phase.BUILDING)
    down = PhaseMark(BASE + timedelta(days=40), Phase.BUILDING, Phase.GENTLE)
    plain = decode(render_trend(series(points), LABELS))
    marked = decode(render_trend(series(points, (up, down)), LABELS))
    assert plain != marked
    assert colour_count(marked, "#2b8a3e") > colour_count(plain, "#2b8a3e") + 300
    assert colour_count(marked, "#e8590c", 12) > colour_count(plain, "#e8590c", 12) + 300


def test_the_labels_come_from_the_caller() -> None:
    points = series(history(3))
    retitled = dataclasses.replace(LABELS, title="Schmerz und Alltag")
    assert render_trend(points, LABELS) != render_trend(points, retitled)
    # The dates under the axis are written in the labels' language (Babel's month names).
    assert render_trend(points, LABELS) != render_trend(
        points, dataclasses.replace(LABELS, language="de")
    )


def test_missing_function_answers_leave_gaps_not_errors() -> None:
    points = [Point(BASE, 6, None), Point(BASE + timedelta(weeks=1), 5, 4), Point(TODAY, 4, None)]
    assert decode(render_trend(series(points), LABELS)).size == (1080, HEIGHT)
