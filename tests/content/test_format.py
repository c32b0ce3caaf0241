"""Dosage wording on cards."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from content.format import format_dosage, format_duration, weekday_names
from content.schema import Dosage, Library


@pytest.mark.parametrize(
    ("dosage", "text"),
    [
        (Dosage(sets=3, reps=10, hold_seconds=3), "3 sets × 10 reps, hold 3 s"),
        (Dosage(hold_breaths=5), "5 deep breaths"),
        (Dosage(duration_seconds=60, per_side=True), "about 1 min per side"),
        (Dosage(reps=1), "1 rep"),
        (Dosage(reps=10, hold_breaths=1), "10 reps, hold 1 breath"),
        (Dosage(sets=2, reps=6, per_side=True), "2 sets × 6 reps per side"),
        (Dosage(hold_seconds=20), "hold 20 s"),
        (Dosage(sets=3, duration_seconds=45), "3 sets × about 45 s"),
    ],
)
def test_format_dosage(library: Library, dosage: Dosage, text: str) -> None:
    """Short, readable text for each kind of dosage."""
    assert format_dosage(dosage, library) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(30, "30 s"), (60, "1 min"), (90, "1.5 min"), (130, "2 min 10 s")]
)
def test_format_duration(library: Library, seconds: int, text: str) -> None:
    """Durations read naturally."""
    assert format_duration(seconds, library) == text


def test_numbers_and_words_follow_the_library(library: Library) -> None:
    """A decimal is written as the language writes it; every word is the library's."""
    german = dataclasses.replace(library, language="de")
    assert format_duration(90, german) == "1,5 min"
    texts = dict(library.texts, dose_reps="{reps} {reps:Wiederholung|Wiederholungen}")
    assert format_dosage(Dosage(reps=1), dataclasses.replace(library, texts=texts)) == (
        "1 Wiederholung"
    )
    assert format_dosage(Dosage(reps=10), dataclasses.replace(library, texts=texts)) == (
        "10 Wiederholungen"
    )


def test_a_short_date_and_weekdays_are_the_languages(library: Library) -> None:
    day = date(2025, 3, 3)
    assert library.day_month(day) == "3 Mar"
    assert library.day_month(day, long=True) == "3 March"
    assert weekday_names(library) == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    german = dataclasses.replace(
        library, language="de", texts=dict(library.texts, date_day_month="d. MMM")
    )
    assert german.day_month(day) == "3. März"
    assert weekday_names(german)[0] == "Mo."
