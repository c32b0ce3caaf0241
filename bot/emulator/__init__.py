"""A Telegram Bot API test server ("emulator") that bots talk to over real loopback HTTP.

Tests act as users through it (``send_text``, ``press``...) and read what the bot did
(``chat``, ``calls``...). The bot itself never imports this package. Typical use::

    async with BotApiServer(token="123456:TEST") as server:
        app = application_builder(server).build()  # from bot.emulator.ptb; add handlers
        async with polling(app):
            ann = server.user(42)
            server.send_text(ann, "/start")
            await server.settle()
            assert server.last_bot_message(ann).text == "Hello"

``python -m bot.emulator`` runs it standalone; its JSON control API is documented in
``bot.emulator.control``.
"""

from bot.emulator.errors import ApiError, EmulatorTimeoutError, ScenarioError
from bot.emulator.server import BotApiServer
from bot.emulator.state import (
    ApiCall,
    CallbackAnswer,
    CallbackQuery,
    ChatState,
    FakeUser,
    Fault,
    MessageVersion,
    StoredFile,
    StoredMessage,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiServer",
    "CallbackAnswer",
    "CallbackQuery",
    "ChatState",
    "EmulatorTimeoutError",
    "FakeUser",
    "Fault",
    "MessageVersion",
    "ScenarioError",
    "StoredFile",
    "StoredMessage",
]
