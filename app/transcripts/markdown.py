"""Agent Markdown to safe HTML: markdown-it-py renders, Pygments highlights fenced code,
nh3 sanitises what comes out.

A finished reply is rendered once, when it completes, and its HTML is stored with the
renderer's version (`HTML_VERSION`). Only then is code highlighted and given a Copy button.
Pages use the stored HTML unless it was made by another version (the sanitiser, the parser
or the highlighter changed); text still streaming is rendered plainly as it is shown, and a
small cache keeps the last few renders of it.

Highlighting is class names only (`<span class="k">`): the colours are a stylesheet
(`code_stylesheet`), so no inline style is ever needed and the CSP stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from html import escape
from importlib.metadata import version

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from app.i18n.catalogs import N_

# Bump the last part when our own rules (tags, attributes, wrapping) change.
HTML_VERSION = f"mdit{version('markdown-it-py')}+nh3{version('nh3')}+pyg{version('pygments')}+r3"
_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "span",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
# Pygments' token classes and nothing else: a class can only pick a colour.
_CLASSES = {"span": {name for name in STANDARD_TYPES.values() if name}}
_URL_SCHEMES = {"http", "https", "mailto"}
CACHEABLE_CHARS = 16_384
# Copy sits above the code, never over it (at 360 px it covered the first line). Code and
# tables scroll sideways inside the bubble, so each scroller takes the keyboard focus (a
# keyboard user scrolls it with the arrow keys) and says what it is.
# Stored in English; a page puts its own language's words in when it shows them
# (`in_language`), so one stored reply serves every language.
COPY = N_("Copy")
TABLE = N_("Table")
COPY_BUTTON = f"data-copy>{COPY}</button>"
TABLE_LABEL = f'aria-label="{TABLE}"'
CODE_BLOCK = f'<div class="code-block"><button type="button" class="copy" {COPY_BUTTON}{{}}</div>'
SCROLLING_PRE = '<pre tabindex="0">'
SCROLLING_TABLE = f'<div class="table-scroll" tabindex="0" role="group" {TABLE_LABEL}>{{}}</div>'
_PRE = re.compile(r"<pre>.*?</pre>", re.DOTALL)
_TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlighted(code: str, lang: str, _attrs: str) -> str:
    """Fenced code in the language its fence names; unnamed or unknown stays plain (guessing
    is slow and often wrong)."""
    try:
        lexer = get_lexer_by_name(lang.strip()) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    return highlight(code, lexer, _FORMATTER) if lexer is not None else escape(code)


@lru_cache(maxsize=2)
def _parser(*, final: bool) -> MarkdownIt:
    # Raw HTML in the source is shown as text, never passed through.
    options = {"html": False, "linkify": False, "highlight": _highlighted if final else None}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


def render_final(source: str) -> str:
    """The stored HTML of a completed reply: highlighted code, each block with Copy."""
    clean = _sanitise(_parser(final=True).render(source))
    # The button goes in after sanitising: it is ours, and the source could never make one.
    return _scrollers(_PRE.sub(lambda match: CODE_BLOCK.format(match.group(0)), clean))


def reply_html(text: str, stored: str | None, stored_version: str | None) -> Markup:
    """A reply as the page shows it: its stored HTML when this renderer made it."""
    if stored is not None and stored_version == HTML_VERSION:
        return Markup(stored)
    return render_markdown(text)


def in_language(html: Markup, copy: str, table: str) -> Markup:
    """A reply's HTML with our own words in it (the Copy button, the table's name) as a page
    in another language says them. Only ours match: the sanitiser lets no source make an
    `aria-label` or a `data-copy` attribute."""
    text = str(html)  # plain str: Markup.replace would escape what it puts in
    if copy != COPY:
        text = text.replace(COPY_BUTTON, f"data-copy>{escape(copy)}</button>")
    if table != TABLE:
        text = text.replace(TABLE_LABEL, f'aria-label="{escape(table)}"')
    return Markup(text)


def render_markdown(source: str) -> Markup:
    if len(source) <= CACHEABLE_CHARS:
        return _render_cached(source)
    return Markup(_scrollers(_sanitise(_parser(final=False).render(source))))


@lru_cache(maxsize=512)
def _render_cached(source: str) -> Markup:
    return Markup(_scrollers(_sanitise(_parser(final=False).render(source))))


def _scrollers(html: str) -> str:
    """Sanitised HTML with its code and tables made keyboard-scrollable (our markup, added
    after the sanitiser, which allows no tabindex or role)."""
    html = _TABLE.sub(lambda match: SCROLLING_TABLE.format(match.group(0)), html)
    return html.replace("<pre>", SCROLLING_PRE)


def _sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


@lru_cache(maxsize=1)
def code_stylesheet() -> str:
    """The colours of highlighted code, light and dark, as the pages' themes are: `theme-dark`
    forces the dark colours, `theme-auto` takes them when the reader's system prefers dark."""
    light = HtmlFormatter(style="default")
    dark = HtmlFormatter(style="github-dark")
    rules = ["/* Generated from Pygments' styles; see app/transcripts/markdown.py. */"]
    rules += _code_rules(light, ".code-block pre")
    rules += _code_rules(dark, ".theme-dark .code-block pre")
    rules.append("@media (prefers-color-scheme: dark) {")
    rules += _code_rules(dark, ".theme-auto .code-block pre")
    rules.append("}")
    return "\n".join(rules) + "\n"


def _code_rules(formatter: HtmlFormatter[str], scope: str) -> list[str]:
    # Pygments' stubs leave these untyped; both return one rule per line.
    background: Callable[[str], list[str]] = formatter.get_background_style_defs
    tokens: Callable[[str], list[str]] = formatter.get_token_style_defs
    return background(scope) + tokens(scope)
