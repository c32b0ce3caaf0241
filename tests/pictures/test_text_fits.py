"""Every word drawn on a picture fits the room its layout gives it, in every language.

Each library ``content.loader.load_libraries`` returns is checked (English, and every
catalog language as it arrives): the exercise cards (name, chips, position labels as
wrapped and shrunk, callouts, legend), the animations (name, step labels), the /progress
calendar (title, summary, weekday and week labels, legend) and the trend (title, scale,
legend, phase changes, baseline, dates). The boxes come from the drawing modules
(``*_text_boxes``): the same fonts, sizes and layout as the pictures, measured with
Pillow (matplotlib for the trend), so nothing here copies a layout number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pytest

from bot.coach.trend import PhaseMark, Point, TrendSeries, trend_series
from bot.coach.triage import Phase
from bot.handlers.progress import WEEKS
from bot.pictures.animation import animation_text_boxes
from bot.pictures.card import card_text_boxes
from bot.pictures.fit import TextBox
from bot.pictures.heatmap import calendar_words, heatmap_text_boxes
from bot.pictures.trend import trend_labels, trend_text_boxes
from content.loader import load_libraries
from content.poses import PoseSet, load_pose_sets
from content.schema import Library

LIBRARIES = load_libraries()
# Half a pixel for anti-aliasing: a box is measured in whole pixels of the big canvas.
SLACK = 0.5


def _overflows(picture: str, language: str, boxes: Iterable[TextBox]) -> list[str]:
    """One line per text that leaves its room, naming the language, text and pixels."""
    return [
        f"{language}: {picture}: {box.what} {box.text!r} overflows by {box.overflow:.1f} px"
        for box in boxes
        if box.overflow > SLACK
    ]


def _assert_fits(problems: list[str]) -> None:
    assert not problems, "text overflows its room:\n" + "\n".join(problems)


@pytest.fixture(scope="module", params=sorted(LIBRARIES), ids=str)
def library(request: pytest.FixtureRequest) -> Library:
    """One language's library (this module checks each, not only the English one)."""
    return LIBRARIES[request.param]


@pytest.fixture(scope="module")
def poses(library: Library) -> dict[str, PoseSet]:
    """The pose files with their labels and callouts in the library's language."""
    return load_pose_sets(language=library.language)


def test_the_languages_are_all_checked() -> None:
    assert "en" in LIBRARIES
    assert all(library.language == code for code, library in LIBRARIES.items())


def test_card_words_fit(library: Library, poses: dict[str, PoseSet]) -> None:
    problems: list[str] = []
    for exercise in library.exercises:
        boxes = card_text_boxes(exercise, poses[exercise.id], library)
        assert any(box.what == "name" for box in boxes)
        problems += _overflows(f"card {exercise.id!r}", library.language, boxes)
    _assert_fits(problems)


def test_every_card_text_is_measured(library: Library, poses: dict[str, PoseSet]) -> None:
    """The measured boxes are the texts the card draws: labels, callouts, chips, legend."""
    for exercise in library.exercises:
        pose_set = poses[exercise.id]
        boxes = card_text_boxes(exercise, pose_set, library)
        labels = [box for box in boxes if box.what.startswith("label of position")]
        assert {box.what.split(",")[0] for box in labels} == {
            f"label of position {n}" for n in range(1, len(pose_set.frames) + 1)
        }, exercise.id
        notes = sum(len(frame.notes) for frame in pose_set.frames)
        assert sum(box.what.startswith("note at") for box in boxes) == notes, exercise.id
        assert sum(box.what == "header chip" for box in boxes) >= 2, exercise.id
        assert any(box.what.startswith("legend: ") for box in boxes), exercise.id


def test_animation_words_fit(library: Library, poses: dict[str, PoseSet]) -> None:
    problems: list[str] = []
    for exercise in library.exercises:
        if poses[exercise.id].animate:
            boxes = animation_text_boxes(exercise, poses[exercise.id])
            problems += _overflows(f"animation {exercise.id!r}", library.language, boxes)
    _assert_fits(problems)


def _todays() -> list[date]:
    """A day in every week of a year: every month's name shows under some week."""
    first = date(2025, 1, 1)
    return [first + timedelta(days=days) for days in range(0, 366, 7)]


@pytest.mark.parametrize("sessions", [1, 9], ids=["one session", "busy"])
def test_calendar_words_fit(library: Library, sessions: int) -> None:
    words = calendar_words(library)
    problems: list[str] = []
    for today in _todays():
        if sessions == 1:
            counts = {today: 1}
        else:
            counts = {today - timedelta(days=n): sessions for n in range(WEEKS * 7)}
        boxes = heatmap_text_boxes(counts, today, WEEKS, words)
        assert {"title", "summary", "legend: today", "legend: less", "legend: more"} <= {
            box.what for box in boxes
        }
        problems += _overflows(f"calendar to {today}", library.language, boxes)
    _assert_fits(sorted(set(problems)))


def _series(weeks: int, start: date, marks: bool) -> TrendSeries:
    """A baseline and ``weeks`` weekly check-ins from ``start``, with phase changes."""
    points = [Point(start + timedelta(weeks=n), 9 - n % 10, n % 11) for n in range(weeks + 1)]
    changes: tuple[PhaseMark, ...] = ()
    if marks:
        at = [start + timedelta(weeks=round(weeks * share)) for share in (0.2, 0.5, 0.9)]
        changes = (
            PhaseMark(at[0], Phase.GENTLE, Phase.BUILDING),
            PhaseMark(at[1], Phase.BUILDING, Phase.STRENGTHENING),
            PhaseMark(at[2], Phase.STRENGTHENING, Phase.GENTLE),
        )
    built = trend_series(points, changes)
    assert built is not None
    return built


@pytest.mark.parametrize("weeks", [1, 5, 12, 30, 60])
def test_trend_words_fit(library: Library, weeks: int) -> None:
    labels = trend_labels(library)
    problems: list[str] = []
    for month in range(1, 13):
        start = date(2024, month, 28)
        boxes = trend_text_boxes(_series(weeks, start, marks=weeks > 1), labels)
        assert {"title", "scale", "baseline", "legend: pain", "legend: function"} <= {
            box.what for box in boxes
        }
        problems += _overflows(f"trend of {weeks} weeks from {start}", library.language, boxes)
    _assert_fits(sorted(set(problems)))


def test_an_overflow_names_language_text_and_pixels() -> None:
    wide = TextBox("legend: left", "linke Körperseite", (10, 0, 130, 20), (0, 0, 100, 20))
    assert _overflows("card 'bird_dog'", "de", [wide]) == [
        "de: card 'bird_dog': legend: left 'linke Körperseite' overflows by 30.0 px"
    ]
    assert wide.overflow == 30
    assert TextBox("x", "x", (0, 0, 10, 10), (0, 0, 10, 10)).overflow == 0
