"""Exercise cards as Telegram sees them: a cached picture, a caption, and sending once."""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardMarkup, InputMediaAnimation, InputMediaPhoto, Message
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.coach.plan import eased
from bot.pictures import CardRenderer
from content.format import format_dosage
from content.schema import Dosage, Exercise, Library

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024


def headed(lead: str, caption: str) -> str | None:
    """``lead`` above ``caption``, or None when the two do not fit one caption together."""
    both = f"{lead}\n\n{caption}"
    return both if len(both) <= CAPTION_LIMIT else None


# How many pictures drawn per request (/progress) are remembered by content hash.
DRAWN_MEMO = 256


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
    variant_description: str | None = None,
    slow: bool = False,
    goal: Dosage | None = None,
) -> Caption:
    """Compose the HTML caption: name, difficulty, goal, progress, steps, dosage, cautions.

    The dose is said once, as today's (the steps carry no counts); when today's is
    eased below the full dose ``goal`` (``bot.coach.plan.eased``), that one follows
    as the goal. Every caution is in the caption; when it all does not fit Telegram's 1024
    characters, the steps move to a message of their own and the cautions stay.
    """
    name = html.escape(exercise.name, quote=False)
    if variant_name:
        name += f" — {html.escape(variant_name, quote=False)}"
    difficulty = library.text(f"difficulty_{exercise.difficulty.value}")
    header = (
        f"<b>{name}</b>\n"
        f"{difficulty} · {_goal(library, exercise)} · "
        f"{library.text('card_progress', position=position, total=total)}"
    )
    steps = "\n".join(
        f"{n}. {html.escape(step, quote=False)}" for n, step in enumerate(exercise.steps, 1)
    )
    today = html.escape(format_dosage(dosage, library))
    footer = f"<b>{library.text('card_today', dose=today)}</b>"
    if goal is not None and eased(dosage, goal):
        footer += "\n" + library.text("card_goal", dose=html.escape(format_dosage(goal, library)))
    if exercise.dosage_note:
        footer += f"\n<i>{html.escape(exercise.dosage_note, quote=False)}</i>"
    if slow:
        footer += "\n" + library.text("card_slowly")
    # Every caution, in the content's order: the safety ones come first there.
    for caution in exercise.cautions:
        footer += f"\n⚠️ {html.escape(caution, quote=False)}"
    if variant_description:
        # The variant's own words come first: they change how the steps are done.
        variant = f"<i>{html.escape(variant_description, quote=False)}</i>\n\n{steps}"
        if len(f"{header}\n\n{variant}\n\n{footer}") <= CAPTION_LIMIT:
            steps = variant
    full = f"{header}\n\n{steps}\n\n{footer}"
    if len(full) <= CAPTION_LIMIT:
        return Caption(full)
    return Caption(f"{header}\n\n{footer}\n\n{library.text('card_steps_above')}", steps)


def _goal(library: Library, exercise: Exercise) -> str:
    """The exercise's goal as the caption says it (the texts are HTML already)."""
    return library.text(f"goal_{exercise.goal.value}")


FileIdLookup = Callable[[str], Awaitable[str | None]]
FileIdStore = Callable[[str, str], Awaitable[None]]
Kind = Literal["photo", "animation"]  # how a card's picture is sent


