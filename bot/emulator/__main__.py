"""Run the Bot API emulator standalone: ``python -m bot.emulator --port 8081 [--token T]``.

Prints its Bot API base URL (``http://HOST:PORT/bot``) on one line, then serves until SIGINT or
SIGTERM. The JSON control API under ``/_emulator/`` is documented in ``bot.emulator.control``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.emulator.server import BotApiServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument("--bot-username", default="lumbar_test_bot")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until a stop signal arrives."""
    server = BotApiServer(
        token=args.token, host=args.host, port=args.port, bot_username=args.bot_username
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        sys.stdout.write(server.base_url + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
