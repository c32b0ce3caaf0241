"""The poller decodes only the new updates of a getUpdates answer, and never loses one."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.polling_window import UPDATES_FROM, new_updates
from bot.transport import AiohttpRequest

TRICKY = [
    '{"update_id":99,"message":{}}',
    '"update_id": 7',
    "update_id",
    '\\"update_id\\":5',
    "]}",
    "Привет 👋",
]


def _update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": {"id": 1, "type": "private"}, "text": text},
    }


def _answer(updates: list[dict[str, Any]], *, compact: bool = True) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps({"ok": True, "result": updates}, separators=separators).encode()


def test_only_the_updates_from_the_first_new_id_are_returned() -> None:
    updates = [_update(i, f"press {i}") for i in range(10, 15)]
    assert new_updates(_answer(updates), 13) == {"ok": True, "result": updates[3:]}
    assert new_updates(_answer(updates), 10) == {"ok": True, "result": updates}


def test_an_answer_with_nothing_new_decodes_to_no_updates() -> None:
    updates = [_update(i, "x") for i in range(10, 15)]
    assert new_updates(_answer(updates), 15) == {"ok": True, "result": []}
    assert new_updates(_answer([]), 3) == {"ok": True, "result": []}


def test_gaps_in_the_ids_are_fine() -> None:
    updates = [_update(i, "x") for i in (10, 12, 17, 30)]
    assert new_updates(_answer(updates), 13) == {"ok": True, "result": updates[2:]}


def test_a_message_that_quotes_an_update_cannot_fool_it() -> None:
    updates = [_update(10, TRICKY[0]), _update(11, TRICKY[1]), _update(12, "ok")]
    assert new_updates(_answer(updates), 11) == {"ok": True, "result": updates[1:]}
    assert new_updates(_answer(updates), 100) == {"ok": True, "result": []}


def test_spaced_json_is_read_too() -> None:
    updates = [_update(i, "x") for i in range(1, 4)]
    assert new_updates(_answer(updates, compact=False), 2) == {"ok": True, "result": updates[1:]}


def test_another_layout_or_an_error_is_left_to_the_full_decoder() -> None:
    moved = [{"message": {"text": "hi"}, "update_id": 10}, _update(11, "x")]
    assert new_updates(_answer(moved), 11) is None  # update 10's id is not where it begins
    assert new_updates(b'{"ok":false,"error_code":409,"description":"Conflict"}', 1) is None
    assert new_updates(b'{"ok":true,"result":true}', 1) is None
    assert new_updates(b"<html>bad gateway</html>", 1) is None


def test_what_orjson_refuses_goes_to_the_lenient_decoder_whole() -> None:
    payload = _answer([_update(1, "x"), _update(2, "\udcff")])  # a lone surrogate, escaped
    assert new_updates(payload, 2) is None
    token = UPDATES_FROM.set(2)
    try:
        decoded = AiohttpRequest.parse_json_payload(payload)["result"]
    finally:
        UPDATES_FROM.reset(token)
    assert [u["message"]["text"] for u in decoded] == ["x", "\udcff"]


def test_the_transport_uses_it_only_inside_the_pollers_call() -> None:
    payload = _answer([_update(i, "x") for i in range(1, 6)])
    assert len(AiohttpRequest.parse_json_payload(payload)["result"]) == 5
    token = UPDATES_FROM.set(4)
    try:
        assert [u["update_id"] for u in AiohttpRequest.parse_json_payload(payload)["result"]] == [
            4,
            5,
        ]
    finally:
        UPDATES_FROM.reset(token)


@settings(max_examples=300)
@given(
    ids=st.lists(st.integers(1, 10**9), max_size=12, unique=True).map(sorted),
    texts=st.lists(st.sampled_from(TRICKY) | st.text(max_size=20), min_size=12, max_size=12),
    first=st.integers(0, 10**9 + 1),
    compact=st.booleans(),
    shuffle_keys=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_the_tail_is_exactly_the_new_updates_or_nothing_is_skipped(
    ids: list[int],
    texts: list[str],
    first: int,
    compact: bool,
    shuffle_keys: bool,
    seed: int,
) -> None:
    updates = [_update(i, t) for i, t in zip(ids, texts, strict=False)]
    if shuffle_keys:
        rng = random.Random(seed)
        updates = [dict(rng.sample(list(u.items()), len(u))) for u in updates]
    payload = _answer(updates, compact=compact)
    got = new_updates(payload, first)
    expected = [u for u in updates if u["update_id"] >= first]
    if got is None:
        # Only an unusual layout (another key first) may fall back; Telegram's never does.
        assert shuffle_keys
    else:
        assert got == {"ok": True, "result": expected}


@settings(max_examples=300)
@given(
    count=st.integers(0, 12),
    start=st.integers(1, 10**6),
    texts=st.lists(st.sampled_from(TRICKY) | st.text(max_size=20), min_size=12, max_size=12),
    pick=st.integers(0, 13),
)
def test_in_telegrams_own_layout_the_next_id_is_always_found(
    count: int, start: int, texts: list[str], pick: int
) -> None:
    """Ids in sequence, compact JSON, ``first`` one of them or just past them: as it runs."""
    updates = [_update(start + n, texts[n]) for n in range(count)]
    first = start + min(pick, count)
    got = new_updates(_answer(updates), first)
    assert got == {"ok": True, "result": updates[first - start :]}
