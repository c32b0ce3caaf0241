"""Telegram's limits on text, captions, keyboards and commands, so a bot that breaks them fails."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator import errors
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.html import Formatted, parse_formatted, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_COMMANDS = 100
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
REPLY_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def strip(formatted: Formatted) -> Formatted:
    """Trim surrounding whitespace like Telegram does, shifting and clipping entities."""
    text = formatted.text.strip()
    lead = utf16_len(formatted.text[: len(formatted.text) - len(formatted.text.lstrip())])
    end = utf16_len(text)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - lead)
        stop = min(end, entity["offset"] + entity["length"] - lead)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return Formatted(text, tuple(entities))


def message_text(text: str | None, parse_mode: str | None, entities: Any = None) -> Formatted:
    """Parse a message text and enforce 1..4096 characters after parsing and trimming."""
    if text is None or not text.strip():
        raise ApiError(400, errors.TEXT_EMPTY)
    formatted = strip(parse_formatted(text, parse_mode, entities))
    if not formatted.text:
        raise ApiError(400, errors.TEXT_EMPTY)
    if utf16_len(formatted.text) > MAX_TEXT:
        raise ApiError(400, errors.TEXT_TOO_LONG)
    return formatted


def caption(text: str | None, parse_mode: str | None, entities: Any = None) -> Formatted | None:
    """Parse an optional caption and enforce at most 1024 characters after parsing."""
    if text is None or text == "":
        return None
    formatted = strip(parse_formatted(text, parse_mode, entities))
    if utf16_len(formatted.text) > MAX_CAPTION:
        raise ApiError(400, errors.CAPTION_TOO_LONG)
    return formatted if formatted.text else None


def _button_text(button: Any) -> str:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    return str(button["text"])


def _inline_button(button: Any) -> None:
    _button_text(button)
    actions = [key for key in INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise ApiError(400, errors.BUTTON_DATA_INVALID)
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'Field "{key}" of the reply markup must be an Array of Arrays')
    count = sum(len(row) for row in rows)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def _reply_button(button: Any) -> None:
    if isinstance(button, str):
        if not button.strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        return
    _button_text(button)
    requests = [key for key in REPLY_REQUESTS if button.get(key)]
    if len(requests) > 1:
        raise bad_request("can't parse keyboard button: only one request field may be used")


def reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a reply_markup object the way Telegram does; return it unchanged when valid."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = _rows(markup, "keyboard")
        for row in rows:
            for button in row:
                _reply_button(button)
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and len(str(placeholder)) > 64:
            raise bad_request("input field placeholder is too long")
        return markup
    if "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request('Field "remove_keyboard" must be true')
        return markup
    if "force_reply" in markup:
        if markup["force_reply"] is not True:
            raise bad_request('Field "force_reply" must be true')
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def bot_commands(commands: Any) -> list[dict[str, str]]:
    """Check setMyCommands' list: 1..32 lowercase chars, description 1..256, at most 100."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = str(command.get("command", "")).removeprefix("/")
        description = str(command.get("description", ""))
        if not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    return checked


def scope_key(scope: Any) -> str:
    """Name a BotCommandScope compactly: "default", "all_private_chats", "chat:42"..."""
    if scope is None:
        return "default"
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    parts = [scope["type"]]
    parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
    return ":".join(parts)
