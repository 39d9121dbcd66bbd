"""The README documents every setting (its config table is the one app/config/ generates) and
every JSON endpoint; /openapi.json covers the endpoints too."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Mount, Route

from app.config import AppConfig
from app.config.docs import readme_difference
from app.routes import routes
from tests.support import ROOT
from tests.support.harness import Harness

README = (ROOT / "README.md").read_text(encoding="utf-8")


def flat(table: list[BaseRoute], prefix: str = "") -> list[tuple[str, Route]]:
    found: list[tuple[str, Route]] = []
    for route in table:
        if isinstance(route, Mount):
            found += flat(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            found.append((prefix + route.path, route))
    return found


def json_routes() -> set[tuple[str, str]]:
    found = set()
    for path, route in flat(routes(AppConfig())):
        if path.startswith("/api/"):
            for method in route.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, path))
    return found


def test_the_readme_config_table_is_the_one_the_settings_generate() -> None:
    problem = readme_difference(README)
    if problem is not None:
        pytest.fail(problem, pytrace=False)


def row_of(key: str) -> str:
    return next(line for line in README.splitlines() if line.startswith(f"| `{key}` |"))


def named(problem: str | None, key: str) -> bool:
    return (problem or "").startswith(
        f"the README's config table differs from app/config/ at `{key}`:"
    )


@pytest.mark.parametrize(
    ("key", "old", "new"),
    [
        ("apps[].app_config.limits.streams_per_user", "(`16`)", "(`32`)"),  # a default
        ("apps[].app_config.agent.stream_seconds", "0..60", "0..30"),  # a bound
        ("apps[].app_config.sse.key_prefix", "Redis", "redis"),  # the help
    ],
)
def test_a_row_edited_by_hand_is_named(key: str, old: str, new: str) -> None:
    row = row_of(key)
    assert named(readme_difference(README.replace(row, row.replace(old, new))), key)


def test_a_key_missing_from_the_readme_is_named() -> None:
    key = "apps[].app_config.admin.secret"
    assert named(readme_difference(README.replace(row_of(key) + "\n", "")), key)


def test_every_json_endpoint_is_listed_in_the_readme() -> None:
    listed = set(re.findall(r"^\| `(GET|POST|PATCH|PUT|DELETE) (/api/[^`]+)` \|", README, re.M))
    assert json_routes() - listed == set()


async def test_openapi_covers_every_json_endpoint(harness: Harness) -> None:
    document = (await harness.client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    described = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert json_routes() - described == set()
    feedback_body = document["components"]["schemas"]["FeedbackIn"]
    assert set(feedback_body["required"]) == {"taskId", "sessionId", "feedbackType"}
