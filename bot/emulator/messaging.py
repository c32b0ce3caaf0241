"""Bot API methods that send, edit and delete messages, answer queries and serve files."""

from __future__ import annotations

from bot.emulator import errors, media, validation
from bot.emulator.apibase import ApiBase, with_caption
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.params import Params
from bot.emulator.state import JSON, CallbackAnswer

CALLBACK_QUERY_TTL = 15.0
DELETE_WINDOW = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MEDIA_KINDS = ("photo", "animation", "document")


class MessageMethods(ApiBase):
    """sendMessage, send media, edits, deleteMessage, answerCallbackQuery, getFile."""

    # --- sending -------------------------------------------------------------------------
    async def m_send_message(self, params: Params) -> JSON:
        """Send a text message."""
        chat = self.target_chat(params)
        text = validation.message_text(
            params.get_str("text"), params.get_str("parse_mode"), params.get_json("entities")
        )
        markup = self.markup(params)
        content: JSON = {"text": text.text}
        if text.entities:
            content["entities"] = text.entity_list()
        return self.send(chat, params, content, markup)

    async def _send_media(self, params: Params, kind: str) -> JSON:
        chat = self.target_chat(params)
        caption = self.caption(params)
        markup = self.markup(params)
        stored = media.input_file(self.world, params, kind, kind)
        content = with_caption(media.media_content(stored), caption)
        if params.flag("has_spoiler"):
            content["has_media_spoiler"] = True
        if params.flag("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return self.send(chat, params, content, markup)

    async def m_send_photo(self, params: Params) -> JSON:
        """Send a photo (upload, attach:// or file_id)."""
        return await self._send_media(params, "photo")

    async def m_send_animation(self, params: Params) -> JSON:
        """Send an animation (upload or file_id)."""
        return await self._send_media(params, "animation")

    async def m_send_document(self, params: Params) -> JSON:
        """Send a document (upload or file_id)."""
        return await self._send_media(params, "document")

    async def m_send_chat_action(self, params: Params) -> bool:
        """Accept a chat action such as typing."""
        self.target_chat(params)
        if params.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # --- editing and deleting ------------------------------------------------------------
    async def m_edit_message_text(self, params: Params) -> JSON:
        """Edit a bot text message; no reply_markup removes the inline keyboard."""
        message = self.editable(params)
        if message.text is None:
            raise ApiError(400, errors.NO_TEXT_TO_EDIT)
        text = validation.message_text(
            params.get_str("text"), params.get_str("parse_mode"), params.get_json("entities")
        )
        markup = self.markup(params, inline_only=True)
        content: JSON = {"text": text.text}
        if text.entities:
            content["entities"] = text.entity_list()
        return self.apply_edit(message, content, markup)

    async def m_edit_message_caption(self, params: Params) -> JSON:
        """Edit the caption of a bot media message."""
        message = self.editable(params)
        if message.kind not in MEDIA_KINDS:
            raise ApiError(400, errors.NO_CAPTION_TO_EDIT)
        caption = self.caption(params)
        markup = self.markup(params, inline_only=True)
        return self.apply_edit(message, with_caption(message.content, caption), markup)

    async def m_edit_message_reply_markup(self, params: Params) -> JSON:
        """Replace or remove the inline keyboard of a bot message."""
        message = self.editable(params)
        markup = self.markup(params, inline_only=True)
        return self.apply_edit(message, message.content, markup, dated=False)

    async def m_edit_message_media(self, params: Params) -> JSON:
        """Replace the photo, animation or document of a bot media message."""
        message = self.editable(params)
        if message.kind not in MEDIA_KINDS:
            raise bad_request("there is no media in the message to edit")
        spec = params.get_json("media", error="can't parse InputMedia JSON object")
        if not isinstance(spec, dict) or spec.get("type") not in MEDIA_KINDS:
            raise bad_request("can't parse InputMedia JSON object")
        kind = str(spec["type"])
        sub = Params(
            values={
                "caption": spec.get("caption"),
                "parse_mode": spec.get("parse_mode"),
                "caption_entities": spec.get("caption_entities"),
                kind: spec.get("media"),
                # InputMediaAnimation may say these; Telegram reads them off the file if not.
                "width": spec.get("width"),
                "height": spec.get("height"),
                "duration": spec.get("duration"),
            },
            files=params.files,
        )
        caption = self.caption(sub)
        markup = self.markup(params, inline_only=True)
        stored = media.input_file(self.world, sub, kind, kind)
        content = with_caption(media.media_content(stored), caption)
        if spec.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self.apply_edit(message, content, markup)

    async def m_delete_message(self, params: Params) -> bool:
        """Delete a message (bot's own, or any in a private chat, within 48 hours)."""
        chat = self.target_chat(params)
        message = chat.messages.get(params.req_int("message_id"))
        if message is None or message.deleted:
            raise ApiError(400, errors.DELETE_NOT_FOUND)
        too_old = self.world.now() - message.date > DELETE_WINDOW
        not_admin = (
            chat.type != "private" and not message.from_bot and (chat.bot_status != "administrator")
        )
        if too_old or not_admin:
            raise ApiError(400, errors.CANT_DELETE)
        message.deleted = True
        message.deleted_at = self.world.date()
        self.world.touch()
        return True

    # --- callback queries and files ------------------------------------------------------
    async def m_answer_callback_query(self, params: Params) -> bool:
        """Answer a button press once, within 15 seconds of the server clock."""
        query_id = params.get_str("callback_query_id") or ""
        query = self.world.callback_queries.get(query_id)
        if (
            query is None
            or query.answer is not None
            or self.world.now() - query.created_at > CALLBACK_QUERY_TTL
        ):
            raise ApiError(400, errors.QUERY_TOO_OLD)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            text=text,
            show_alert=params.flag("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
            at=self.world.now(),
        )
        self.world.callback_answers[query_id] = query.answer
        self.world.touch()
        return True

    async def m_get_file(self, params: Params) -> JSON:
        """Describe a stored file so the bot can download it from the file URL."""
        stored = self.world.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