class CardPictures:
    """Sends card pictures, uploading each rendered picture once and reusing its file id.

    File ids are remembered in the process as well as in the database: a dozen entries,
    keyed by picture rather than by user, so a card costs no database round trip once
    any user has seen it. Pictures are drawn on first use, not at start: a first start
    stays quick and light, and the first send of each card waits for it once.

    An exercise whose pose data says ``animate`` is sent as its looping GIF (Telegram
    shows it as an animation, from an MP4 it makes of it) instead of the still card:
    ``sendAnimation`` for a session's first card, ``editMessageMedia`` with an
    ``InputMediaAnimation`` when the one session message turns into it; its file id is
    kept like a photo's, under a key of its own.

    Each language's cards are drawn with its words (``library``, the user's; default
    ``renderer``'s, English) and kept under keys of their own: a German card never
    reuses an English picture's file id, and each is uploaded once.
    """

    def __init__(self, renderer: CardRenderer) -> None:
        self.renderer = renderer
        self._renderers: dict[str, CardRenderer] = {renderer.language: renderer}
        self._keys: dict[tuple[str, str], str] = {}
        self._file_ids: dict[str, str] = {}
        self._drawn: OrderedDict[str, str] = OrderedDict()

    def renderer_for(self, library: Library | None) -> CardRenderer:
        """The renderer of ``library``'s language (made on first use); None: the default."""
        if library is None:
            return self.renderer
        found = self._renderers.get(library.language)
        if found is None:
            found = self._renderers[library.language] = self.renderer.for_library(library)
        return found

    def cache_key(self, exercise_id: str, library: Library | None = None) -> str:
        """The file-cache key: changes whenever the picture would change, language included."""
        renderer = self.renderer_for(library)
        key = self._keys.get((renderer.language, exercise_id))
        if key is None:
            if renderer.animated(exercise_id):
                key = f"gif:{exercise_id}:{renderer.animation_key(exercise_id)}"[:128]
            else:
                key = f"card:{exercise_id}:{renderer.key(exercise_id)}"[:128]
            self._keys[(renderer.language, exercise_id)] = key
        return key

    def animated(self, exercise_id: str) -> bool:
        """Whether this card is sent as an animation rather than a photo."""
        return self.renderer.animated(exercise_id)

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
        library: Library | None = None,
    ) -> Message:
        """Send the card (photo or animation), by file id when Telegram already has it.

        ``library`` is the user's: its language's picture is sent (default: English).
        """
        key = self.cache_key(exercise_id, library)
        kind: Kind = "animation" if self.animated(exercise_id) else "photo"
        file_id = self._file_ids.get(key) or await lookup(key)
        if file_id is not None:
            self._file_ids[key] = file_id
            sent = await _send_by_id(bot, chat_id, kind, file_id, caption, markup)
            if sent is not None:
                return sent
            self._file_ids.pop(key, None)
        data = await asyncio.to_thread(self._picture, exercise_id, library)
        if kind == "animation":
            message = await bot.send_animation(
                chat_id,
                data,
                caption=caption,
                parse_mode="HTML",
                reply_markup=markup,
                filename=f"{exercise_id}.gif",
            )
        else:
            message = await bot.send_photo(
                chat_id, data, caption=caption, parse_mode="HTML", reply_markup=markup
            )
        uploaded = _file_id(message, kind)
        if uploaded is not None:
            self._file_ids[key] = uploaded
            await store(key, uploaded)
        return message

    async def show(
        self,
        bot: ExtBot[None],
        chat_id: int,
        message_id: int,
        exercise_id: str,
        caption: str,
        markup: InlineKeyboardMarkup,
        *,
        lookup: FileIdLookup,
        store: FileIdStore,
        library: Library | None = None,
    ) -> None:
        """Turn a card message into this card in place (editMessageMedia), by file id.

        Drawing the same card on the same message again is harmless: Telegram answers
        "message is not modified", which is taken as done. ``library`` as for ``send``.
        """
        key = self.cache_key(exercise_id, library)
        kind: Kind = "animation" if self.animated(exercise_id) else "photo"
        file_id = self._file_ids.get(key) or await lookup(key)
        if file_id is not None:
            self._file_ids[key] = file_id
            media = _media(kind, file_id, caption)
            if await _edit_media(bot, chat_id, message_id, media, markup):
                return
            self._file_ids.pop(key, None)
        data = await asyncio.to_thread(self._picture, exercise_id, library)
        edited = await bot.edit_message_media(
            _media(kind, data, caption, filename=f"{exercise_id}.gif"),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=markup,
        )
        uploaded = _file_id(edited, kind) if isinstance(edited, Message) else None
        if uploaded is not None:
            self._file_ids[key] = uploaded
            await store(key, uploaded)

    async def send_drawn(
        self, bot: ExtBot[None], chat_id: int, png: bytes, caption: str
    ) -> Message:
        """Send a picture drawn for this request (the /progress calendar).

        Users with the same calendar get byte-identical pictures, so a recent upload of
        the same bytes is reused by file id. Only the last ``DRAWN_MEMO`` are kept, in
        memory: they change daily and are not worth a table.
        """
        digest = hashlib.sha256(png).hexdigest()
        file_id = self._drawn.get(digest)
        if file_id is not None:
            self._drawn.move_to_end(digest)
            sent = await _send_by_id(bot, chat_id, "photo", file_id, caption, None)
            if sent is not None:
                return sent
            del self._drawn[digest]
        message = await bot.send_photo(chat_id, png, caption=caption, parse_mode="HTML")
        if message.photo:
            self._drawn[digest] = message.photo[-1].file_id
            if len(self._drawn) > DRAWN_MEMO:
                self._drawn.popitem(last=False)
        return message

    def _picture(self, exercise_id: str, library: Library | None = None) -> bytes:
        """The card's PNG or GIF, drawn now if not on disk yet (in a thread: ~0.2 s, GIF ~3 s)."""
        renderer = self.renderer_for(library)
        if renderer.animated(exercise_id):
            return renderer.animation_path(exercise_id).read_bytes()
        return renderer.path(exercise_id).read_bytes()


