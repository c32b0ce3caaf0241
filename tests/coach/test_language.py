"""Which language a user is answered in: a stored choice, Telegram's, or English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coach.language import FALLBACK, choose_language, primary_subtag
from tests.coach.library import FAST

BOTH = ("en", "de")


@pytest.mark.parametrize(
    ("telegram_code", "expected"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("de-CH", "de"),
        ("DE_at", "de"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
        ("-", "en"),
        ("deu", "en"),
    ],
)
def test_telegram_language_by_its_primary_subtag(telegram_code: str | None, expected: str) -> None:
    assert choose_language(None, telegram_code, BOTH) == expected


@pytest.mark.parametrize(
    ("stored", "telegram_code", "expected"),
    [
        ("de", "en-GB", "de"),
        ("en", "de-AT", "en"),
        ("de-AT", None, "de"),  # a row from before languages were chosen: Telegram's raw code
        ("fr", "de", "de"),  # a stored language without a catalog does not win
        ("fr", "it", "en"),
    ],
)
def test_a_stored_choice_wins_when_it_has_a_catalog(
    stored: str, telegram_code: str | None, expected: str
) -> None:
    assert choose_language(stored, telegram_code, BOTH) == expected


def test_only_english_means_english() -> None:
    assert choose_language("de", "de-AT", ("en",)) == "en"


CODES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["de", "de-AT", "de-CH", "en", "en-GB", "en-US", "fr", "ru", "zh-Hans"]),
)


@FAST
@given(stored=CODES, telegram_code=CODES)
def test_the_answer_is_always_a_catalog_language(
    stored: str | None, telegram_code: str | None
) -> None:
    chosen = choose_language(stored, telegram_code, BOTH)
    assert chosen in BOTH
    stored_primary = primary_subtag(stored)
    if stored_primary in BOTH:
        assert chosen == stored_primary  # a stored choice with a catalog always wins
    elif primary_subtag(telegram_code) in BOTH:
        assert chosen == primary_subtag(telegram_code)
    else:
        assert chosen == FALLBACK


@FAST
@given(code=st.text(max_size=12), region=st.text(max_size=8))
def test_a_region_never_changes_the_language(code: str, region: str) -> None:
    assert choose_language(None, f"{code}-{region}", BOTH) == choose_language(None, code, BOTH)
