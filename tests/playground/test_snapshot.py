"""Saving and restoring the emulator's world: what a kept playground folder brings back."""

from __future__ import annotations

import json

import pytest

from bot.emulator import BotApiServer
from bot.emulator.snapshot import dump_world, load_world


def test_a_restored_world_shows_the_same_chats_files_and_never_reuses_ids() -> None:
    old = BotApiServer(token="123456:SNAPSHOT-test-token")
    ann = old.user(1001, first_name="Ann")
    old.send_text(ann, "/start")
    photo = old.send_photo(ann, caption="my back")
    sent = old.send_text(ann, "first words")
    old.edit_text(ann, sent.message_id, "second words")
    old.private_chat(ann).reply_keyboard = {
        "keyboard": [[{"text": "📍", "request_location": True}]]
    }

    data, blobs = dump_world(old)
    data = json.loads(json.dumps(data))  # it really is JSON

    new = BotApiServer(token="123456:SNAPSHOT-test-token")
    load_world(new, data, blobs.__getitem__)

    assert [m.view() for m in new.chat(ann)] == [m.view() for m in old.chat(ann)]
    assert new.chat(ann)[-1].history[0].content["text"] == "first words"
    assert new.reply_keyboard(1001) == [["📍"]]
    old_file = photo.photo_file_id
    assert old_file is not None and new.files[old_file].data == old.files[old_file].data
    fresh = new.send_photo(ann)
    assert fresh.message_id > sent.message_id, "message ids continue"
    assert fresh.photo_file_id not in old.files, "a new upload never takes an old file id"


def test_an_unknown_snapshot_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        load_world(BotApiServer(), {"version": 99}, lambda digest: b"")
