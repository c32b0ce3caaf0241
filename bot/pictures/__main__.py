"""Command line: draw the contact sheet, every card, or every animation for checking by eye."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.pictures.cache import CardRenderer
from bot.pictures.sheet import render_contact_sheet
from content.loader import load_library


def main(argv: Sequence[str] | None = None) -> int:
    """Render the contact sheet or every card, so drawings can be checked by eye."""
    parser = argparse.ArgumentParser(prog="python -m bot.pictures", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sheet = commands.add_parser("sheet", help="all cards in one grid image")
    sheet.add_argument("out", type=Path, help="PNG file to write")
    render = commands.add_parser(
        "render", help="every card as its own PNG (cached by content hash)"
    )
    render.add_argument("--out", type=Path, required=True, help="directory for the PNG files")
    gif = commands.add_parser("gif", help="every exercise as an animated GIF (cached)")
    gif.add_argument("--out", type=Path, required=True, help="directory for the GIF files")
    parser.add_argument(
        "--language", default="en", help="draw the words in this catalog language (e.g. de)"
    )
    args = parser.parse_args(argv)
    library = load_library(language=args.language)
    if args.command == "sheet":
        path = render_contact_sheet(library, args.out)
        sys.stdout.write(f"{path}\n")
        return 0
    renderer = CardRenderer(library, args.out)
    if args.command == "gif":
        paths = {item.id: renderer.animation_path(item.id) for item in library.exercises}
    else:
        paths = renderer.render_all()
    for exercise_id, path in paths.items():
        sys.stdout.write(f"{exercise_id}\t{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
