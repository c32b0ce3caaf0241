"""Each user's stored language, remembered per process so a button press reads no row for it.

The database holds the truth (``user.language``); this is a bounded copy, filled
whenever a user row is read or written anyway (``UserRepository`` reports it) and by
the one small query on a miss. A user without a row is remembered as None: they are
answered in Telegram's language until their row says otherwise.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import Enum
from typing import Final, Literal

# About 100 bytes an entry: 50,000 users cost some 5 MB.
CACHE_SIZE: Final = 50_000


class Missing(Enum):
    """Not in the cache (distinct from a user known to have no stored language)."""

    MISSING = "missing"


MISSING: Final = Missing.MISSING


class LanguageCache:
    """A least-recently-used map of user id to stored language (None: none stored)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[int, str | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, user_id: int) -> str | Literal[Missing.MISSING] | None:
        """The stored language, None when the user has none, or ``MISSING`` if not known here."""
        if user_id not in self._entries:
            return MISSING
        self._entries.move_to_end(user_id)
        return self._entries[user_id]

    def put(self, user_id: int, language: str | None) -> None:
        """Remember what the database says now; the oldest entry goes beyond ``size``."""
        self._entries[user_id] = language
        self._entries.move_to_end(user_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """The user was erased: nothing about them is kept here either."""
        self._entries.pop(user_id, None)
