"""A second language: each user is answered in theirs, chosen once and kept.

The bot runs with English and a German stand-in (every text, nudge and the language's
name prefixed "DE "), so these tests check the plumbing, not the German wording: a
Telegram app in German (de-AT) is answered in German from /start, a choice in
/settings answers the next message in it and survives a later /start from another
app, /export carries it and /forget erases it, nudges go out in it, the command menu
and the descriptions are set per language, and each language's card picture is
uploaded once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_application, running
from bot.delivery import ledger_of
from bot.emulator import BotApiServer, FakeUser, StoredMessage
from bot.languages import MISSING
from content.loader import load_library
from content.schema import Library
from db.models import FileCache, User
from tests.flows.conftest import CARD_KINDS, LEDGER_EVERY, TOKEN, FakeClock, Lumbar, make_settings
from tests.seeding import seed_finished_triage

ENGLISH = load_library()


def german_stand_in(english: Library) -> Library:
    """English content marked "DE " everywhere a user reads it, as a German catalog would be."""
    texts = {key: "DE " + text for key, text in english.texts.items()}
    texts["language_name"] = "Deutsch"
    nudges = replace(
        english.nudges,
        stretch=tuple("DE " + text for text in english.nudges.stretch),
        water=tuple("DE " + text for text in english.nudges.water),
        stretch_plain="DE " + english.nudges.stretch_plain,
    )
    return replace(english, language="de", texts=texts, nudges=nudges)


GERMAN = german_stand_in(ENGLISH)


@pytest.fixture
async def polyglot(
    db_url: str, card_cache: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Lumbar]:
    """The real application with an English and a (stand-in) German catalog."""
    monkeypatch.setattr("bot.app.load_libraries", lambda: {"en": ENGLISH, "de": GERMAN})
    async with BotApiServer(token=TOKEN) as server:
        app = build_application(make_settings(server, db_url, card_cache), clock=clock)
        ledger_of(app).every = LEDGER_EVERY
        async with running(app, poll_timeout=1.0):
            yield Lumbar(server, app, clock)


def person(lumbar: Lumbar, user_id: int, language_code: str | None, name: str = "Ann") -> FakeUser:
    """A user whose Telegram app is in ``language_code``."""
    return lumbar.server.user(user_id, first_name=name, language_code=language_code)


async def seeded(lumbar: Lumbar, user: FakeUser) -> None:
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock())


async def stored_language(lumbar: Lumbar, user: FakeUser) -> str | None:
    async with lumbar.services.transaction() as uow:
        return await uow.users.language_of(user.id)


def current(lumbar: Lumbar, user: FakeUser, message_id: int) -> StoredMessage:
    """A message as the user sees it now (after any edits)."""
    (found,) = [m for m in lumbar.server.bot_messages(user) if m.message_id == message_id]
    return found


def texts(out: list[StoredMessage]) -> list[str]:
    return [m.text_or_caption for m in out]


async def test_a_telegram_app_in_austrian_german_gets_german_from_start(polyglot: Lumbar) -> None:
    anna = person(polyglot, 3001, "de-AT", "Anna")
    out = await polyglot.send(anna, "/start")
    assert texts(out) and all(text.startswith("DE ") for text in texts(out))
    assert all(label.startswith("DE ") for m in out for row in m.buttons for label, _ in row)
    # The first contact stores the catalog language chosen for her, not Telegram's raw code.
    assert await stored_language(polyglot, anna) is None  # nothing kept before consent
    out = await polyglot.press(anna, "Yes, I'm 16 to 49")
    assert await stored_language(polyglot, anna) == "de"
    assert all(text.startswith("DE ") for text in texts(out))
    # Someone whose app has no catalog (French) gets English.
    pierre = person(polyglot, 3002, "fr", "Pierre")
    out = await polyglot.send(pierre, "/start")
    assert texts(out) and not any(text.startswith("DE ") for text in texts(out))


async def test_a_choice_in_settings_answers_the_next_message_in_it(polyglot: Lumbar) -> None:
    ann = person(polyglot, 3003, "en-GB")
    await seeded(polyglot, ann)
    (screen,) = await polyglot.send(ann, "/settings")
    assert not screen.text_or_caption.startswith("DE ")
    assert "🌐 Language: English" in [label for row in screen.buttons for label, _ in row]
    await polyglot.press(ann, "🌐 Language")
    choice = current(polyglot, ann, screen.message_id)  # the settings turned into the choice
    labels = [label for row in choice.buttons for label, _ in row]
    assert labels == ["✓ English", "Deutsch"]  # each language named in itself
    await polyglot.press(ann, "Deutsch")
    answers = polyglot.server.calls_to("answerCallbackQuery")
    assert str(answers[-1].params.get("text")).startswith("DE ")  # said in the new language
    redrawn = current(polyglot, ann, screen.message_id)
    assert redrawn.text_or_caption.startswith("DE ")  # the settings, redrawn in it
    assert "DE 🌐 Language: Deutsch" in [label for row in redrawn.buttons for label, _ in row]
    assert await stored_language(polyglot, ann) == "de"
    assert polyglot.services.languages.get(ann.id) == "de"
    out = await polyglot.send(ann, "/help")
    assert texts(out) and all(text.startswith("DE ") for text in texts(out))
    # And back: English again from the next message on.
    await polyglot.send(ann, "/settings")
    await polyglot.press(ann, "Language")
    await polyglot.press(ann, "English")
    out = await polyglot.send(ann, "/help")
    assert texts(out) and not any(text.startswith("DE ") for text in texts(out))


async def test_the_choice_survives_a_start_from_another_app_and_a_restart(
    polyglot: Lumbar,
) -> None:
    ann = person(polyglot, 3004, "de")
    await seeded(polyglot, ann)  # the first contact stored "de"
    ann = person(polyglot, 3004, "en-GB")  # now her Telegram app is in English
    out = await polyglot.send(ann, "/start")
    assert texts(out) and all(text.startswith("DE ") for text in texts(out))
    assert await stored_language(polyglot, ann) == "de"
    polyglot.services.languages.forget(ann.id)  # a new process knows nobody yet
    out = await polyglot.send(ann, "/today")
    assert texts(out) and texts(out)[0].startswith("DE ")
    assert polyglot.services.languages.get(ann.id) == "de"  # one read, then remembered


async def test_export_carries_the_language_and_forget_erases_it(polyglot: Lumbar) -> None:
    ann = person(polyglot, 3005, "de-CH")
    await seeded(polyglot, ann)
    async with polyglot.services.transaction() as uow:
        await uow.users.set_language(ann.id, "de", polyglot.clock())
    out = await polyglot.send(ann, "/export")
    (document,) = [m for m in out if m.kind == "document"]
    data: dict[str, Any] = json.loads(polyglot.server.files[str(document.document_file_id)].data)
    assert data["user"]["language"] == "de"
    await polyglot.send(ann, "/forget")
    out = await polyglot.press(ann, "Yes")
    assert texts(out)[-1].startswith("DE ")  # the goodbye still in hers
    async with polyglot.services.sessions() as session:
        assert await session.scalar(select(User).where(User.id == ann.id)) is None
    assert polyglot.services.languages.get(ann.id) is MISSING
    ann = person(polyglot, 3005, "en")
    out = await polyglot.send(ann, "/start")
    assert texts(out) and not any(text.startswith("DE ") for text in texts(out))


async def test_nudges_go_out_in_each_recipients_language(polyglot: Lumbar) -> None:
    anna = person(polyglot, 3006, "de", "Anna")
    bob = person(polyglot, 3007, "en", "Bob")
    for user in (anna, bob):
        await seeded(polyglot, user)
        await polyglot.send(user, "/help")  # open the chat
    polyglot.clock.set(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC))  # 11:00 in Berlin
    report = await polyglot.dispatch()
    assert report.sent == 2
    german = polyglot.server.bot_messages(anna)[-1]
    english = polyglot.server.bot_messages(bob)[-1]
    snooze = ENGLISH.text("btn_nudge_snooze")
    assert ["DE " + snooze in label for row in german.buttons for label, _ in row].count(True) == 1
    assert [snooze == label for row in english.buttons for label, _ in row].count(True) == 1
    assert german.text_or_caption.startswith("DE ")
    assert all(label.startswith("DE ") for row in german.buttons for label, _ in row)
    assert not english.text_or_caption.startswith("DE ")
    assert not any(label.startswith("DE ") for row in english.buttons for label, _ in row)


async def test_the_menu_and_the_descriptions_are_set_per_language(polyglot: Lumbar) -> None:
    commands = polyglot.server.commands
    assert set(commands) == {("default", ""), ("default", "de")}
    english = {c["command"]: c["description"] for c in commands[("default", "")]}
    german = {c["command"]: c["description"] for c in commands[("default", "de")]}
    assert english["today"] == ENGLISH.text("cmd_today")
    assert german["today"] == "DE " + ENGLISH.text("cmd_today")
    assert list(german) == list(english)
    languages = [c.params.get("language_code") for c in polyglot.server.calls_to("setMyCommands")]
    assert sorted(languages, key=str) == sorted([None, "de"], key=str)
    profile = polyglot.server.profile
    assert profile["description:"] == ENGLISH.text("bot_description")
    assert profile["description:de"] == "DE " + ENGLISH.text("bot_description")
    assert profile["short_description:de"] == "DE " + ENGLISH.text("bot_short_description")


async def test_each_languages_card_is_uploaded_once(polyglot: Lumbar) -> None:
    anna = person(polyglot, 3008, "de", "Anna")
    berta = person(polyglot, 3009, "de-AT", "Berta")
    carl = person(polyglot, 3010, "en", "Carl")
    for user in (anna, berta, carl):
        await seeded(polyglot, user)
    uploads = polyglot.server.uploads
    first = [m for m in await polyglot.send(anna, "/today") if m.kind in CARD_KINDS]
    assert polyglot.server.uploads == uploads + 1  # the German card, drawn and uploaded
    again = [m for m in await polyglot.send(berta, "/today") if m.kind in CARD_KINDS]
    assert polyglot.server.uploads == uploads + 1  # by the German file id
    english = [m for m in await polyglot.send(carl, "/today") if m.kind in CARD_KINDS]
    assert polyglot.server.uploads == uploads + 2  # the English card is an upload of its own
    (first_card,), (again_card,), (english_card,) = first, again, english
    german_id = first_card.photo_file_id or first_card.animation_file_id
    assert german_id == (again_card.photo_file_id or again_card.animation_file_id)
    assert german_id != (english_card.photo_file_id or english_card.animation_file_id)
    async with polyglot.services.sessions() as session:
        rows = {row.key: row.file_id for row in await session.scalars(select(FileCache))}
    english_id = english_card.photo_file_id or english_card.animation_file_id
    assert set(rows.values()) == {german_id, english_id}  # one row per language
    pictures, german_library = polyglot.services.pictures, polyglot.services.library_for("de")
    (exercise,) = [e.id for e in ENGLISH.exercises if pictures.cache_key(e.id) in rows]
    assert rows[pictures.cache_key(exercise, german_library)] == german_id
    assert rows[pictures.cache_key(exercise)] == english_id
