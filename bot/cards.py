"""Exercise cards as Telegram sees them: a cached picture, a caption, and sending once."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.pictures import CardRenderer
from content.format import format_dosage
from content.schema import Dosage, Exercise, Library

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Caption:
    """A card caption, and the steps as a separate message when they do not fit."""

    text: str
    steps_message: str | None = None


def render_caption(
    library: Library,
    exercise: Exercise,
    *,
    dosage: Dosage,
    position: int,
    total: int,
    variant_name: str | None = None,
    slow: bool = False,
) -> Caption:
    """Compose the HTML caption: name, difficulty, goal, progress, steps, dosage, caution."""
    name = html.escape(exercise.name, quote=False)
    if variant_name:
        name += f" — {html.escape(variant_name, quote=False)}"
    header = (
        f"<b>{name}</b>\n"
        f"{exercise.difficulty.value.capitalize()} · {_goal(exercise)} · "
        f"{library.text('card_progress', position=position, total=total)}"
    )
    steps = "\n".join(
        f"{n}. {html.escape(step, quote=False)}" for n, step in enumerate(exercise.steps, 1)
    )
    footer = f"<b>Today: {html.escape(format_dosage(dosage), quote=False)}</b>"
    if slow:
        footer += "\n🐢 Slowly and carefully today."
    if exercise.cautions:
        footer += f"\n⚠️ {html.escape(exercise.cautions[0], quote=False)}"
    full = f"{header}\n\n{steps}\n\n{footer}"
    if len(full) <= CAPTION_LIMIT:
        return Caption(full)
    return Caption(f"{header}\n\n{footer}\n\nSteps are in the message above ↑", steps)


def _goal(exercise: Exercise) -> str:
    return {"strengthen": "Strengthen", "stretch": "Stretch", "both": "Strengthen &amp; stretch"}[
        exercise.goal.value
    ]


FileIdLookup = Callable[[str], Awaitable[str | None]]
FileIdStore = Callable[[str, str], Awaitable[None]]


class CardPictures:
    """Sends card pictures, uploading each rendered picture once and reusing its file id."""

    def __init__(self, renderer: CardRenderer) -> None:
        self.renderer = renderer

    def cache_key(self, exercise_id: str) -> str:
        """The file-cache key: changes whenever the picture would change."""
        return f"card:{exercise_id}:{self.renderer.key(exercise_id)}"[:128]

    async def send(
        self,
        bot: ExtBot[None],
        chat_id: int,
        exercise_id: str,
        caption: str,
        markup: InlineKeyboardMarkup,
        *,
        lookup: FileIdLookup,
        store: FileIdStore,
    ) -> Message:
        """Send the card photo, by file id when Telegram already has it."""
        key = self.cache_key(exercise_id)
        file_id = await lookup(key)
        if file_id is not None:
            try:
                return await bot.send_photo(
                    chat_id, file_id, caption=caption, parse_mode="HTML", reply_markup=markup
                )
            except BadRequest as error:
                if "file" not in error.message.lower():
                    raise
                log.warning("cached file id for %s was refused; uploading again", exercise_id)
        data = self.renderer.path(exercise_id).read_bytes()
        message = await bot.send_photo(
            chat_id, data, caption=caption, parse_mode="HTML", reply_markup=markup
        )
        if message.photo:
            await store(key, message.photo[-1].file_id)
        return message
