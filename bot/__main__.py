"""`python -m bot`: run the bot, or render the exercise cards for a look."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from telegram.error import InvalidToken


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run; every start-up failure is one line and a non-zero code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Lumbar, the back coach.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sheet = sub.add_parser("sheet", help="render every exercise card into one contact sheet")
    sheet.add_argument("out", type=Path)
    play = sub.add_parser("playground", help="try the bot in a browser, no Telegram needed")
    play.add_argument("--port", type=int, default=8080, help="page port on 127.0.0.1")
    play.add_argument("--data", type=Path, default=None, help="keep data here (default: temp)")
    args = parser.parse_args(argv)

    if args.command == "playground":
        from bot.playground.cli import run as run_playground

        return run_playground(args.port, args.data)

    if args.command == "sheet":
        from bot.pictures import render_contact_sheet
        from content.loader import load_library

        render_contact_sheet(load_library(), args.out)
        print(f"contact sheet written to {args.out}")
        return 0
    return _run_bot()


def _run_bot() -> int:
    """Run until stopped; exit codes 2 config, 3 token refused, 4 database, 5 no Bot API, 6 port."""
    from telegram.error import NetworkError

    from bot.app import run
    from bot.config import Settings, describe_errors
    from bot.logs import configure_logging
    from bot.startup import ConfigurationError, StartupError
    from content.loader import ContentError

    try:
        settings = Settings()  # type: ignore[call-arg,unused-ignore]  # from the environment
    except ValidationError as error:
        if _no_token(error):
            return _fail(_no_token_line(describe_errors(error)), 2)
        return _fail(f"configuration error: {describe_errors(error)}", 2)
    except UnicodeDecodeError:  # the environment is text already; only .env is decoded
        return _fail("configuration error: .env is not UTF-8 text", 2)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return _fail(f"configuration error: .env cannot be read: {reason}", 2)
    token = settings.telegram_bot_token.get_secret_value()
    configure_logging(settings.log_level, [token])
    try:
        run(settings)
    except InvalidToken:
        return _fail("the Bot API server rejected TELEGRAM_BOT_TOKEN", 3)
    except ConfigurationError as error:
        return _fail(f"configuration error: {error}", error.exit_code)
    except StartupError as error:
        return _fail(str(error), error.exit_code)
    except ContentError as error:
        return _fail(f"content error: {str(error).splitlines()[0]}", 2)
    except NetworkError as error:
        where = settings.telegram_base_url.split("://", 1)[-1].split("/", 1)[0]
        return _fail(f"cannot reach the Bot API server at {where}: {type(error).__name__}", 5)
    except KeyboardInterrupt:
        pass
    return 0


PLAYGROUND_COMMAND = "python -m bot playground"
# Names people reach for first; the bot reads only TELEGRAM_BOT_TOKEN.
_LOOKALIKES = ("TELEGRAM_TOKEN", "BOT_TOKEN")


def _no_token(error: ValidationError) -> bool:
    """The token is missing or empty (the first start, most likely), whatever else is wrong."""
    return any(
        item["loc"] == ("telegram_bot_token",)
        and (item["type"] == "missing" or item.get("input") == "")
        for item in error.errors()
    )


def _no_token_line(described: str) -> str:
    """What a first start without a token says: where to get one, or how to try without.

    A token under another name is named (never its value); other bad settings follow.
    """
    found = [name for name in _LOOKALIKES if os.environ.get(name)]
    aside = f" ({found[0]} is set, but Lumbar reads TELEGRAM_BOT_TOKEN)" if found else ""
    others = [p for p in described.split("; ") if not p.startswith("TELEGRAM_BOT_TOKEN ")]
    also = f"; also {'; '.join(others)}" if others else ""
    return (
        f"no bot token{aside}: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you,"
        f" or try Lumbar in your browser without one: {PLAYGROUND_COMMAND}{also}"
    )


def _fail(message: str, code: int) -> int:
    """One line on stderr, and the exit code for it."""
    print(f"lumbar: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
