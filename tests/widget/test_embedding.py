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


HOST = "https://www.example.com"


async def test_an_embed_opened_without_a_token_waits_for_it_by_post_message(
    make_harness: HarnessFactory,
) -> None:
    """embed.js opens the frame with `handoff=1` and no token: the page comes without the chat,
    and the chat comes to a request with the token in a header, never in a URL."""
    app_config: dict[str, Any] = yaml.safe_load(block("yaml"))["apps"][0]["app_config"]
    harness = await make_harness(env=ENV, **app_config)
    created = await harness.client.post(
        "/api/v1/sessions",
        json={"user_id": "dana"},
        headers={"X-API-Key": ENV["FEEDBACK_WIDGET_PLATFORM_KEY"]},
    )
    session_id = created.json()["id"]
    token = jwt.encode(
        {"sub": "dana", "sid": session_id, "exp": int(time.time()) + 600},
        ENV["FEEDBACK_WIDGET_SECRET"],
        algorithm="HS256",
    )
    query = {"handoff": "1", "parent_origin": HOST}
    shell = await harness.client.get(f"/embed/{session_id}", params=query)
    assert shell.status_code == 200, shell.text
    soup = BeautifulSoup(shell.text, "html.parser")
    waiting = soup.select_one("[data-awaiting-token]")
    assert waiting is not None and waiting["data-parent-origin"] == HOST
    assert soup.select_one("[sse-connect]") is None and soup.select_one("#composer") is None

    # Without a trusted parent to hand a token over, it is the usual 401.
    stranger = {"handoff": "1", "parent_origin": "https://evil.example"}
    assert (await harness.client.get(f"/embed/{session_id}", params=stranger)).status_code == 401
    assert (await harness.client.get(f"/embed/{session_id}")).status_code == 401

    bearer = {"Authorization": f"Bearer {token}", "HX-Request": "true"}
    widget = await harness.client.get(f"/embed/{session_id}", params=query, headers=bearer)
    assert widget.status_code == 200, widget.text
    fragment = BeautifulSoup(widget.text, "html.parser")
    assert fragment.select_one("html") is None  # the partial alone, for htmx to swap in
    section = fragment.select_one(".widget")
    assert section is not None and section["data-session-id"] == session_id
    assert section["data-parent-origin"] == HOST
    assert fragment.select_one("#composer") is not None


async def test_theme_vars_from_config_and_the_host_are_validated(
    make_harness: HarnessFactory,
) -> None:
    configured = {"accent": "#0b6e4f", "radius": "6px"}
    harness = await make_harness(widget={"theme_vars": configured})
    session_id = await harness.new_session()
    host_vars = {
        "radius": "2px",
        "font": '"Atkinson Hyperlegible", sans-serif',
        "text": "red; } body { display: none",
        "bg": "url(https://evil.example/x.png)",
        "behaviour": "1px",
    }
    page = await harness.client.get(
        f"/embed/{session_id}", params={"theme_vars": json.dumps(host_vars)}
    )
    assert page.status_code == 200, page.text
    body = BeautifulSoup(page.text, "html.parser").select_one("body")
    assert body is not None
    assert json.loads(str(body["data-theme-vars"])) == {
        "accent": "#0b6e4f",
        "radius": "2px",
        "font": '"Atkinson Hyperlegible", sans-serif',
    }
    # Broken JSON is no override at all.
    plain = await harness.client.get(f"/embed/{session_id}", params={"theme_vars": "{oops"})
    body = BeautifulSoup(plain.text, "html.parser").select_one("body")
    assert body is not None and json.loads(str(body["data-theme-vars"])) == configured
