"""The README documents every setting and every JSON endpoint; /openapi.json covers them too."""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Mount, Route

from app.config import AppConfig
from app.config.docs import documented_keys
from app.routes import routes
from tests.conftest import Harness
from tests.support import ROOT

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


def test_every_settings_key_is_documented() -> None:
    table_keys = set(re.findall(r"^\| `([^`]+)` \|", README, flags=re.MULTILINE))
    missing = [key for key in documented_keys() if key not in table_keys]
    assert missing == [], f"document these keys in README.md: {missing}"


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
