"""The Bot API dispatcher: method lookup, getUpdates long polling, commands and profile."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from bot.emulator import errors, validation
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.messaging import MessageMethods
from bot.emulator.params import Params
from bot.emulator.pusher import DEFAULT_MAX_CONNECTIONS, WebhookConfig, WebhookPusher
from bot.emulator.state import JSON
from bot.emulator.world import World

Method = Callable[[Params], Awaitable[Any]]
PROFILE_LIMITS = {"description": 512, "short_description": 120, "name": 64}
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class BotApi(MessageMethods):
    """Dispatches Bot API calls by (case-insensitive) method name onto the world."""

    def __init__(
        self, world: World, stopping: asyncio.Event, pusher: WebhookPusher | None = None
    ) -> None:
        super().__init__(world, stopping)
        self._poller = 0
        self.pusher = pusher or WebhookPusher(world)
        self.methods: dict[str, tuple[str, Method]] = {}
        for name in (
            "getMe",
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "sendMessage",
            "sendPhoto",
            "sendAnimation",
            "sendDocument",
            "editMessageText",
            "editMessageCaption",
            "editMessageReplyMarkup",
            "editMessageMedia",
            "deleteMessage",
            "answerCallbackQuery",
            "sendChatAction",
            "getFile",
            "getChat",
            "setMyDescription",
            "getMyDescription",
            "setMyShortDescription",
            "getMyShortDescription",
            "setMyName",
            "getMyName",
            "setChatMenuButton",
            "getChatMenuButton",
        ):
            handler = getattr(
                self, "m_" + "".join("_" + c.lower() if c.isupper() else c for c in name)
            )
            self.methods[name.lower()] = (name, handler)

    def canonical(self, method: str) -> str:
        """Return the method's documented spelling (Telegram ignores case)."""
        entry = self.methods.get(method.lower())
        return entry[0] if entry else method

    async def call(self, method: str, params: Params) -> Any:
        """Run one method; raise ApiError for anything Telegram would refuse."""
        entry = self.methods.get(method.lower())
        if entry is None:
            raise ApiError(404, errors.METHOD_NOT_FOUND)
        return await entry[1](params)

    # --- updates and identity ----------------------------------------------------------
    async def m_get_me(self, params: Params) -> JSON:
        """Answer getMe."""
        return self.world.me_json()

    async def m_get_updates(self, params: Params) -> list[JSON]:
        """Long-poll for updates: return early on a new update, 409 when superseded.

        While a webhook is set, Telegram refuses getUpdates with 409 (and so does a poll
        that was waiting when setWebhook came).
        """
        world = self.world
        if self.pusher.active:
            raise ApiError(409, errors.WEBHOOK_ACTIVE)
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed_updates JSON object")
            world.set_allowed_updates([str(a) for a in allowed])
        offset = params.get_int("offset")
        if offset is not None:
            world.confirm(offset)
        limit = min(100, max(1, params.get_int("limit") or 100))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        self._poller += 1
        me = self._poller
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._poller != me:
                raise ApiError(409, errors.CONFLICT)
            if self.pusher.active:
                raise ApiError(409, errors.WEBHOOK_ACTIVE)
            if world.pending:
                world.activity.delivered()
                return world.pending[:limit]
            world.activity.idle_poll()
            remaining = deadline - loop.time()
            if remaining <= 0 or self.stopping.is_set():
                return []
            world.activity.polling += 1
            try:
                await world.next_change(remaining)
            finally:
                world.activity.polling -= 1

    async def m_set_webhook(self, params: Params) -> bool:
        """Switch to pushing updates to a URL (an empty URL goes back to getUpdates)."""
        url = params.get_str("url")
        if url is None:
            raise bad_request('parameter "url" is required')
        if not url:
            return await self.m_delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token") or None
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        limit = params.get_int("max_connections")
        if limit is not None and not 1 <= limit <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get_json("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        if allowed is not None:
            self.world.set_allowed_updates([str(a) for a in allowed])
        if params.flag("drop_pending_updates"):
            self.world.pending.clear()
        self.pusher.set(
            WebhookConfig(
                url=url,
                secret_token=secret,
                max_connections=limit or DEFAULT_MAX_CONNECTIONS,
                allowed_updates=tuple(str(a) for a in allowed) if allowed is not None else None,
            )
        )
        return True

    async def m_delete_webhook(self, params: Params) -> bool:
        """Stop pushing and go back to getUpdates; optionally drop pending updates."""
        if self.pusher.active:
            await self.pusher.clear()
        if params.flag("drop_pending_updates"):
            self.world.pending.clear()
            self.world.touch()
        return True

    async def m_get_webhook_info(self, params: Params) -> JSON:
        """Answer getWebhookInfo: the URL (empty while polling), pending count, last error."""
        return self.pusher.info()

    # --- commands and profile ----------------------------------------------------------
    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope", error="can't parse BotCommandScope JSON object")
        return validation.scope_key(scope), params.get_str("language_code") or ""

    async def m_set_my_commands(self, params: Params) -> bool:
        """Store the command list for a scope and language."""
        commands = validation.bot_commands(params.get_json("commands"))
        self.world.commands[self._command_key(params)] = commands
        self.world.touch()
        return True

    async def m_get_my_commands(self, params: Params) -> list[dict[str, str]]:
        """Return the command list for a scope and language."""
        return self.world.commands.get(self._command_key(params), [])

    async def m_delete_my_commands(self, params: Params) -> bool:
        """Forget the command list for a scope and language."""
        self.world.commands.pop(self._command_key(params), None)
        self.world.touch()
        return True

    def _set_profile(self, field: str, params: Params) -> bool:
        value = params.get_str(field) or ""
        if len(value) > PROFILE_LIMITS[field]:
            raise bad_request(f"{field.upper()}_INVALID")
        self.world.profile[f"{field}:{params.get_str('language_code') or ''}"] = value
        return True

    def _get_profile(self, field: str, params: Params) -> JSON:
        key = f"{field}:{params.get_str('language_code') or ''}"
        default = self.world.bot_first_name if field == "name" else ""
        return {field: self.world.profile.get(key, default)}

    async def m_set_my_description(self, params: Params) -> bool:
        """Store the bot description."""
        return self._set_profile("description", params)

    async def m_get_my_description(self, params: Params) -> JSON:
        """Return the bot description."""
        return self._get_profile("description", params)

    async def m_set_my_short_description(self, params: Params) -> bool:
        """Store the bot short description."""
        return self._set_profile("short_description", params)

    async def m_get_my_short_description(self, params: Params) -> JSON:
        """Return the bot short description."""
        return self._get_profile("short_description", params)

    async def m_set_my_name(self, params: Params) -> bool:
        """Store the bot name."""
        return self._set_profile("name", params)

    async def m_get_my_name(self, params: Params) -> JSON:
        """Return the bot name."""
        return self._get_profile("name", params)

    async def m_set_chat_menu_button(self, params: Params) -> bool:
        """Store the menu button (per chat or default)."""
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        self.world.menu_buttons[params.get_int("chat_id")] = button
        return True

    async def m_get_chat_menu_button(self, params: Params) -> JSON:
        """Return the menu button (per chat or default)."""
        buttons = self.world.menu_buttons
        return buttons.get(params.get_int("chat_id"), buttons.get(None, {"type": "commands"}))

    async def m_get_chat(self, params: Params) -> JSON:
        """Return a ChatFullInfo for a chat the bot knows."""
        chat = self.world.chats.get(params.chat_id())
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        gifts = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }
