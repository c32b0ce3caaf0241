"""Inline keyboards; every button's data goes through the versioned codec."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.callbacks import Callback
from bot.coach.plan import stretch_minutes
from content.schema import Library


def button(text: str, data: Callback) -> InlineKeyboardButton:
    """One inline button with encoded callback data."""
    return InlineKeyboardButton(text, callback_data=callbacks.encode(data))


def rows(*button_rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """A keyboard from rows of buttons, dropping empty rows."""
    return InlineKeyboardMarkup([list(row) for row in button_rows if row])


def grid(buttons: Iterable[InlineKeyboardButton], width: int) -> InlineKeyboardMarkup:
    """Lay buttons out `width` per row."""
    items = list(buttons)
    return InlineKeyboardMarkup([items[i : i + width] for i in range(0, len(items), width)])


def card_buttons(
    library_text: dict[str, str], workout_id: int, position: int
) -> InlineKeyboardMarkup:
    """Done / Skip / It hurts under a card."""
    return rows(
        [
            button(library_text["btn_done"], callbacks.CardAnswer(workout_id, position, "done")),
            button(library_text["btn_skip"], callbacks.CardAnswer(workout_id, position, "skip")),
        ],
        [button(library_text["btn_hurt"], callbacks.CardAnswer(workout_id, position, "hurt"))],
    )


def stretch_now_label(lib: Library, minutes: int | None = None) -> str:
    """The stretch nudge's button with the length of the routine it starts.

    By default the quick stretch's one figure (``stretch_minutes``); a caller that has
    planned the very routine the button starts passes that plan's ``minutes``.
    """
    return lib.text("btn_nudge_stretch", minutes=minutes or stretch_minutes(lib.exercises))
