"""The JSON API takes credentials in headers only, however the URL spells `token` (issue 17, §6).

The check decides on the names the query parser decodes, so every spelling that reaches the
handlers as `token` (and its case variants, which would put a credential in a log just the
same) is refused with 400 `credentials_in_url`.
"""

from __future__ import annotations

import time

import jwt
import pytest

from tests.support.harness import Harness, HarnessFactory

SECRET = "header-credentials-secret-" + "h" * 40
TOKEN = jwt.encode({"sub": "alice", "exp": int(time.time()) + 3600}, SECRET, "HS256")
SPELLINGS = [
    f"token={TOKEN}",
    f"%74oken={TOKEN}",
    f"t%6Fken={TOKEN}",
    f"t%6fken={TOKEN}",
    f"%74%6F%6B%65%6E={TOKEN}",
    f"a=1&%74oken={TOKEN}",
    f"a=1+2&t%6Fken={TOKEN}",
    f"page=1&token={TOKEN}&page_size=5",
    "token",
    "token=",
    f"Token={TOKEN}",
    f"%54OKEN={TOKEN}",
    f"token+={TOKEN}",
    f"+token={TOKEN}",
]


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(auth={"mode": "token", "secret": SECRET})


@pytest.mark.parametrize("query", SPELLINGS, ids=[q.replace(TOKEN, "<jwt>") for q in SPELLINGS])
async def test_every_spelling_of_token_in_an_api_url_is_refused(
    harness: Harness, query: str
) -> None:
    for path in ("/api/v1/me", "/api/v1/feedback"):
        response = await harness.client.get(f"{path}?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "credentials_in_url"), (
            path,
            query,
            response.text,
        )


@pytest.mark.parametrize("query", ["tokens=1", "a=token", "my_token=1", "to%6Ben_x=1", ""])
async def test_other_names_pass(harness: Harness, query: str) -> None:
    response = await harness.client.get(
        f"/api/v1/me?{query}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text
