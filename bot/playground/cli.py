"""`python -m bot playground`: serve the page until Ctrl-C or SIGTERM, then clean up."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bot.logs import configure_logging
from bot.playground.runtime import TOKEN, Playground
from bot.playground.web import PageServer

HOST = "127.0.0.1"


async def serve(port: int, data: Path | None) -> None:
    """Run the emulator, the bot and the page in this loop until a stop signal."""
    temp = Path(tempfile.mkdtemp(prefix="lumbar-playground-")) if data is None else None
    folder = temp or data
    assert folder is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    playground = Playground(folder, persist=temp is None)
    page = PageServer(playground, HOST, port)
    try:
        await page.start()  # first: a busy port fails before the slow start of the bot
        await playground.start()
        sys.stdout.write(page.url + "\n")
        sys.stdout.flush()
        where = "a temporary folder, removed at exit" if temp else str(folder)
        print(
            f"lumbar playground: open the address above; data in {where}; Ctrl-C stops",
            file=sys.stderr,
        )
        await stop.wait()
    finally:
        # The bot first (it talks to the emulator), then the emulator (which releases the
        # page's long polls), then the page itself.
        await playground.stop()
        await page.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def run(port: int, data: Path | None) -> int:
    """Entry point for the `playground` subcommand; returns the exit code."""
    configure_logging("INFO", [TOKEN])
    try:
        asyncio.run(serve(port, data))
    except OSError as error:
        print(f"lumbar playground: cannot start: {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
