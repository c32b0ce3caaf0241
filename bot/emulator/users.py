"""The user side: what tests (and later the playground) do as Telegram users, and read back."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator import media
from bot.emulator.errors import ScenarioError
from bot.emulator.html import utf16_len
from bot.emulator.state import (
    JSON,
    Button,
    CallbackQuery,
    ChatState,
    FakeUser,
    StoredFile,
    StoredMessage,
)
from bot.emulator.world import World

UserRef = FakeUser | int
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")
ADMIN_RIGHTS: JSON = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_pin_messages": True,
}


def chat_ref(user_or_id: UserRef) -> int:
    """Return the chat id for a user (their private chat) or a plain chat id."""
    return user_or_id.id if isinstance(user_or_id, FakeUser) else int(user_or_id)


class UserSide(World):
    """Acting as users (each action enqueues a real Update) and reading chats back."""

    # --- users and chats ----------------------------------------------------------------
    def user(
        self,
        id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register (or re-register) a user; their private chat starts with their first action."""
        if id <= 0:
            raise ScenarioError("user ids are positive; groups and channels are negative")
        fake = FakeUser(id, first_name, language_code, username, last_name)
        self.users[id] = fake
        chat = self.chats.get(id)
        if chat is not None:
            chat.user = fake
        self.touch()
        return fake

    def as_user(self, user: UserRef) -> FakeUser:
        """Resolve a user or a user id (unknown ids get a default profile)."""
        if isinstance(user, FakeUser):
            return self.users.setdefault(user.id, user)
        return self.users.get(user) or self.user(user)

    def private_chat(self, user: UserRef, *, create: bool = True) -> ChatState:
        """Return the user's private chat with the bot, opening it on first use."""
        fake = self.as_user(user)
        chat = self.chats.get(fake.id)
        if chat is None:
            if not create:
                raise ScenarioError(f"user {fake.id} never wrote to the bot")
            chat = ChatState(id=fake.id, type="private", user=fake)
            self.chats[fake.id] = chat
        return chat

    def _open_private(self, user: UserRef) -> tuple[FakeUser, ChatState]:
        fake = self.as_user(user)
        chat = self.private_chat(fake)
        if chat.blocked:
            raise ScenarioError(f"user {fake.id} blocked the bot; call unblock() first")
        return fake, chat

    def _post(
        self,
        chat: ChatState,
        user: FakeUser,
        content: JSON,
        *,
        reply_to: int | None = None,
        kind: str = "message",
    ) -> StoredMessage:
        if reply_to is not None and reply_to not in chat.messages:
            raise ScenarioError(f"no message {reply_to} to reply to in chat {chat.id}")
        message = self.add_message(
            chat, from_bot=False, sender=user.to_json(), content=content, reply_to=reply_to
        )
        self.set_mark(chat.id)
        self.enqueue(kind, self.message_json(message))
        return message

    @staticmethod
    def _text_content(text: str) -> JSON:
        content: JSON = {"text": text}
        match = _COMMAND.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        return content

    # --- private chat actions -----------------------------------------------------------
    def send_text(self, user: UserRef, text: str, *, reply_to: int | None = None) -> StoredMessage:
        """Send a text (a leading /command gets its bot_command entity, like Telegram)."""
        if not text:
            raise ScenarioError("Telegram clients cannot send an empty message")
        fake, chat = self._open_private(user)
        return self._post(chat, fake, self._text_content(text), reply_to=reply_to)

    def send_location(self, user: UserRef, latitude: float, longitude: float) -> StoredMessage:
        """Share a location (what a request_location button sends)."""
        fake, chat = self._open_private(user)
        return self._post(chat, fake, {"location": {"latitude": latitude, "longitude": longitude}})

    def send_contact(
        self, user: UserRef, phone_number: str = "+15550100", first_name: str | None = None
    ) -> StoredMessage:
        """Share the user's own contact (what a request_contact button sends)."""
        fake, chat = self._open_private(user)
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or fake.first_name,
            "user_id": fake.id,
        }
        return self._post(chat, fake, {"contact": contact})

    def _user_file(self, kind: str, data: bytes, **extra: Any) -> StoredFile:
        file_id, unique, number = self.new_file_ids(kind=kind)
        return self.add_file(
            StoredFile(
                file_id=file_id,
                file_unique_id=unique,
                kind=kind,
                data=data,
                file_path=f"{media.FOLDERS[kind]}/file_{number}",
                **extra,
            )
        )

    def send_sticker(self, user: UserRef, emoji: str = "👍") -> StoredMessage:
        """Send a (fake) regular sticker."""
        fake, chat = self._open_private(user)
        stored = self._user_file("sticker", b"RIFF\x00\x00\x00\x00WEBP", width=512, height=512)
        sticker = {
            **stored.to_json(),
            "type": "regular",
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(chat, fake, {"sticker": sticker})

    def send_voice(self, user: UserRef, duration: int = 3) -> StoredMessage:
        """Send a (fake) voice note."""
        fake, chat = self._open_private(user)
        stored = self._user_file(
            "voice", b"OggS" + bytes(60), duration=duration, mime_type="audio/ogg"
        )
        return self._post(chat, fake, {"voice": stored.to_json()})

    def send_photo(
        self, user: UserRef, width: int = 640, height: int = 480, caption: str | None = None
    ) -> StoredMessage:
        """Send a real (small, plain) JPEG photo the bot can download."""
        fake, chat = self._open_private(user)
        stored = media.store_photo(self, media.fake_photo(width, height))
        content: JSON = {"photo": list(stored.sizes)}
        if caption:
            content["caption"] = caption
        return self._post(chat, fake, content)

    def send_document(
        self,
        user: UserRef,
        data: bytes = b"hello\n",
        file_name: str = "notes.txt",
        mime_type: str = "text/plain",
    ) -> StoredMessage:
        """Send a document."""
        fake, chat = self._open_private(user)
        stored = self._user_file("document", data, file_name=file_name, mime_type=mime_type)
        return self._post(chat, fake, {"document": stored.to_json()})

    def reply_keyboard(self, user: UserRef) -> list[list[str]] | None:
        """Return the custom keyboard the user sees now (button texts), None when hidden."""
        chat = self.chats.get(chat_ref(user))
        if chat is None or chat.reply_keyboard is None:
            return None
        return [
            [b if isinstance(b, str) else str(b["text"]) for b in row]
            for row in chat.reply_keyboard["keyboard"]
        ]

    def tap(
        self,
        user: UserRef,
        text: str,
        *,
        latitude: float = 52.52,
        longitude: float = 13.405,
        phone_number: str = "+15550100",
    ) -> StoredMessage:
        """Tap a reply-keyboard button: its text, or a location/contact if it requests one."""
        fake, chat = self._open_private(user)
        rows = (chat.reply_keyboard or {}).get("keyboard", [])
        buttons = [{"text": b} if isinstance(b, str) else b for row in rows for b in row]
        button = next((b for b in buttons if b["text"] == text), None)
        if button is None:
            raise ScenarioError(
                f"no reply keyboard button {text!r}; the user sees {self.reply_keyboard(fake)}"
            )
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        if button.get("request_location"):
            return self.send_location(fake, latitude, longitude)
        if button.get("request_contact"):
            return self.send_contact(fake, phone_number)
        return self.send_text(fake, text)

    def edit_text(self, user: UserRef, message_id: int, new_text: str) -> StoredMessage:
        """Edit one of the user's own text messages (an edited_message update)."""
        fake, chat = self._open_private(user)
        message = chat.messages.get(message_id)
        if message is None or message.deleted or message.from_bot or message.text is None:
            raise ScenarioError(f"user {fake.id} has no text message {message_id} to edit")
        message.history.append(message.snapshot())
        message.content = self._text_content(new_text)
        message.edit_date = self.date()
        self.set_mark(chat.id)
        self.enqueue("edited_message", self.message_json(message))
        return message

    def press(
        self,
        user: UserRef,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        force: bool = False,
    ) -> str:
        """Press an inline button; return the callback query id.

        Fails (ScenarioError) unless that message currently shows a button with this
        callback_data; ``force=True`` sends it anyway, for forged or stale data.
        """
        fake = self.as_user(user)
        target = fake.id if chat_id is None else chat_id
        chat = self.chats.get(target)
        message = chat.messages.get(message_id) if chat else None
        live = message is not None and not message.deleted
        if not force:
            if chat is None or message is None or not live:
                raise ScenarioError(f"no message {message_id} in chat {target} to press on")
            if not message.has_callback(callback_data):
                raise ScenarioError(
                    f"message {message_id} has no button {callback_data!r}; "
                    f"its buttons are {message.buttons}"
                )
            if chat.blocked:
                raise ScenarioError(f"user {fake.id} blocked the bot; call unblock() first")
        query_id = self.new_query_id()
        if message is not None and live:
            shown = self.message_json(message)
        else:
            chat_json = (
                chat.to_json()
                if chat
                else {"id": target, "type": "private", "first_name": fake.first_name}
            )
            shown = {"chat": chat_json, "message_id": message_id, "date": 0}
        self.callback_queries[query_id] = CallbackQuery(
            query_id, fake.id, target, message_id, callback_data, self.now()
        )
        self.set_mark(target)
        self.enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": fake.to_json(),
                "message": shown,
                "chat_instance": str((target * 2654435761 + self.bot_id) % 2**62),
                "data": callback_data,
            },
        )
        return query_id

    # --- membership ---------------------------------------------------------------------
    def _member_update(self, chat: ChatState, user: FakeUser, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            data: JSON = {"user": self.bot_json(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            if status == "administrator":
                data.update(ADMIN_RIGHTS)
            return data

        return self.enqueue(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": user.to_json(),
                "date": self.date(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def block(self, user: UserRef) -> JSON:
        """Block the bot: sends to this chat now get 403, and the bot hears my_chat_member."""
        fake = self.as_user(user)
        chat = self.private_chat(fake)
        if chat.blocked:
            raise ScenarioError(f"user {fake.id} already blocked the bot")
        chat.blocked = True
        return self._member_update(chat, fake, "member", "kicked")

    def unblock(self, user: UserRef) -> JSON:
        """Unblock the bot (a my_chat_member update back to member)."""
        fake = self.as_user(user)
        chat = self.private_chat(fake, create=False)
        if not chat.blocked:
            raise ScenarioError(f"user {fake.id} has not blocked the bot")
        chat.blocked = False
        return self._member_update(chat, fake, "kicked", "member")

    def add_bot_to_group(
        self, user: UserRef, group_id: int, *, title: str | None = None, admin: bool = False
    ) -> StoredMessage:
        """Add the bot to a group: a my_chat_member update, then the new_chat_members message."""
        if group_id >= 0:
            raise ScenarioError("group ids are negative")
        fake = self.as_user(user)
        chat = self.chats.get(group_id)
        if chat is None:
            chat = ChatState(
                id=group_id, type="group", title=title or f"Group {-group_id}", bot_status="left"
            )
            self.chats[group_id] = chat
        old, chat.bot_status = chat.bot_status, "administrator" if admin else "member"
        self._member_update(chat, fake, old, chat.bot_status)
        return self._post(chat, fake, {"new_chat_members": [self.bot_json()]})

    def remove_bot_from_group(self, user: UserRef, group_id: int) -> JSON:
        """Remove the bot from a group (my_chat_member to left); sends then get 403."""
        fake = self.as_user(user)
        chat = self.chats.get(group_id)
        if chat is None or chat.bot_status in ("left", "kicked"):
            raise ScenarioError(f"the bot is not in group {group_id}")
        old, chat.bot_status = chat.bot_status, "left"
        return self._member_update(chat, fake, old, "left")

    def send_group_text(self, user: UserRef, group_id: int, text: str) -> StoredMessage:
        """Say something in a group the bot was added to."""
        fake = self.as_user(user)
        chat = self.chats.get(group_id)
        if chat is None or chat.bot_status in ("left", "kicked"):
            raise ScenarioError(f"the bot is not in group {group_id}; add_bot_to_group() first")
        return self._post(chat, fake, self._text_content(text))

    def channel_post(
        self, channel_id: int, text: str, *, title: str | None = None
    ) -> StoredMessage:
        """Post in a channel where the bot is an administrator (a channel_post update)."""
        if channel_id >= 0:
            raise ScenarioError("channel ids are negative")
        chat = self.chats.get(channel_id)
        if chat is None:
            chat = ChatState(
                id=channel_id,
                type="channel",
                title=title or f"Channel {-channel_id}",
                bot_status="administrator",
            )
            self.chats[channel_id] = chat
        message = self.add_message(
            chat,
            from_bot=False,
            sender=None,
            sender_chat=chat.to_json(),
            content=self._text_content(text),
        )
        self.set_mark(chat.id)
        self.enqueue("channel_post", self.message_json(message))
        return message

    # --- reading ------------------------------------------------------------------------
    def chat(self, user_or_id: UserRef) -> list[StoredMessage]:
        """Return every message of a chat in order, both sides, deleted ones flagged."""
        chat = self.chats.get(chat_ref(user_or_id))
        return sorted(chat.messages.values(), key=lambda m: m.message_id) if chat else []

    def bot_messages(
        self, user_or_id: UserRef, *, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Return the bot's messages in a chat (deleted ones only on request)."""
        return [
            m for m in self.chat(user_or_id) if m.from_bot and (include_deleted or not m.deleted)
        ]

    def last_bot_message(self, user_or_id: UserRef) -> StoredMessage:
        """Return the bot's latest message that is still there."""
        messages = self.bot_messages(user_or_id)
        if not messages:
            raise ScenarioError(f"the bot has no message in chat {chat_ref(user_or_id)}")
        return messages[-1]

    @staticmethod
    def buttons(message: StoredMessage) -> list[list[Button]]:
        """Return a message's inline keyboard as rows of (text, callback_data or None)."""
        return message.buttons

    def mark(self, user_or_id: UserRef) -> None:
        """Start counting new bot messages in this chat from now (actions do this too)."""
        self.set_mark(chat_ref(user_or_id))

    def new_bot_messages(self, user_or_id: UserRef) -> list[StoredMessage]:
        """Return bot messages sent since the last mark (the user's last action), deleted too."""
        chat_id = chat_ref(user_or_id)
        return self.bot_messages(chat_id, include_deleted=True)[self.mark_of(chat_id) :]
