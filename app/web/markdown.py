"""Agent Markdown to safe HTML: markdown-it-py renders, nh3 sanitises what comes out."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML in the source is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


CACHEABLE_CHARS = 16_384


def render_markdown(source: str, *, final: bool = False) -> Markup:
    """`final` text (a finished task's) never changes, so its HTML is cached."""
    if final and len(source) <= CACHEABLE_CHARS:
        return _render_cached(source)
    return _render(source)


@lru_cache(maxsize=512)
def _render_cached(source: str) -> Markup:
    return _render(source)


def _render(source: str) -> Markup:
    html = _parser().render(source)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
