"""Card captions: every exercise at every level fits Telegram's caption limit, in valid HTML."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.cards import CAPTION_LIMIT, CardPictures, render_caption
from bot.coach.plan import apply_level
from bot.pictures import CardRenderer
from content.loader import load_library

LIBRARY = load_library()


@pytest.mark.parametrize("exercise", LIBRARY.exercises, ids=lambda e: e.id)
@pytest.mark.parametrize("level", [-2, 0, 3])
def test_caption_fits_and_names_what_matters(exercise: object, level: int) -> None:
    from content.schema import Exercise

    assert isinstance(exercise, Exercise)
    dosage = apply_level(exercise.dosage, level)
    caption = render_caption(LIBRARY, exercise, dosage=dosage, position=3, total=6, slow=True)
    visible = re.sub(r"<[^>]+>", "", caption.text)
    assert len(visible) <= CAPTION_LIMIT
    assert exercise.name in visible
    assert "Card 3 of 6" in visible
    assert "Today:" in visible
    if caption.steps_message is None:
        assert f"1. {exercise.steps[0][:20]}" in visible
    assert "&" not in visible.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


class FakeBot:
    """Stands in for the Bot API: notes each photo sent, and may refuse a file id."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.sent: list[object] = []
        self.refuse = refuse or set()

    async def send_photo(self, chat_id: int, photo: object, **_: object) -> SimpleNamespace:
        if isinstance(photo, str) and photo in self.refuse:
            raise BadRequest("Wrong file identifier/http url specified")
        self.sent.append(photo)
        file_id = photo if isinstance(photo, str) else f"id-{len(self.sent)}"
        return SimpleNamespace(photo=[SimpleNamespace(file_id=file_id)])


class FileTable:
    """The database's file-id table, counting the round trips the cards make to it."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.lookups = 0

    async def lookup(self, key: str) -> str | None:
        self.lookups += 1
        return self.rows.get(key)

    async def store(self, key: str, file_id: str) -> None:
        self.rows[key] = file_id

    async def send_card(
        self, pictures: CardPictures, bot: FakeBot, chat: int, exercise: str
    ) -> None:
        """Send one card as the session handler does, with this table as the file cache."""
        await pictures.send(
            bot,  # type: ignore[arg-type]
            chat,
            exercise,
            "caption",
            InlineKeyboardMarkup([]),
            lookup=self.lookup,
            store=self.store,
        )


async def test_a_card_is_drawn_on_first_send_then_sent_by_file_id(tmp_path: Path) -> None:
    renderer = CardRenderer(LIBRARY, tmp_path)
    pictures, bot, table = CardPictures(renderer), FakeBot(), FileTable()
    exercise = LIBRARY.exercises[0].id
    assert renderer.renders == 0  # nothing drawn before it is needed
    for chat in (1, 2, 3):
        await table.send_card(pictures, bot, chat, exercise)
    assert isinstance(bot.sent[0], bytes) and bot.sent[1:] == ["id-1", "id-1"]
    assert renderer.renders == 1
    assert table.lookups == 1  # later sends take the file id from memory
    assert table.rows == {pictures.cache_key(exercise): "id-1"}


async def test_a_refused_file_id_is_uploaded_again_and_replaced(tmp_path: Path) -> None:
    pictures, table = CardPictures(CardRenderer(LIBRARY, tmp_path)), FileTable()
    exercise = LIBRARY.exercises[0].id
    table.rows[pictures.cache_key(exercise)] = "stale-id"  # e.g. from another bot token
    bot = FakeBot(refuse={"stale-id"})
    for chat in (1, 2):
        await table.send_card(pictures, bot, chat, exercise)
    assert isinstance(bot.sent[0], bytes) and bot.sent[1] == "id-1"
    assert table.rows[pictures.cache_key(exercise)] == "id-1"


async def test_the_same_progress_picture_is_uploaded_once(tmp_path: Path) -> None:
    pictures, bot = CardPictures(CardRenderer(LIBRARY, tmp_path)), FakeBot()
    calendar, other = b"\x89PNG same calendar", b"\x89PNG another calendar"
    for chat, png in ((1, calendar), (2, calendar), (3, other)):
        await pictures.send_drawn(bot, chat, png, "caption")  # type: ignore[arg-type]
    assert bot.sent == [calendar, "id-1", other]


@pytest.mark.parametrize("exercise", LIBRARY.exercises, ids=lambda e: e.id)
@pytest.mark.parametrize("level", [-2, 0, 3])
@pytest.mark.parametrize("slow", [True, False])
def test_every_caution_is_on_the_card_in_order(exercise: object, level: int, slow: bool) -> None:
    """Each caution shows, in the content's order (safety first), on the photo caption."""
    from content.schema import Exercise

    assert isinstance(exercise, Exercise)
    caption = render_caption(
        LIBRARY,
        exercise,
        dosage=apply_level(exercise.dosage, level),
        position=1,
        total=5,
        slow=slow,
    )
    assert len(caption.text) <= CAPTION_LIMIT
    visible = re.sub(r"<[^>]+>", "", caption.text)
    places = [visible.find(f"⚠️ {caution}") for caution in exercise.cautions]
    assert all(place >= 0 for place in places), exercise.id
    assert places == sorted(places)


def test_the_mountain_climber_card_says_not_while_your_back_hurts() -> None:
    """Its safety cautions show; where its dose comes from is a note, not a caution."""
    climber = LIBRARY.exercise("mountain_climber")
    caption = render_caption(LIBRARY, climber, dosage=climber.dosage, position=2, total=6)
    visible = re.sub(r"<[^>]+>", "", caption.text)
    assert "⚠️ A hard one; leave it out while your back hurts." in visible
    assert "⚠️ If pain occurs, skip the exercise and move on to the next one." in visible
    assert climber.dosage_note is not None and climber.dosage_note in visible
    assert not any("article" in caution for caution in climber.cautions)


def test_the_ball_card_shows_all_three_cautions() -> None:
    ball = LIBRARY.exercise("ball_back_extension")
    visible = render_caption(LIBRARY, ball, dosage=ball.dosage, position=1, total=5).text
    assert "save this one for pain-free days" in visible
    assert "If pain occurs, skip the exercise" in visible
    assert "Brace your feet" in visible
