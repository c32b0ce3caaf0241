"""Card captions: every exercise at every level fits Telegram's caption limit, in valid HTML."""

from __future__ import annotations

import re

import pytest

from bot.cards import CAPTION_LIMIT, render_caption
from bot.coach.plan import apply_level
from content.loader import load_library

LIBRARY = load_library()


@pytest.mark.parametrize("exercise", LIBRARY.exercises, ids=lambda e: e.id)
@pytest.mark.parametrize("level", [-2, 0, 3])
def test_caption_fits_and_names_what_matters(exercise: object, level: int) -> None:
    from content.schema import Exercise

    assert isinstance(exercise, Exercise)
    dosage = apply_level(exercise.dosage, level)
    caption = render_caption(LIBRARY, exercise, dosage=dosage, position=3, total=6, slow=True)
    visible = re.sub(r"<[^>]+>", "", caption.text)
    assert len(visible) <= CAPTION_LIMIT
    assert exercise.name in visible
    assert "Card 3 of 6" in visible
    assert "Today:" in visible
    if caption.steps_message is None:
        assert f"1. {exercise.steps[0][:20]}" in visible
    assert "&" not in visible.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
