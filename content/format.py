"""Short human wording for content values, shared by cards, summaries and tests.

Every word comes from the library's texts (``dose_*`` in ``texts.yaml``), so a dosage
reads in the library's language: counts pick their plural form by its CLDR rules, and
decimals are written as it writes them. Dates: ``Library.day_month``.
"""

from __future__ import annotations

from babel.dates import get_day_names

from content.schema import Dosage, Library


def format_duration(seconds: int, library: Library) -> str:
    """Say ``45 s``, ``1 min``, ``1.5 min`` or ``2 min 10 s``, whichever reads best."""
    if seconds < 60:
        return library.text("dose_seconds", seconds=seconds)
    if seconds % 30 == 0:
        return library.text("dose_minutes", minutes=library.number(seconds / 60))
    return library.text("dose_minutes_seconds", minutes=seconds // 60, seconds=seconds % 60)


def format_dosage(d: Dosage, library: Library) -> str:
    """Render a dosage as the one line a card shows, e.g. ``3 sets × 10 reps, hold 3 s``."""
    text = library.text

    def about(seconds: int) -> str:
        return text("dose_about", duration=format_duration(seconds, library))

    extras: list[str] = []
    per_side = d.per_side  # "as you feel" is never per side
    if d.reps is not None:
        head = text("dose_reps", reps=d.reps)
        if d.hold_seconds is not None:
            extras.append(text("dose_hold_seconds", seconds=d.hold_seconds))
        if d.hold_breaths is not None:
            extras.append(text("dose_hold_breaths", breaths=d.hold_breaths))
        if d.duration_seconds is not None:
            extras.append(about(d.duration_seconds))
    elif d.duration_seconds is not None:
        head = about(d.duration_seconds)
        if d.hold_seconds is not None:
            extras.append(text("dose_hold_seconds", seconds=d.hold_seconds))
        if d.hold_breaths is not None:
            extras.append(text("dose_hold_breaths", breaths=d.hold_breaths))
    elif d.hold_breaths is not None:
        head = text("dose_deep_breaths", breaths=d.hold_breaths)
        if d.hold_seconds is not None:
            extras.append(text("dose_about", duration=text("dose_seconds", seconds=d.hold_seconds)))
    elif d.hold_seconds is not None:
        head = text("dose_hold_seconds", seconds=d.hold_seconds)
    else:
        head = text("dose_as_you_feel")
        per_side = False
    if per_side:
        head = text("dose_per_side", dose=head)
    if d.sets > 1:
        head = text("dose_sets", sets=d.sets, dose=head)
    return ", ".join([head, *extras])


def weekday_names(library: Library) -> tuple[str, ...]:
    """The short names of the days, Monday first (``Mon`` .. ``Sun``, ``Mo.`` .. ``So.``)."""
    names = get_day_names("abbreviated", locale=library.language)
    return tuple(str(names[index]) for index in range(7))
