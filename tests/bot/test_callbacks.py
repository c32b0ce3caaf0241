"""The callback codec: every button fits Telegram's 64 bytes and nothing forged decodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.callbacks import CardAnswer, Feeling, Menu, NudgeAction, TriageAnswer

FIELD = st.from_regex(r"[A-Za-z0-9_.+-]{1,12}", fullmatch=True)
IDS = st.integers(min_value=0, max_value=10**15)

VALUES = st.one_of(
    st.builds(TriageAnswer, st.integers(0, 999_999), FIELD),
    st.builds(CardAnswer, IDS, st.integers(0, 99), st.sampled_from(sorted(CardAnswer.ACTIONS))),
    st.builds(Feeling, IDS, st.sampled_from(sorted(Feeling.VALUES))),
    st.builds(NudgeAction, st.sampled_from(sorted(NudgeAction.ACTIONS))),
    st.builds(Menu, FIELD, FIELD),
)


@given(VALUES)
def test_round_trip_and_size(value: callbacks.Callback) -> None:
    encoded = callbacks.encode(value)
    assert 0 < len(encoded.encode()) <= 64
    assert callbacks.decode(encoded) == value


@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_and_only_valid_shapes_decode(text: str) -> None:
    decoded = callbacks.decode(text)
    if decoded is not None:
        assert callbacks.encode(decoded) == text


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "c1:1:2",
        "c1:x:2:done",
        "c1:1:2:explode",
        "f1:3:ecstatic",
        "n1:rm -rf",
        "t1::yes",
        "zz:1:2",
        "c1:1:2:done:extra",
        "m1:rem",
        "a" * 65,
        "m1:rem:\udcff",  # lone surrogates: not even encodable as UTF-8
        "\ud800",
        None,
        42,
    ],
)
def test_forged_or_old_data_is_rejected(forged: object) -> None:
    assert callbacks.decode(forged) is None


def test_encode_refuses_fields_that_would_break_the_format() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        callbacks.encode(Menu("rem", "a:b"))
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.encode(Menu("x" * 40, "y" * 30))
