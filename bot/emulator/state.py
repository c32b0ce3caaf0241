"""The emulator's data model: users, chats, messages with edit history, queries, files, calls.

Everything here is plain data so that tests and the playground can read it directly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
Button = tuple[str, str | None]


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user the tests act as."""

    id: int
    first_name: str = "Ann"
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None

    def to_json(self) -> JSON:
        """Return the Bot API User object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class ChatState:
    """A chat as Telegram keeps it: identity, membership of the bot and its messages."""

    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None
    username: str | None = None
    blocked: bool = False
    bot_status: str = "member"
    messages: dict[int, StoredMessage] = field(default_factory=dict, repr=False)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None

    def to_json(self) -> JSON:
        """Return the Bot API Chat object."""
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or f"Chat {self.id}"
            if self.username:
                data["username"] = self.username
        return data


@dataclass(frozen=True)
class MessageVersion:
    """What a message looked like before an edit replaced it."""

    content: JSON
    reply_markup: JSON | None
    edit_date: int | None
    replaced_at: int


@dataclass
class StoredMessage:
    """A message in a chat with its current state and every earlier version."""

    message_id: int
    chat_id: int
    chat: JSON
    date: int
    from_bot: bool
    sender: JSON | None
    content: JSON
    reply_markup: JSON | None = None
    sender_chat: JSON | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    deleted_at: int | None = None
    silent: bool = False
    history: list[MessageVersion] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        """Return the current text (None for media messages)."""
        value = self.content.get("text")
        return value if isinstance(value, str) else None

    @property
    def caption(self) -> str | None:
        """Return the current caption of a media message."""
        value = self.content.get("caption")
        return value if isinstance(value, str) else None

    @property
    def text_or_caption(self) -> str:
        """Return whichever of text and caption the message has, else an empty string."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[JSON]:
        """Return the current text or caption entities."""
        value = self.content.get("entities") or self.content.get("caption_entities") or []
        return list(value)

    @property
    def kind(self) -> str:
        """Name the content: text, photo, animation, document, sticker, location, ..."""
        for key in (
            "text",
            "animation",
            "photo",
            "document",
            "sticker",
            "voice",
            "location",
            "contact",
        ):
            if key in self.content:
                return key
        return "service"

    @property
    def photo_file_id(self) -> str | None:
        """Return the file_id of the largest photo size, if this is a photo."""
        sizes = self.content.get("photo")
        return str(sizes[-1]["file_id"]) if sizes else None

    @property
    def animation_file_id(self) -> str | None:
        """Return the animation's file_id, if any."""
        value = self.content.get("animation")
        return str(value["file_id"]) if value else None

    @property
    def document_file_id(self) -> str | None:
        """Return the document's file_id, if any (animations carry one too, like Telegram)."""
        value = self.content.get("document")
        return str(value["file_id"]) if value else None

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Return the current inline keyboard rows, empty when none."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return [list(row) for row in self.reply_markup["inline_keyboard"]]
        return []

    @property
    def buttons(self) -> list[list[Button]]:
        """Return the inline keyboard as rows of (text, callback_data or None)."""
        return [
            [(str(b["text"]), b.get("callback_data")) for b in row] for row in self.inline_keyboard
        ]

    def has_callback(self, data: str) -> bool:
        """Tell whether a button with this callback_data is on the message right now."""
        return any(data == b.get("callback_data") for row in self.inline_keyboard for b in row)

    def snapshot(self) -> MessageVersion:
        """Freeze the current state before an edit."""
        return MessageVersion(
            copy.deepcopy(self.content),
            copy.deepcopy(self.reply_markup),
            self.edit_date,
            self.edit_date or self.date,
        )

    def view(self) -> JSON:
        """Return a JSON view for the control API and playground (state plus history)."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "content": self.content,
            "reply_markup": self.reply_markup,
            "reply_to": self.reply_to,
            "edit_date": self.edit_date,
            "deleted": self.deleted,
            "silent": self.silent,
            "history": [
                {"content": v.content, "reply_markup": v.reply_markup, "edit_date": v.edit_date}
                for v in self.history
            ],
        }


@dataclass
class CallbackAnswer:
    """The bot's answer to a callback query (what the user sees as a toast or alert)."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    at: float


@dataclass
class CallbackQuery:
    """A button press and whether the bot answered it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answer: CallbackAnswer | None = None


@dataclass
class StoredFile:
    """An uploaded or user-sent file, addressable by file_id and downloadable."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0
    sizes: list[JSON] = field(default_factory=list)
    thumbnail: JSON | None = None  # a PhotoSize, as Telegram makes for animations
    # The type of ``data`` when it is not ``mime_type``: a GIF kept as uploaded, where
    # Telegram would keep the MP4 it makes of it (the emulator does not transcode).
    data_type: str | None = None

    @property
    def served_type(self) -> str:
        """Return the Content-Type the stored bytes are served with."""
        return (self.data_type or self.mime_type or "application/octet-stream").split(";")[0]

    def to_json(self) -> JSON:
        """Return the Bot API object for this kind (Document, Animation, Sticker, Voice...)."""
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind in ("animation", "sticker", "video"):
            data.update(width=self.width, height=self.height)
        if self.kind in ("animation", "voice", "video"):
            data["duration"] = self.duration
        if self.file_name and self.kind in ("animation", "document", "video"):
            data["file_name"] = self.file_name
        if self.mime_type and self.kind != "sticker":
            data["mime_type"] = self.mime_type
        if self.thumbnail is not None:
            data["thumbnail"] = dict(self.thumbnail)
        return data


@dataclass
class ApiCall:
    """One request the bot made: method, parameters (file bytes replaced) and the outcome."""

    method: str
    params: JSON
    status: int = 0
    at: float = 0.0
    description: str | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the call succeeded."""
        return self.status == 200

    def view(self) -> JSON:
        """Return a JSON view for the control API."""
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "at": self.at,
            "description": self.description,
            "fault": self.fault,
        }


@dataclass
class Fault:
    """A queued misbehaviour for the next calls of one method (optionally one chat)."""

    kind: str
    method: str
    times: int = 1
    status: int = 0
    retry_after: int | None = None
    description: str | None = None
    chat_id: int | None = None
    seconds: float = 0.0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Tell whether this fault applies to a call of ``method`` aimed at ``chat_id``."""
        if self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def view(self) -> JSON:
        """Return a JSON view for the control API."""
        return {
            "kind": self.kind,
            "method": self.method,
            "times": self.times,
            "status": self.status,
            "retry_after": self.retry_after,
            "description": self.description,
            "chat_id": self.chat_id,
            "seconds": self.seconds,
        }
