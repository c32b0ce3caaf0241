"""Dosage wording on cards."""

from __future__ import annotations

import pytest

from content.format import format_dosage, format_duration
from content.schema import Dosage


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
def test_format_dosage(dosage: Dosage, text: str) -> None:
    """Short, readable text for each kind of dosage."""
    assert format_dosage(dosage) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(30, "30 s"), (60, "1 min"), (90, "1.5 min"), (130, "2 min 10 s")]
)
def test_format_duration(seconds: int, text: str) -> None:
    """Durations read naturally."""
    assert format_duration(seconds) == text
