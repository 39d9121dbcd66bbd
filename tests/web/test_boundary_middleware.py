"""Nothing is stored that cannot be read back (issue 17, §2): form posts, query strings,
paths and token claims meet the same rule as JSON bodies (tests/test_boundary.py), on every
surface, each refusal in that surface's own shape.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest

from tests.compat.test_dialects import PORTKEY
from tests.support.databases import (
    DATABASES,
    NUL,
    SURROGATE,
    database_url,
    refusal,
    send_json,
)
from tests.support.dialects import OPERATOR, TOKEN_SECRET, dialect_options
from tests.support.harness import Harness, HarnessFactory


@pytest.fixture(params=DATABASES)
async def database(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    async with database_url(request.param, sqlite_url) as url:
        yield url


@pytest.fixture
async def harness(database: str, make_harness: HarnessFactory) -> Harness:
    return await make_harness(database_url=database, **dialect_options())


async def test_a_nul_in_a_chat_message_is_refused_on_the_page(harness: Harness) -> None:
    session_id = await harness.new_session()
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": f"hello{NUL}world"}
    )
    assert response.status_code == 422, response.text
    assert "message contains a NUL character (U+0000)" in response.text
    htmx = await harness.client.post(
        f"/chat/{session_id}/messages",
        data={"message": f"hello{NUL}"},
        headers={"HX-Request": "true"},
    )
    assert (htmx.status_code, htmx.headers["content-type"]) == (422, "text/plain; charset=utf-8")
    transcript = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")
    assert transcript.json() == []


async def test_a_surrogate_smuggled_through_a_multipart_charset_is_refused(
    harness: Harness,
) -> None:
    """A multipart form may name its charset; UTF-7 decodes `+2AA-` to a lone surrogate."""
    session_id = await harness.new_session()
    form = b'--b\r\nContent-Disposition: form-data; name="message"\r\n\r\n+2AA-\r\n--b--\r\n'
    response = await harness.client.post(
        f"/chat/{session_id}/messages",
        content=form,
        headers={"content-type": "multipart/form-data; boundary=b; charset=utf-7"},
    )
    assert response.status_code == 422, response.text
    assert "message contains a lone surrogate" in response.text
    signing_in = await harness.client.post(
        "/admin/login",
        content=form.replace(b"message", b"api_key"),
        headers={"content-type": "multipart/form-data; boundary=b; charset=utf-7"},
    )
    assert signing_in.status_code == 422, signing_in.text


async def test_a_nul_in_a_query_string_is_refused_on_every_surface(harness: Harness) -> None:
    listing = await harness.client.get("/api/v1/feedback", params={"model": f"gpt{NUL}"})
    assert refusal(listing) == (422, "invalid_text", ["query", "model"])
    assert listing.json()["detail"] == (
        "The query parameter model contains a NUL character (U+0000), which cannot be stored."
    )
    named = await harness.client.get("/api/v1/feedback/export", params={f"a{NUL}": "1"})
    assert refusal(named)[:2] == (422, "invalid_text")
    compat = await harness.client.get("/compat/agentsight/api/me/", params={"x": NUL})
    assert refusal(compat) == (400, "invalid_text", ["query", "x"])
    page = await harness.client.get("/", params={"before": NUL})
    assert page.status_code == 422 and "NUL" in page.text
    console = await harness.client.get("/admin/login", params={"next": f"/admin{NUL}"})
    assert console.status_code == 422
    spec = await harness.client.get("/openapi.json", params={"v": NUL})
    assert spec.status_code == 422


async def test_a_nul_in_a_path_is_refused_on_every_surface(harness: Harness) -> None:
    bad = "a%00b"
    api = await harness.client.get(f"/api/v1/sessions/{bad}/tasks", headers=OPERATOR)
    assert refusal(api) == (422, "invalid_text", ["path"])
    assert api.json()["detail"] == (
        "The path contains a NUL character (U+0000), which cannot be stored."
    )
    for url in (f"/chat/{bad}", f"/embed/{bad}", f"/admin/chats/{bad}", f"/static/{bad}.js"):
        response = await harness.client.get(url)
        assert response.status_code == 422, (url, response.status_code)
    pushed = await harness.client.patch(f"/api/v1/tasks/{bad}", json={"status": "completed"})
    assert refusal(pushed) == (422, "invalid_text", ["path"])
    portkey = await send_json(
        harness.client, "PUT", f"/compat/portkey/v1/feedback/{bad}", {"value": 1}, PORTKEY
    )
    assert refusal(portkey) == (400, "invalid_text", ["path"])
    assert portkey.json()["error"]["message"].startswith("The path contains a NUL")


def _token(**claims: Any) -> str:
    return jwt.encode({"exp": int(time.time()) + 300, **claims}, TOKEN_SECRET, "HS256")


@pytest.mark.parametrize(
    "claims",
    [{"sub": f"ann{NUL}"}, {"sub": SURROGATE}, {"sub": "ann", "sid": f"s{NUL}"},
     {"sub": "ann", "name": SURROGATE}],
    ids=["nul-sub", "surrogate-sub", "nul-sid", "surrogate-name"],
)  # fmt: skip
async def test_a_token_whose_claims_cannot_be_stored_is_not_valid(
    database: str, make_harness: HarnessFactory, claims: dict[str, str]
) -> None:
    options = dialect_options()
    options["auth"]["mode"] = "token"
    harness = await make_harness(database_url=database, **options)
    bearer = {"Authorization": f"Bearer {_token(**claims)}"}
    me = await harness.client.get("/api/v1/me", headers=bearer)
    assert (me.status_code, me.json()["code"]) == (401, "unauthenticated")
    chat = await harness.client.post("/api/v1/sessions", json={}, headers=bearer)
    assert chat.status_code == 401
    page = await harness.client.post("/chat", params={"token": _token(**claims)})
    assert page.status_code == 401


# Text longer than its PostgreSQL column, the kind of hole the harness found at links and
# Trodo runs: a token's subject becomes the user id of everything its holder stores.


async def test_a_token_subject_longer_than_its_column_is_not_valid(
    database: str, make_harness: HarnessFactory
) -> None:
    options = dialect_options()
    options["auth"]["mode"] = "token"
    harness = await make_harness(database_url=database, **options)
    chat = await harness.client.post("/chat", params={"token": _token(sub="u" * 256)})
    assert chat.status_code == 401, chat.text
    fits = await harness.client.post("/chat", params={"token": _token(sub="u" * 255)})
    assert fits.status_code == 303, fits.text
