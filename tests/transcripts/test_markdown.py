from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app.transcripts.markdown import HTML_VERSION, render_final, render_markdown, reply_html
from tests.support.harness import Harness


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


CODE = '```python\ndef greet(name):\n    return f"<b>{name}</b>"  # hi\n```'


def test_completed_code_is_highlighted_with_classes_and_gets_a_copy_button() -> None:
    html = BeautifulSoup(
        render_final(f"Here:\n\n{CODE}\n\n```\nplain <i>text</i>\n```"), "html.parser"
    )
    blocks = html.select("div.code-block")
    assert len(blocks) == 2
    python, plain = blocks
    assert python.select_one("pre code span.k").text == "def"  # type: ignore[union-attr]
    assert (
        python.select_one("pre code").get_text()
        == 'def greet(name):\n    return f"<b>{name}</b>"  # hi\n'
    )  # type: ignore[union-attr]
    assert plain.select_one("pre code").get_text() == "plain <i>text</i>\n"  # type: ignore[union-attr]
    assert plain.select_one("span") is None  # no language named: not guessed
    for block in blocks:
        button = block.select_one("button[data-copy]")
        assert button is not None and button["type"] == "button" and button.text == "Copy"


def test_highlighting_passes_the_sanitiser_with_no_inline_script_or_style() -> None:
    sources = [
        CODE,
        '```html\n<script>alert(1)</script><div style="color:red" onclick="x()">hi</div>\n```',
        "```javascript\ndocument.write('<img src=x onerror=alert(1)>')\n```",
        '```python" onmouseover="alert(1)\nx = 1\n```',
        "```css\nbody { background: url(javascript:alert(1)) }\n```",
    ]
    for source in sources:
        html = BeautifulSoup(render_final(source), "html.parser")
        assert html.find(["script", "style", "img", "iframe"]) is None, source
        for tag in html.find_all(True):
            assert not any(name.startswith("on") or name == "style" for name in tag.attrs), tag
            if tag.name == "span":
                assert set(tag.attrs) <= {"class"}
        # Only our own button: the source's text is inside <code>, escaped.
        assert len(html.select("button")) == 1


def test_streaming_text_is_not_highlighted_until_it_completes() -> None:
    html = soup(CODE)
    assert html.select_one("span") is None and html.select_one("button") is None
    assert "pyg" in HTML_VERSION  # a Pygments upgrade re-renders stored replies


async def test_code_colours_are_a_stylesheet_for_both_themes(harness: Harness) -> None:
    response = await harness.client.get("/static/code.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".code-block pre .k {" in response.text
    assert ".theme-dark .code-block pre .k {" in response.text
    page = BeautifulSoup((await harness.client.get("/")).text, "html.parser")
    assert page.select_one('link[rel=stylesheet][href^="/static/code.css?v="]') is not None