def _media(
    kind: Kind, source: str | bytes, caption: str, *, filename: str | None = None
) -> InputMediaPhoto | InputMediaAnimation:
    """The InputMedia of a card: a file id, or the picture's bytes to upload."""
    if kind == "animation":
        return InputMediaAnimation(source, caption=caption, parse_mode="HTML", filename=filename)
    return InputMediaPhoto(source, caption=caption, parse_mode="HTML")


def _file_id(message: Message, kind: Kind) -> str | None:
    """The file id Telegram gave the card's picture in ``message``, if it is there."""
    if kind == "animation":
        return message.animation.file_id if message.animation else None
    return message.photo[-1].file_id if message.photo else None


async def _edit_media(
    bot: ExtBot[None],
    chat_id: int,
    message_id: int,
    media: InputMediaPhoto | InputMediaAnimation,
    markup: InlineKeyboardMarkup,
) -> bool:
    """Edit a message into a card by file id; False when Telegram no longer knows the id.

    A raw call: ``edit_message_media`` would build a ``Message`` from Telegram's answer
    (a quarter of a millisecond, on every press), and nothing here reads it
    (``bot.app.quiet_raw_calls`` spares the log PTB's warning about it).
    """
    try:
        await bot.do_api_request(
            "editMessageMedia",
            api_kwargs={
                "chat_id": chat_id,
                "message_id": message_id,
                "media": media,
                "reply_markup": markup,
            },
        )
    except BadRequest as error:
        message = error.message.lower()
        if "not modified" in message:
            return True
        if "file" not in message:
            raise
        log.warning("a cached file id was refused; uploading again")
        return False
    return True


async def _send_by_id(
    bot: ExtBot[None],
    chat_id: int,
    kind: Kind,
    file_id: str,
    caption: str,
    markup: InlineKeyboardMarkup | None,
) -> Message | None:
    """Send a photo or animation by file id; None when Telegram no longer knows the id."""
    send = bot.send_animation if kind == "animation" else bot.send_photo
    try:
        return await send(chat_id, file_id, caption=caption, parse_mode="HTML", reply_markup=markup)
    except BadRequest as error:
        if "file" not in error.message.lower():
            raise
        log.warning("a cached file id was refused; uploading again")
        return None
