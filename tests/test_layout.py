"""The package tree shows the design: no import cycles, small modules, distinct names."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

APP = ROOT / "app"
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in APP.rglob("*.py") if "migrations" not in path.parts}


def imported(path: Path) -> set[str]:
    """The app modules a module imports, at any depth (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("app"):
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {name: imported(path) - {name} for name, path in MODULES.items()}
    # Importing `a.b.c` runs the packages `a` and `a.b` first.
    for name in list(graph):
        for target in list(graph[name]):
            parent = target.rpartition(".")[0]
            while parent:
                if parent in MODULES and parent != name and not name.startswith(parent + "."):
                    graph[name].add(parent)
                parent = parent.rpartition(".")[0]
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_there_is_no_import_cycle_anywhere_in_the_app() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: size for name, size in sizes.items() if size > MAX_LINES} == {}


def test_no_two_modules_differ_only_by_a_suffix() -> None:
    stems = {path.stem for path in MODULES.values() if path.stem != "__init__"}
    stems |= {path.parent.name for path in MODULES.values()}
    clashes = sorted((a, b) for a in stems for b in stems if b.startswith(a + "_"))
    assert clashes == []


# Where SQL may be written: the store modules (`*/store.py`, `*/store/`), the database
# package and the write path.
SQL_MODULES = {"app.feedback.listing", "app.publishing.outbox", "app.db.writer"}


def writes_sql(name: str) -> bool:
    in_store = name.endswith(".store") or ".store." in name
    return name in SQL_MODULES or in_store or name.startswith("app.db")


def test_sql_lives_only_in_store_modules() -> None:
    """Elsewhere sqlalchemy may only name the Connection a store function takes (or its Engine)."""
    offenders = {}
    for name, path in MODULES.items():
        if writes_sql(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names} - {"Connection", "Engine"}
                if names:
                    offenders[name] = sorted(names)
    assert offenders == {}


def test_dialects_build_on_the_feedback_package_never_on_the_api() -> None:
    graph = import_graph()
    crossing = {
        name: sorted(t for t in targets if t.startswith("app.api"))
        for name, targets in graph.items()
        if name.startswith("app.compat")
    }
    assert {name: targets for name, targets in crossing.items() if targets} == {}


# The layers, bottom up: a part of the app imports only from its own layer or those below.
# ARCHITECTURE.md draws the same picture.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "errors",
        "clock",
        "bounds",
        "bus",
        "identity",
        "redaction",
        "boundary",
        "resources",
        "metrics",
        "i18n",
    ),
    ("config",),
    ("db", "tracing"),
    ("transcripts",),
    ("feedback",),
    ("agents", "live", "publishing", "alerts", "datasets"),
    ("web",),
    ("api", "compat", "widget", "console", "link_answers"),
    ("retention", "routes", "server", "protocols", "main", "cli", "__main__"),
)
LAYER_OF = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str:
    """The top-level package or module of the app a module belongs to."""
    return module.split(".")[1] if module.count(".") else module


def package_graph() -> dict[str, set[str]]:
    parts: dict[str, set[str]] = {}
    for name, targets in import_graph().items():
        if name == "app":
            continue
        here = part_of(name)
        parts.setdefault(here, set()).update(
            part_of(target) for target in targets if target != "app" and part_of(target) != here
        )
    return parts


def test_every_part_of_the_app_has_a_layer() -> None:
    assert sorted(set(package_graph()) - set(LAYER_OF)) == []


def test_there_is_no_cycle_between_packages() -> None:
    assert find_cycle(package_graph()) is None


def test_packages_depend_downward_only() -> None:
    upward = {
        (part, target)
        for part, targets in package_graph().items()
        for target in targets
        if LAYER_OF[target] > LAYER_OF[part]
    }
    assert sorted(upward) == []
