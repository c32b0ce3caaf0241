"""Words a user reads: real plurals, one dose per card, one length per routine, typed text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.coach.free_text import Topic, classify
from content.loader import ContentError, load_library
from content.schema import Library
from tests.content.conftest import EditYaml

# A count in a step: "Do 10 repetitions, 3 sets", "for 5 deep breaths", "for about one minute".
DOSE_IN_STEP = re.compile(
    r"\b(?:\d+|one|two|three|four|five|ten)\s+(?:repetitions?|reps?|sets?|deep breaths?)\b"
    r"|\bsets? in total\b|\bfor about (?:one|a|\d+) minutes?\b|\bwork up to\b",
    re.IGNORECASE,
)
# A number followed by a counted word, without the {n:one|other} plural syntax.
BARE_COUNT = re.compile(
    r"\{(\w+)\}\s+(?:day|session|minute|exercise|glass|glasse|time|rep|set|breath|hour|week)s?\b"
)


def test_steps_leave_the_dose_to_the_card(library: Library) -> None:
    """The card says the dose once, as today's (and the full dose as the goal when less)."""
    for exercise in library.exercises:
        for step in exercise.steps:
            assert not DOSE_IN_STEP.search(step), (exercise.id, step)


def test_every_count_in_the_texts_has_its_plural(library: Library) -> None:
    """ "1 day", "2 days": a number before a counted word always picks its form."""
    for key, text in library.texts.items():
        assert not BARE_COUNT.search(text), (key, BARE_COUNT.findall(text))
        assert "(s)" not in text, key


@pytest.mark.parametrize(("n", "word"), [(0, "0 days"), (1, "1 day"), (2, "2 days")])
def test_streak_lines_read_as_numbers_of_days(library: Library, n: int, word: str) -> None:
    summary = library.text("session_summary", done=1, skipped=0, duration="5 min", streak=n, best=n)
    assert f"Streak: {word} · Best: {word}" in summary
    progress = library.text("progress", streak=n, best=n, week=n, water=n)
    assert f"Streak: {word} (best {n})" in progress


def test_one_exercise_one_minute(library: Library) -> None:
    intro = library.text("session_intro", title="Quick stretch", count=1, minutes=1)
    assert "1 exercise, about 1 minute." in intro
    intro = library.text("session_intro", title="Quick stretch", count=3, minutes=5)
    assert "3 exercises, about 5 minutes." in intro


def test_a_range_still_reads_as_plural(library: Library) -> None:
    """A handler passing words ("10–20") gets the plural, not a crash."""
    assert "about 10–20 minutes" in library.text("welcome_back", name="Ann", minutes="10–20")


def test_no_text_fixes_the_stretch_length(library: Library) -> None:
    """The quick stretch's length comes from its content (bot.coach.plan.stretch_minutes)."""
    for key, text in library.texts.items():
        assert not re.search(r"3\s*[–-]\s*5 min|\(3 min\)|about 5 minutes", text), key
    assert "{stretch_minutes}" in library.text("help")
    assert "{minutes}" in library.text("btn_nudge_stretch")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("my back really hurts today, should I still exercise?", Topic.PAIN),
        ("pain is bad", Topic.PAIN),
        ("hurts a lot", Topic.PAIN),
        ("my legs feel numb", Topic.SYMPTOMS),
        ("I can't pee properly since yesterday", Topic.SYMPTOMS),
        ("no pain today, thanks!", Topic.OTHER),
        ("what's the weather?", Topic.OTHER),
    ],
)
def test_the_shipped_words_sort_typed_text(library: Library, text: str, topic: Topic) -> None:
    assert classify(text, library.free_text) is topic


def _bad_phrase(data: dict[str, Any]) -> None:
    data["pain"][0] = "Flare-Up"


def _in_both(data: dict[str, Any]) -> None:
    data["pain"].append(data["symptoms"][0])


@pytest.mark.parametrize(
    ("change", "field"), [(_bad_phrase, "pain.0"), (_in_both, "")], ids=["phrase", "both"]
)
def test_broken_free_text_names_the_file(
    content_copy: Path, edit_yaml: EditYaml, change: Any, field: str
) -> None:
    edit_yaml("free_text.yaml", change)
    with pytest.raises(ContentError) as caught:
        load_library(content_copy)
    assert caught.value.file == "free_text.yaml"
    if field:
        assert field in caught.value.fields


def test_without_free_text_nothing_is_recognised(content_copy: Path) -> None:
    (content_copy / "free_text.yaml").unlink()
    assert classify("my back hurts", load_library(content_copy).free_text) is Topic.OTHER
