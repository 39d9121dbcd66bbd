"""The widget in every shipped language, as a reader of it sees it: screenshots of each (light
and dark, 1280 and 360 px), and Arabic mirrored right to left with nothing axe can fault."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.i18n.catalogs import SHIPPED
from tests.browser.conftest import ServerFactory
from tests.support import ROOT
from tests.support.web_checks import axe_violations, describe

WIDTHS = {"1280": (1280, 860), "360": (360, 780)}
# What a reader of each language might ask (the echo agent quotes it back).
QUESTIONS = {
    "en": ("What can this widget do?", "Show me a **list**:\n- thumbs\n- comments"),
    "de": ("Was kann dieses Widget?", "Zeig mir eine **Liste**:\n- Daumen\n- Kommentare"),
    "fr": ("Que sait faire ce widget ?", "Montre-moi une **liste** :\n- pouces\n- commentaires"),
    "es": ("¿Qué puede hacer este widget?", "Muéstrame una **lista**:\n- pulgares\n- comentarios"),
    "ja": ("このウィジェットで何ができますか？", "**リスト** を見せて:\n- 評価\n- コメント"),  # noqa: RUF001 (Japanese punctuation)
    "ar": ("ماذا تستطيع هذه الأداة أن تفعل؟", "أرني **قائمة**:\n- الإعجابات\n- التعليقات"),
}
COMMENTS = {
    "en": "The list could use more detail.",
    "de": "Die Liste könnte ausführlicher sein.",
    "fr": "La liste mériterait plus de détails.",
    "es": "A la lista le faltan detalles.",
    "ja": "リストにもう少し詳しい説明がほしいです。",
    "ar": "كان يمكن أن تكون القائمة أكثر تفصيلًا.",
}


def chat_in(page: Page, server: str, lang: str, texts: tuple[str, ...]) -> str:
    """A new chat in `lang` with `texts` sent and answered; the chat's id."""
    page.goto(f"{server}/?lang={lang}")
    page.locator("form[action^='/chat'] button").click()
    page.wait_for_url("**/chat/*")
    for turns, text in enumerate(texts, start=1):
        box = page.locator("#message")
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".bubble.agent[data-status=completed]")).to_have_count(
            turns, timeout=15_000
        )
    return page.url.split("/chat/", 1)[1].split("?", 1)[0]


def box_of(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("lang", SHIPPED)
def test_screenshots_of_each_language(
    browser: Browser, server_url: str, tmp_path: Path, lang: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    chat_in(page, server_url, lang, QUESTIONS[lang])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("[data-feedback-open=up]").first.click()
    page.locator("#feedback-dialog button[type=submit]").click()
    expect(page.locator(".feedback-status").first).not_to_be_empty()
    page.locator("[data-feedback-open=down]").last.click()
    page.locator("#feedback-comment").fill(COMMENTS[lang])

    target = Path(os.environ.get("FEEDBACK_WIDGET_SCREENSHOTS") or tmp_path)
    target = target if target.is_absolute() else ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        for width, (x, y) in WIDTHS.items():
            page.set_viewport_size({"width": x, "height": y})
            assert page.evaluate("document.documentElement.scrollWidth") <= x
            path = target / f"widget-{lang}-{scheme}-{width}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 10_000
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_arabic_mirrors_the_widget_and_axe_finds_nothing(
    browser: Browser, start_server: ServerFactory, width: str
) -> None:
    server = start_server()
    x, y = WIDTHS[width]
    context = browser.new_context(viewport={"width": x, "height": y}, bypass_csp=True)
    page = context.new_page()
    found: dict[str, Any] = {}
    texts = (QUESTIONS["ar"][0], "Is **Markdown** in English shown left to right?")
    session_id = chat_in(page, server, "ar", texts)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    found["chat"] = axe_violations(page)

    # Mirrored: the reader's own bubble sits on the left (on the right in English), the
    # agent's on the right; the composer's Send button follows its text box leftwards.
    area = box_of(page, "#transcript")
    user, agent = box_of(page, ".bubble.user"), box_of(page, ".bubble.agent")
    assert abs(user["x"] - area["x"]) < 2
    assert abs((agent["x"] + agent["width"]) - (area["x"] + area["width"])) < 2
    send, message = box_of(page, "#composer button"), box_of(page, "#message")
    assert send["x"] + send["width"] <= message["x"]

    # Each bubble takes the direction of what it says (dir="auto"), whatever the page's.
    directions = page.locator(".bubble.user .user-text").evaluate_all(
        "els => els.map(el => getComputedStyle(el).direction)"
    )
    assert directions == ["rtl", "ltr"]

    page.locator("[data-feedback-open=up]").first.click()
    dialog = page.locator("#feedback-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("شاركنا رأيك")
    submit, cancel = (
        box_of(page, "#feedback-dialog [type=submit]"),
        box_of(page, "[data-dialog-cancel]"),
    )
    assert submit["x"] + submit["width"] <= cancel["x"]  # the dialog's actions end on the left
    found["feedback dialog"] = axe_violations(page)
    dialog.locator("[type=submit]").click()
    expect(page.locator(".feedback-status").first).to_have_text("تم إرسال التقييم")
    found["after feedback"] = axe_violations(page)

    page.goto(f"{server}/embed/{session_id}?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    found["embed"] = axe_violations(page)
    for theme in ("light", "dark"):
        page.goto(f"{server}/embed/{session_id}?lang=ar&theme={theme}")
        found[f"embed {theme}"] = axe_violations(page)
    context.close()
    failing = {state: describe(v) for state, v in found.items() if v}
    assert not failing, "\n\n".join(f"[{state}]\n{text}" for state, text in failing.items())
