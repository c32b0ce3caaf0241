"""The coach stays pure: only the standard library and content types, and no clock reads."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

COACH = Path(__file__).resolve().parents[2] / "bot" / "coach"
MODULES = sorted(COACH.rglob("*.py"))
ALLOWED_OURS = ("bot.coach", "content.schema")
CLOCK_ATTRS = {"now", "utcnow", "today", "monotonic", "monotonic_ns", "perf_counter", "time_ns"}
CLOCK_NAMES = {"time", "monotonic", "monotonic_ns", "perf_counter", "time_ns"}


def _allowed_module(name: str) -> bool:
    top = name.split(".")[0]
    if any(name == ours or name.startswith(ours + ".") for ours in ALLOWED_OURS):
        return True
    return top in sys.stdlib_module_names and top not in {"bot", "content", "db"}


def problems(source: str) -> list[str]:
    """Every forbidden import or clock read in one module's source."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if not _allowed_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module != "__future__" and not _allowed_module(node.module):
                found.append(f"from {node.module} import ...")
            if node.module == "time":
                found += [f"from time import {a.name}" for a in node.names if a.name in CLOCK_NAMES]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            if attr in CLOCK_ATTRS or (
                attr == "time" and isinstance(owner, ast.Name) and owner.id == "time"
            ):
                found.append(f"call .{attr}() at line {node.lineno}")
    return found


def test_the_coach_has_modules() -> None:
    names = {p.stem for p in MODULES}
    assert {"triage", "plan", "progression", "streak", "nudges", "timezones"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import telegram",
        "from telegram.ext import Application",
        "import sqlalchemy.orm",
        "from db.models import User",
        "from bot.handlers import start",
        "import yaml",
        "from content.loader import load_library",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "import time\nx = time.time()",
        "import time\nx = time.monotonic()",
        "from time import time",
    ],
)
def test_the_checker_catches_each_kind_of_leak(source: str) -> None:
    assert problems(source)


def test_the_checker_accepts_what_the_coach_may_use() -> None:
    source = (
        "from __future__ import annotations\n"
        "from datetime import UTC, date, datetime, time, timedelta\n"
        "from zoneinfo import ZoneInfo\n"
        "from content.schema import Exercise\n"
        "from bot.coach.plan import SessionPlan\n"
        "x = datetime.combine(date(2025, 1, 1), time(9), tzinfo=UTC)\n"
    )
    assert problems(source) == []
