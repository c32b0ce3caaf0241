"""Short human wording for content values, shared by cards, summaries and tests."""

from __future__ import annotations

from content.schema import Dosage


def _plural(count: int, word: str) -> str:
    """Say ``1 rep`` but ``10 reps``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_duration(seconds: int) -> str:
    """Say ``45 s``, ``1 min``, ``1.5 min`` or ``2 min 10 s``, whichever reads best."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds % 30 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds // 60} min {seconds % 60} s"


def format_dosage(d: Dosage) -> str:
    """Render a dosage as the one line a card shows, e.g. ``3 sets × 10 reps, hold 3 s``."""
    side = " per side" if d.per_side else ""
    extras: list[str] = []
    if d.reps is not None:
        head = f"{_plural(d.reps, 'rep')}{side}"
        if d.hold_seconds is not None:
            extras.append(f"hold {d.hold_seconds} s")
        if d.hold_breaths is not None:
            extras.append(f"hold {_plural(d.hold_breaths, 'breath')}")
        if d.duration_seconds is not None:
            extras.append(f"about {format_duration(d.duration_seconds)}")
    elif d.duration_seconds is not None:
        head = f"about {format_duration(d.duration_seconds)}{side}"
        if d.hold_seconds is not None:
            extras.append(f"hold {d.hold_seconds} s")
        if d.hold_breaths is not None:
            extras.append(f"hold {_plural(d.hold_breaths, 'breath')}")
    elif d.hold_breaths is not None:
        head = f"{d.hold_breaths} deep {'breath' if d.hold_breaths == 1 else 'breaths'}{side}"
        if d.hold_seconds is not None:
            extras.append(f"about {d.hold_seconds} s")
    elif d.hold_seconds is not None:
        head = f"hold {d.hold_seconds} s{side}"
    else:
        head = "as you feel"
    if d.sets > 1:
        head = f"{d.sets} sets × {head}"
    return ", ".join([head, *extras])
