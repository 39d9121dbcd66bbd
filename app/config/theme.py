"""The widget's theme variables: which CSS custom properties operators (config) and hosts
(embed.js `themeVars`) may set, and the values each may take.

Values are judged by shape, not by a CSS parser: a colour, a length or a font stack, each a
pattern that cannot close a declaration, open a block or call anything but rgb()/hsl(). widget.js
holds the same rules (`THEME_VARS`) for values it receives by postMessage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

ThemeKind = Literal["colour", "length", "font"]

# name -> what it sets (the custom property is `--<name>`, read by static/widget.css).
THEME_VARS: dict[str, ThemeKind] = {
    "accent": "colour",  # the brand colour: links, the Send button, pressed controls
    "accent-text": "colour",  # text on the brand colour
    "bg": "colour",  # the page behind the transcript
    "surface": "colour",  # cards, the composer's box, the dialog
    "text": "colour",
    "muted": "colour",  # secondary text
    "border": "colour",
    "user-bubble": "colour",
    "user-text": "colour",
    "agent-bubble": "colour",
    "radius": "length",  # corners of bubbles, cards and the dialog
    "space": "length",  # density: the spacing unit between and inside bubbles
    "font": "font",  # the font stack
}

_NUMBER = r"\d{1,4}(?:\.\d{1,4})?"
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_FUNCTION = re.compile(
    rf"(?:rgb|rgba|hsl|hsla)\(\s*{_NUMBER}(?:deg|%)?"
    rf"(?:\s*[,\s]\s*{_NUMBER}%?){{2}}(?:\s*[,/]\s*{_NUMBER}%?)?\s*\)"
)
_LENGTH = re.compile(rf"{_NUMBER}(?:px|rem|em)")
_FONT = re.compile(r"[A-Za-z0-9 ,\"'-]{1,200}")

_PATTERNS: dict[ThemeKind, tuple[re.Pattern[str], ...]] = {
    "colour": (_HEX, _FUNCTION),
    "length": (_LENGTH,),
    "font": (_FONT,),
}

KINDS_TEXT = "colours (`#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`hsl()` with numbers), lengths "
KINDS_TEXT += "(a number with `px`, `rem` or `em`) and a font stack (letters, digits, spaces, "
KINDS_TEXT += "hyphens, quotes and commas)"


def theme_value_error(name: str, value: str) -> str | None:
    """Why `value` may not set theme variable `name`, or None when it may."""
    kind = THEME_VARS.get(name)
    if kind is None:
        return f"{name!r} is not a theme variable (one of {', '.join(THEME_VARS)})"
    if not any(pattern.fullmatch(value) for pattern in _PATTERNS[kind]):
        return f"{value!r} is not a {kind} for {name!r}"
    return None


def valid_theme_vars(candidates: Mapping[str, object]) -> dict[str, str]:
    """The entries of `candidates` that are valid theme variables, dropping the rest (a host's
    per-embed override: a bad entry must not cost the rest of the page)."""
    return {
        name: value
        for name, value in candidates.items()
        if isinstance(value, str) and theme_value_error(name, value) is None
    }
