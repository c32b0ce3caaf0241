"""Save and restore what users see (users, chats with history, files), as JSON plus blobs.

The playground keeps a chosen data folder across restarts: without this the chats would be
empty while the bot's database still points at old message ids, and new uploads would reuse
old file ids for different pictures. Calls, faults, pending updates and callback queries are
per run and not kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

from bot.emulator.state import JSON, ChatState, FakeUser, MessageVersion, StoredFile, StoredMessage
from bot.emulator.world import World

SNAPSHOT_VERSION = 1


def dump_world(world: World) -> tuple[JSON, dict[str, bytes]]:
    """Return the world as JSON and the file contents by SHA-256 (stored once each)."""
    blobs: dict[str, bytes] = {}
    files = []
    for stored in world.files.values():
        digest = hashlib.sha256(stored.data).hexdigest()
        blobs[digest] = stored.data
        entry = {f.name: getattr(stored, f.name) for f in fields(stored) if f.name != "data"}
        files.append({**entry, "blob": digest})
    chats = []
    for chat in world.chats.values():
        chats.append(
            {
                "id": chat.id,
                "type": chat.type,
                "title": chat.title,
                "user": asdict(chat.user) if chat.user else None,
                "username": chat.username,
                "blocked": chat.blocked,
                "bot_status": chat.bot_status,
                "next_message_id": chat.next_message_id,
                "reply_keyboard": chat.reply_keyboard,
                "messages": [_message(m) for m in chat.messages.values()],
            }
        )
    data: JSON = {
        "version": SNAPSHOT_VERSION,
        "users": [asdict(u) for u in world.users.values()],
        "chats": chats,
        "files": files,
        "counters": _counters(world),
    }
    return data, blobs


def _counters(world: World) -> dict[str, int]:
    # The world's own id counters, so restored ids never meet fresh ones.
    return {
        "next_update_id": world._next_update_id,
        "next_file": world._next_file,
        "next_query": world._next_query,
    }


def _restore_counters(world: World, counters: dict[str, int]) -> None:
    world._next_update_id = max(world._next_update_id, int(counters["next_update_id"]))
    world._next_file = max(world._next_file, int(counters["next_file"]))
    world._next_query = max(world._next_query, int(counters["next_query"]))


def _message(message: StoredMessage) -> JSON:
    entry = {f.name: getattr(message, f.name) for f in fields(message) if f.name != "history"}
    entry["history"] = [asdict(v) for v in message.history]
    return entry


def load_world(world: World, data: JSON, blob: Callable[[str], bytes]) -> None:
    """Restore a dump into a fresh world; `blob` reads file contents by digest."""
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unknown snapshot version {data.get('version')!r}")
    for user in data["users"]:
        world.users[int(user["id"])] = FakeUser(**user)
    for entry in data["files"]:
        values = {k: v for k, v in entry.items() if k != "blob"}
        stored = StoredFile(**values, data=blob(str(entry["blob"])))
        world.files[stored.file_id] = stored
    for entry in data["chats"]:
        user = entry["user"]
        owner = None
        if user is not None:
            owner = world.users.get(int(user["id"])) or FakeUser(**user)
        chat = ChatState(
            id=int(entry["id"]),
            type=entry["type"],
            title=entry["title"],
            user=owner,
            username=entry["username"],
            blocked=entry["blocked"],
            bot_status=entry["bot_status"],
            next_message_id=int(entry["next_message_id"]),
            reply_keyboard=entry["reply_keyboard"],
        )
        for raw in entry["messages"]:
            message = _restore_message(raw)
            chat.messages[message.message_id] = message
        world.chats[chat.id] = chat
        world.set_mark(chat.id)
    _restore_counters(world, data["counters"])
    world.touch()


def _restore_message(raw: dict[str, Any]) -> StoredMessage:
    values = {k: v for k, v in raw.items() if k != "history"}
    history = [MessageVersion(**v) for v in raw.get("history", [])]
    return StoredMessage(**values, history=history)
