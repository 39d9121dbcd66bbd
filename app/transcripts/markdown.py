"""Agent Markdown to safe HTML: markdown-it-py renders, nh3 sanitises what comes out.

A finished reply is rendered once, when it completes, and its HTML is stored with the
renderer's version (`HTML_VERSION`). Pages use the stored HTML unless it was made by another
version (the sanitiser or the parser changed); text still streaming is rendered as it is
shown, and a small cache keeps the last few renders of it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Bump the last part when our own rules (tags, attributes) change.
HTML_VERSION = f"mdit{version('markdown-it-py')}+nh3{version('nh3')}+r1"
_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}
CACHEABLE_CHARS = 16_384


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML in the source is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_final(source: str) -> str:
    """The stored HTML of a completed reply."""
    return _sanitise(_parser().render(source))


def reply_html(text: str, stored: str | None, stored_version: str | None) -> Markup:
    """A reply as the page shows it: its stored HTML when this renderer made it."""
    if stored is not None and stored_version == HTML_VERSION:
        return Markup(stored)
    return render_markdown(text)


def render_markdown(source: str) -> Markup:
    if len(source) <= CACHEABLE_CHARS:
        return _render_cached(source)
    return Markup(_sanitise(_parser().render(source)))


@lru_cache(maxsize=512)
def _render_cached(source: str) -> Markup:
    return Markup(_sanitise(_parser().render(source)))


def _sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
