"""The new updates of a getUpdates answer, without decoding the ones already in hand.

The poller (``bot.delivery``) confirms an update to Telegram only once it was handled,
so every getUpdates answer repeats the updates still in flight, then adds the new ones.
At saturation that window is the 64-100 updates being handled; decoding it on every
poll cost more than the new updates themselves (issue 17's profiles). The ids below the
first new one are all in hand, and Telegram sends updates in increasing id order, so
only the answer's tail needs decoding.

The tail is found in the bytes. ``"update_id":`` can only be a key there: a string that
contains it has its quotes escaped. Only an Update has that key, and Telegram writes it
first, so each update begins with ``{"update_id":N``. When any of that does not hold for
an answer (another key order, an error, a body of another shape), the whole answer is
decoded as before: the shortcut never drops an update, at worst it is not taken.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

import orjson

# Set by the poller around its getUpdates call: updates with a lower id are in hand.
UPDATES_FROM: ContextVar[int | None] = ContextVar("lumbar_updates_from", default=None)

_HEAD = re.compile(rb'\s*\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*\[')
_START = re.compile(rb'\{\s*"update_id"\s*:\s*(\d+)')
_KEY = re.compile(rb'"update_id"\s*:')
_TAIL = b"]}"


def new_updates(payload: bytes, first: int) -> dict[str, Any] | None:
    """``{"ok": true, "result": [...]}`` with only the updates from id ``first`` on.

    None when the answer is not a plain successful getUpdates answer in Telegram's
    layout; the caller then decodes all of it.
    """
    head = _HEAD.match(payload)
    body = payload.rstrip()
    if head is None or not body.endswith(_TAIL):
        return None
    cut = _exact_cut(body, head.end(), first)
    if cut is None:
        cut = _scanned_cut(body, head.end(), first)
    if cut is None:
        return None
    tail = body[cut:-1]
    if not tail.startswith((b"{", b"]")):
        return None
    try:
        result = orjson.loads(b"[" + tail) if tail != b"]" else []
    except orjson.JSONDecodeError:  # lone surrogates, say: the lenient decoder's job
        return None
    if not isinstance(result, list):
        return None
    return {"ok": True, "result": result}


def _exact_cut(body: bytes, start: int, first: int) -> int | None:
    """Where update ``first`` begins in Telegram's compact layout, found in one search.

    Update ids come in sequence, so the first new one is usually exactly ``first``.
    Every ``"update_id"`` before it must begin an update (a text saying it would be
    counted too, and only sends this answer the long way).
    """
    marker = b'{"update_id":%d' % first
    cut = body.find(marker, start)
    if cut == -1:
        return _past_the_last(body, start, first)
    if body[cut + len(marker) : cut + len(marker) + 1] not in (b",", b"}"):
        return None
    if body.count(b'"update_id"', start, cut) != body.count(b'{"update_id":', start, cut):
        return None
    return cut


def _past_the_last(body: bytes, start: int, first: int) -> int | None:
    """The end of the array when its last update is older than ``first``: nothing new.

    The poller's most frequent answer while updates are in flight, found from the end
    instead of update by update.
    """
    end = len(body) - len(_TAIL)
    last = body.rfind(b'{"update_id":', start, end)
    found = _START.match(body, last) if last != -1 else None
    if found is None or int(found.group(1)) >= first:
        return None
    if body.count(b'"update_id"', start, end) != body.count(b'{"update_id":', start, end):
        return None
    return end


def _scanned_cut(body: bytes, start: int, first: int) -> int | None:
    """Where the first update with an id from ``first`` on begins, update by update."""
    skipped = 0
    for found in _START.finditer(body, start):
        if int(found.group(1)) >= first:
            cut = found.start()
            break
        skipped += 1
    else:
        cut = len(body) - len(_TAIL)  # nothing new: the whole array is skipped
    # Every update in the skipped part must have begun with its id, else one was missed.
    if len(_KEY.findall(body, start, cut)) != skipped:
        return None
    return cut
