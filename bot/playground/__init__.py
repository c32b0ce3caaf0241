"""The playground: try the real bot in a browser, with no Telegram and no token.

One process runs the Bot API emulator, the real bot pointed at it, an embedded SQLite
database and a chat page that looks like a Telegram private chat. Time is simulated by one
shared clock that the page can move forward; a move stops at each moment a nudge falls
due and runs the production nudge dispatcher there. Start it with
``python -m bot playground [--port 8080] [--data DIR]``.
"""

from bot.playground.clock import PlaygroundClock, next_local
from bot.playground.runtime import TOKEN, ClockView, Playground, PlaygroundServer
from bot.playground.web import PageServer, build_web_app

__all__ = [
    "TOKEN",
    "ClockView",
    "PageServer",
    "Playground",
    "PlaygroundClock",
    "PlaygroundServer",
    "build_web_app",
    "next_local",
]
