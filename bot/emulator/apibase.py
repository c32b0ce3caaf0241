"""Shared checks of the Bot API methods: which chat, which message, which keyboard."""

from __future__ import annotations

import asyncio

from bot.emulator import errors, validation
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.html import Formatted
from bot.emulator.params import Params
from bot.emulator.state import JSON, ChatState, StoredMessage
from bot.emulator.world import World


def is_inline(markup: JSON | None) -> bool:
    """Tell whether a reply_markup is an inline keyboard (the only kind a Message echoes)."""
    return bool(markup) and "inline_keyboard" in (markup or {})


def with_caption(content: JSON, caption: Formatted | None) -> JSON:
    """Return message content with its caption replaced (None removes it)."""
    result = {k: v for k, v in content.items() if k not in ("caption", "caption_entities")}
    if caption is not None:
        result["caption"] = caption.text
        if caption.entities:
            result["caption_entities"] = caption.entity_list()
    return result


class ApiBase:
    """The world plus the checks every message method shares."""

    def __init__(self, world: World, stopping: asyncio.Event) -> None:
        self.world = world
        self.stopping = stopping

    def target_chat(self, params: Params) -> ChatState:
        """Find the chat a call is aimed at, refusing it the way Telegram would."""
        chat = self.world.chats.get(params.chat_id())
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, errors.BLOCKED)
        if chat.bot_status == "kicked":
            raise ApiError(
                403,
                errors.KICKED
                if chat.type != "channel"
                else "Forbidden: bot is not a member of the channel chat",
            )
        if chat.bot_status == "left":
            raise ApiError(403, errors.NOT_MEMBER)
        return chat

    def reply_target(self, chat: ChatState, params: Params) -> int | None:
        """Resolve reply_parameters / reply_to_message_id to a message in the chat."""
        reply = params.get_json("reply_parameters")
        message_id = params.get_int("reply_to_message_id")
        allow = params.flag("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        if message_id is None:
            return None
        original = chat.messages.get(int(message_id))
        if original is None or original.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return original.message_id

    def markup(self, params: Params, *, inline_only: bool = False) -> JSON | None:
        """Decode and check reply_markup."""
        raw = params.get_json("reply_markup", error="can't parse reply keyboard markup JSON object")
        return validation.reply_markup(raw, inline_only=inline_only)

    def send(self, chat: ChatState, params: Params, content: JSON, markup: JSON | None) -> JSON:
        """Store a bot message and answer with its Message JSON."""
        reply_to = self.reply_target(chat, params)
        message = self.world.add_message(
            chat,
            from_bot=True,
            sender=self.world.bot_json(),
            content=content,
            reply_markup=markup,
            reply_to=reply_to,
            silent=params.flag("disable_notification"),
        )
        if markup and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup and "remove_keyboard" in markup:
            chat.reply_keyboard = None
        return self.world.message_json(message)

    def caption(self, params: Params) -> Formatted | None:
        """Decode and check a caption."""
        return validation.caption(
            params.get_str("caption"),
            params.get_str("parse_mode"),
            params.get_json("caption_entities"),
        )

    def editable(self, params: Params) -> StoredMessage:
        """Find the bot message an edit* call targets."""
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.target_chat(params)
        message = chat.messages.get(params.req_int("message_id"))
        if message is None or message.deleted:
            raise ApiError(400, errors.EDIT_NOT_FOUND)
        if not message.from_bot:
            raise ApiError(400, errors.CANT_EDIT)
        return message

    def apply_edit(
        self, message: StoredMessage, content: JSON, markup: JSON | None, *, dated: bool = True
    ) -> JSON:
        """Replace a message's content and keyboard, keeping history; refuse a no-op edit."""
        current = message.reply_markup if is_inline(message.reply_markup) else None
        if content == message.content and markup == current:
            raise ApiError(400, errors.NOT_MODIFIED)
        message.history.append(message.snapshot())
        if content != message.content and dated:
            message.edit_date = self.world.date()
        message.content = content
        if markup is not None or is_inline(message.reply_markup):
            message.reply_markup = markup
        self.world.touch()
        return self.world.message_json(message)
