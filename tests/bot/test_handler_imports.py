"""The handlers import one another in one direction only: no circle, not even a lazy one."""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "bot" / "handlers"


def _imports(path: Path) -> set[str]:
    """Handler modules this one imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("bot.handlers."):
                found.add(node.module.removeprefix("bot.handlers."))
            elif node.module == "bot.handlers":
                found.update(alias.name for alias in node.names)
    return found


def test_no_handler_imports_another_that_imports_it_back() -> None:
    graph = {path.stem: _imports(path) for path in HANDLERS.glob("*.py") if path.stem != "__init__"}
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif target in graph:
                walk(target, [*trail, target])

    for start in sorted(graph):
        walk(start, [start])
    assert cycles == []
    # The adapters named in the issue still exist and are connected as the layers say.
    assert "triage" in graph["gate"] and "gate" in graph["session"]
