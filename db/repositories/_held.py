"""Rows read in one unit of work, held so that a second read costs no query.

The session's identity map holds its objects weakly: a profile read by the gate and
dropped is gone again when the handler asks for it, and ``session.get`` then queries.
A repository keeps what it read (one unit of work, one update), so ``session.get``
finds it. The session still decides: every ORM UPDATE or DELETE through the
repositories updates the loaded object, and an erased user's rows are expunged.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def keep(held: dict[int, object], key: int, row: T) -> T:
    """Hold ``row`` (when there is one) for the unit of work; returns it."""
    if row is not None:
        held[key] = row
    return row
