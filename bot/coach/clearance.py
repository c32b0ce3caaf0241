"""When a doctor's clearance may be recorded, and what it covers.

Rules:

* a clearance covers exactly the flags open when the user confirmed it: the
  confirming button carries a token of those flags and of the latest report, so
  a button from before a new report clears nothing;
* before it is recorded the user is asked whether anything is new or worse since
  the doctor saw them; a Yes keeps every flag open;
* an emergency flag is cleared only on a later visit: not within an hour of the
  latest report (nobody is seen, examined and cleared in less).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from content.schema import Rules, Tier

EMERGENCY_WAIT = timedelta(hours=1)


class Verdict(StrEnum):
    """Whether a clearance may be asked for now."""

    ALLOWED = "allowed"
    NOTHING_OPEN = "nothing_open"
    TOO_SOON = "too_soon"


def verdict(
    open_ids: Iterable[str], rules: Rules, flagged_at: datetime | None, now: datetime
) -> Verdict:
    """May the user clear these open flags now (see the module docstring)?"""
    ids = frozenset(open_ids)
    if not ids:
        return Verdict.NOTHING_OPEN
    emergency = any(
        (flag := rules.flag(i)) is not None and flag.tier is Tier.EMERGENCY for i in ids
    )
    if emergency and (flagged_at is None or now - flagged_at < EMERGENCY_WAIT):
        return Verdict.TOO_SOON
    return Verdict.ALLOWED


def token(open_ids: Iterable[str], flagged_at: datetime | None) -> str:
    """A short stamp of what a confirming button covers; any new report changes it."""
    stamp = ",".join(sorted(open_ids)) + "|" + (flagged_at.isoformat() if flagged_at else "")
    return format(zlib.crc32(stamp.encode()), "08x")
