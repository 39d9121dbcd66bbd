"""Which language a page is written in, as a reader sees it: `<html lang dir>` and the words on
the page, chosen by the `lang` parameter, the token's `locale` claim, the configured default and
Accept-Language, in that order; carried on by every link, form, htmx request and stream."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from bs4 import BeautifulSoup

from tests.support.harness import Harness, HarnessFactory

SECRET = "languages-secret-" + "l" * 40


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def token(**claims: Any) -> str:
    return jwt.encode({"sub": "ana", "exp": int(time.time()) + 600, **claims}, SECRET, "HS256")


def language(page: BeautifulSoup) -> tuple[str, str, str]:
    html = page.select_one("html")
    assert html is not None
    button = page.select_one("form[action^='/chat'] button")
    return str(html["lang"]), str(html["dir"]), button.get_text(strip=True) if button else ""


async def index(harness: Harness, **options: Any) -> BeautifulSoup:
    response = await harness.client.get("/", **options)
    assert response.status_code == 200
    return parse(response.text)


async def test_english_without_any_preference(harness: Harness) -> None:
    assert language(await index(harness)) == ("en", "ltr", "New chat")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", ("de", "ltr", "Neuer Chat")),
        ("pt-BR, fr;q=0.5, en;q=0.3", ("fr", "ltr", "Nouvelle conversation")),
        ("en;q=0.2, ja;q=0.9", ("ja", "ltr", "新しいチャット")),
        ("ar-EG", ("ar", "rtl", "محادثة جديدة")),
        ("zh-CN, *;q=0.1", ("en", "ltr", "New chat")),
    ],
)
async def test_accept_language_picks_a_shipped_language(
    harness: Harness, header: str, expected: tuple[str, str, str]
) -> None:
    page = await index(harness, headers={"Accept-Language": header})
    assert language(page) == expected


async def test_the_configured_default_comes_before_accept_language(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(widget={"locale": "es"})
    page = await index(harness, headers={"Accept-Language": "de"})
    assert language(page) == ("es", "ltr", "Nuevo chat")


async def test_the_token_claim_comes_before_the_default_and_lang_before_both(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(auth={"mode": "token", "secret": SECRET}, widget={"locale": "es"})
    claimed = token(locale="ja")
    assert language(await index(harness, params={"token": claimed}))[0] == "ja"
    assert language(await index(harness, params={"token": claimed, "lang": "ar"}))[0] == "ar"
    # Values that name no shipped language fall through to the next rule.
    assert language(await index(harness, params={"token": token(locale="xx")}))[0] == "es"
    page = await index(harness, params={"token": claimed, "lang": "klingon"})
    assert language(page)[0] == "ja"


async def test_lang_is_carried_by_links_forms_the_stream_and_htmx(harness: Harness) -> None:
    session_id = await harness.new_session()
    page = parse((await harness.client.get(f"/chat/{session_id}?lang=de-AT")).text)
    assert language(page)[:2] == ("de", "ltr")
    assert "lang=de" in str(page.select_one("[sse-connect]")["sse-connect"])
    assert "lang=de" in str(page.select_one("#composer")["action"])
    assert '"Widget-Lang": "de"' in str(page.select_one("body")["hx-headers"])
    # An htmx post that fails answers in the page's language.
    refused = await harness.client.post(
        f"/chat/{session_id}/messages",
        data={"message": "  "},
        headers={"HX-Request": "true", "Widget-Lang": "de"},
    )
    assert refused.status_code == 422
    assert refused.text == "Schreiben Sie eine Nachricht, bevor Sie senden."
    # A plain form post comes back to the page in its language.
    sent = await harness.client.post(
        f"/chat/{session_id}/messages?lang=de", data={"message": "Hallo"}
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("lang=de")


async def test_error_pages_speak_the_readers_language_and_the_api_stays_english(
    harness: Harness,
) -> None:
    page = await harness.client.get(
        "/chat/nope", params={"lang": "fr"}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 404
    assert language(parse(page.text))[:2] == ("fr", "ltr")
    too_long = await harness.client.post(
        f"/chat/{await harness.new_session()}/messages",
        data={"message": "x" * 40_000},
        headers={"HX-Request": "true", "Widget-Lang": "de"},
    )
    assert too_long.text.startswith("Nachrichten dürfen höchstens ")
    assert "." in too_long.text.split("höchstens ")[1]  # 16.000: German digit grouping
    api = await harness.client.post(
        f"/api/v1/sessions/{await harness.new_session()}/tasks",
        json={"request_text": "x", "status": "nonsense"},
        headers={"Accept-Language": "de"},
    )
    assert api.status_code == 422 and api.json()["detail"].startswith("Invalid request")
