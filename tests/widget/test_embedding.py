"""The README's token-mode embedding recipe, followed to the letter: its config, its session
request, its token, then the embedded widget."""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import jwt
import yaml
from bs4 import BeautifulSoup

from tests.support import ROOT
from tests.support.harness import HarnessFactory

README = (ROOT / "README.md").read_text(encoding="utf-8")
RECIPE = README[README.index("## Embedding in a host site") :]
ENV = {
    "FEEDBACK_WIDGET_SECRET": "recipe-secret-" + "r" * 40,
    "FEEDBACK_WIDGET_PLATFORM_KEY": "platform-key-0123456789",
}


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", RECIPE, re.S)
    assert found, f"the recipe has no {language} block"
    return found.group(1)


async def test_the_token_mode_recipe_works_as_written(make_harness: HarnessFactory) -> None:
    app_config: dict[str, Any] = yaml.safe_load(block("yaml"))["apps"][0]["app_config"]
    harness = await make_harness(env=ENV, **app_config)

    curl = block("sh")
    body = json.loads(re.search(r"-d '(\{.*\})'", curl).group(1))  # type: ignore[union-attr]
    assert '-H "X-API-Key: $FEEDBACK_WIDGET_PLATFORM_KEY"' in curl
    created = await harness.client.post(
        "/api/v1/sessions", json=body, headers={"X-API-Key": ENV["FEEDBACK_WIDGET_PLATFORM_KEY"]}
    )
    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == body["user_id"]

    # The Python snippet, run as written (with its imports and the secret in the environment).
    namespace: dict[str, Any] = {"jwt": jwt, "time": time, "os": os}
    saved = os.environ.get("FEEDBACK_WIDGET_SECRET")
    os.environ["FEEDBACK_WIDGET_SECRET"] = ENV["FEEDBACK_WIDGET_SECRET"]
    try:
        exec(block("python"), namespace)
    finally:
        if saved is None:
            del os.environ["FEEDBACK_WIDGET_SECRET"]
        else:
            os.environ["FEEDBACK_WIDGET_SECRET"] = saved
    token = namespace["token"]

    page = await harness.client.get(f"/embed/{body['id']}", params={"token": token})
    assert page.status_code == 200, page.text
    widget = BeautifulSoup(page.text, "html.parser").select_one(".widget")
    assert widget is not None and widget["data-session-id"] == body["id"]
    frame = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://www.example.com" in frame
    # The token opens this chat and no other.
    other = await harness.client.get("/embed/another-chat", params={"token": token})
    assert other.status_code == 403
