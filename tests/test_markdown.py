from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app.transcripts.markdown import HTML_VERSION, render_final, render_markdown, reply_html


def soup(source: str) -> BeautifulSoup:
    return BeautifulSoup(str(render_markdown(source)), "html.parser")


def test_renders_common_markdown() -> None:
    html = soup("**bold** and *em*\n\n- one\n- two\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert html.select_one("strong").text == "bold"
    assert [li.text for li in html.select("ul li")] == ["one", "two"]
    assert html.select_one("table td").text == "1"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "![img](javascript:alert(1))",
        '<div onclick="alert(1)">x</div>',
        "<iframe src=https://evil.example></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_nothing_executable_survives(source: str) -> None:
    html = soup(source)
    assert html.find(["script", "img", "iframe", "div"]) is None
    for tag in html.find_all(True):
        assert not any(name.startswith("on") for name in tag.attrs)
        href = str(tag.get("href", "")).lower()
        assert not href.startswith(("javascript:", "data:"))


def test_raw_html_is_shown_as_text() -> None:
    assert soup("<img src=x onerror=alert(1)>").get_text().strip() == "<img src=x onerror=alert(1)>"


def test_links_are_kept_safe() -> None:
    link = soup("[docs](https://example.com/a)").select_one("a")
    assert link["href"] == "https://example.com/a"
    assert set(link["rel"]) == {"noopener", "noreferrer", "nofollow"}


def test_stored_html_is_used_only_when_this_renderer_made_it() -> None:
    source = "Final **answer** <script>x</script>"
    stored = render_final(source)
    assert stored == str(render_markdown(source))
    assert reply_html(source, "<p>kept</p>", HTML_VERSION) == "<p>kept</p>"
    # Made by another parser or sanitiser version: rendered again from the text.
    assert reply_html(source, "<p>stale</p>", "mdit0+nh3-0+r0") == stored
    assert reply_html(source, None, None) == stored
