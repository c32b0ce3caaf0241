"""The /progress heatmap: one cell per day, today ringed, pure in its inputs."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.pictures import heatmap_cells, render_heatmap
from bot.pictures.heatmap import CalendarWords, calendar_words
from content.schema import Library

TODAY = date(2024, 3, 14)  # a Thursday


@pytest.fixture(scope="module")
def words(library: Library) -> CalendarWords:
    """The calendar's English words."""
    return calendar_words(library)


def test_grid_has_one_cell_per_day_for_whole_weeks() -> None:
    cells = heatmap_cells({}, TODAY, weeks=8)
    assert len(cells) == 8 * 7
    assert cells[0].day.weekday() == 0, "rows start on Monday"
    assert [cell.row for cell in cells[:7]] == list(range(7))
    assert cells[-1].day == TODAY + timedelta(days=6 - TODAY.weekday())
    assert len({cell.day for cell in cells}) == 56


def test_today_is_marked_once_in_the_last_column_and_later_days_are_empty() -> None:
    cells = heatmap_cells({TODAY + timedelta(days=1): 3}, TODAY, weeks=4)
    today = [cell for cell in cells if cell.today]
    assert len(today) == 1 and today[0].column == 3 and today[0].row == TODAY.weekday()
    future = [cell for cell in cells if cell.future]
    assert len(future) == 6 - TODAY.weekday()
    assert all(cell.count == 0 and cell.level == 0 for cell in future)


def test_levels_follow_counts_and_ignore_days_outside_the_window() -> None:
    counts = {TODAY: 8, TODAY - timedelta(days=1): 2, TODAY - timedelta(days=400): 50}
    cells = {cell.day: cell for cell in heatmap_cells(counts, TODAY, weeks=8)}
    assert cells[TODAY].level == 4
    assert 0 < cells[TODAY - timedelta(days=1)].level < 4
    assert cells[TODAY - timedelta(days=2)].level == 0
    assert sum(cell.count for cell in cells.values()) == 10


@pytest.mark.parametrize("weeks", [0, 54])
def test_weeks_out_of_range_are_rejected(weeks: int) -> None:
    with pytest.raises(ValueError, match="weeks"):
        heatmap_cells({}, TODAY, weeks=weeks)


def test_heatmap_renders_and_reflects_counts(words: CalendarWords) -> None:
    empty = render_heatmap({}, TODAY, 8, words)
    busy = render_heatmap({TODAY - timedelta(days=n): n % 4 for n in range(50)}, TODAY, 8, words)
    assert empty != busy
    assert render_heatmap({TODAY: 1}, TODAY, 8, words) == render_heatmap(
        {TODAY: 1}, TODAY, 8, words
    )
    for data in (empty, busy):
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "PNG" and image.width == 1080
        assert len(data) < 1_000_000


def test_heatmap_changes_with_today_title_and_language(words: CalendarWords) -> None:
    counts = {TODAY: 2}
    base = render_heatmap(counts, TODAY, 8, words)
    assert render_heatmap(counts, TODAY + timedelta(days=1), 8, words) != base
    retitled = dataclasses.replace(words, title="Your streak")
    assert render_heatmap(counts, TODAY, 8, retitled) != base
    # Weekday and month names are the language's (Babel), whatever the words say.
    assert render_heatmap(counts, TODAY, 8, dataclasses.replace(words, language="de")) != base


def test_a_long_window_still_fits_the_width(words: CalendarWords) -> None:
    data = render_heatmap({TODAY: 1}, TODAY, 26, words)
    assert Image.open(io.BytesIO(data)).width == 1080
