"""What a test needs beyond Python, read off the test itself, so that the markers say it without
anyone remembering to write them: `pytest -m "not (browser or postgres or redis or broker or
model or sdk or server)"` is the fast tier (`make check`).

A test needs a thing when it takes a fixture that provides it, when its parameters name it, or
when its body (or a function of its module that the body calls) starts or reaches it.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

MARKERS = ("browser", "sdk", "postgres", "redis", "broker", "model", "server")

FIXTURES = {
    "postgres_url": "postgres",
    "broker": "broker",
    "llama": "model",
    "a2a_agent": "server",
    "agui_agent": "server",
    "start_server": "server",
    "server_url": "server",
    "built_wheel": "server",
    "phoenix": "server",
}
# Names whose use in a test's code means it reaches that service or starts a process.
NAMES = {
    "postgres_database": "postgres",
    "postgres_database_sync": "postgres",
    "POSTGRES_ADMIN_URL": "postgres",
    "RedisServer": "redis",
    "REDIS_URL": "redis",
    "Broker": "broker",
    "start_llama": "model",
    "start_server": "server",
    "running_server": "server",
    "start_test_agent": "server",
    "wait_until_serving": "server",
    "PhoenixServer": "server",
}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def needs(item: pytest.Item, tests_root: Path) -> Iterator[str]:
    folder = item.path.relative_to(tests_root).parts[0]
    if folder in ("browser", "sdk"):
        yield folder
    for name in getattr(item, "fixturenames", ()):
        if name in FIXTURES:
            yield FIXTURES[name]
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgres" in callspec.id:
        yield "postgres"
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    if function is not None and module is not None:
        used = _words(function)
        helpers = _module_needs(module)
        for word in used:
            yield from helpers.get(word, ())
            if word in NAMES:
                yield NAMES[word]


def _words(function: object) -> set[str]:
    try:
        return set(WORD.findall(inspect.getsource(function)))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return set()


@cache
def _module_needs(module: ModuleType) -> dict[str, set[str]]:
    """Each top-level function or class of the module, and what it needs (through the
    module's other functions too)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return {}
    bodies = {
        node.name: set(WORD.findall(ast.unparse(node)))
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    found = {name: {NAMES[w] for w in words if w in NAMES} for name, words in bodies.items()}
    changed = True
    while changed:
        changed = False
        for name, words in bodies.items():
            for word in words & found.keys():
                if word != name and not found[word] <= found[name]:
                    found[name] |= found[word]
                    changed = True
    return found
