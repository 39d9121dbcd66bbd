"""Theme variables take colours, lengths and a font stack, and nothing that could write CSS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config.theme import THEME_VARS, theme_value_error, valid_theme_vars
from app.config.widget import WidgetSettings

GOOD = [
    ("accent", "#0b6e4f"),
    ("accent", "#abc"),
    ("accent", "#0b6e4fcc"),
    ("text", "rgb(20, 30, 40)"),
    ("text", "rgb(20 30 40 / 50%)"),
    ("surface", "hsl(210 20% 98%)"),
    ("surface", "hsla(210, 20%, 98%, 0.9)"),
    ("radius", "6px"),
    ("space", "0.75rem"),
    ("radius", "1.5em"),
    ("font", '"Atkinson Hyperlegible", Inter, sans-serif'),
]

BAD = [
    ("accent", "red"),
    ("accent", "#12"),
    ("accent", "#0b6e4f; } body { display: none"),
    ("accent", "url(https://evil.example/x.png)"),
    ("accent", "var(--text)"),
    ("text", "rgb(calc(1), 2, 3)"),
    ("radius", "calc(1px + 2px)"),
    ("radius", "6"),
    ("space", "1vh"),
    ("font", "Inter; background: red"),
    ("font", "Inter\\2c evil"),
    ("font", "Inter {"),
    ("font", ""),
    ("unknown", "#fff"),
]


@pytest.mark.parametrize(("name", "value"), GOOD)
def test_colours_lengths_and_font_stacks_are_accepted(name: str, value: str) -> None:
    assert theme_value_error(name, value) is None
    assert WidgetSettings(theme_vars={name: value}).theme_vars == {name: value}


@pytest.mark.parametrize(("name", "value"), BAD)
def test_anything_else_is_refused_with_the_reason(name: str, value: str) -> None:
    error = theme_value_error(name, value)
    assert error is not None and name in error
    with pytest.raises(ValidationError, match=name):
        WidgetSettings(theme_vars={name: value})


def test_a_hosts_override_keeps_what_is_valid() -> None:
    given: dict[str, object] = {"accent": "#123456", "text": "red;}", "radius": 4, "font": "Inter"}
    assert valid_theme_vars(given) == {"accent": "#123456", "font": "Inter"}


def test_every_variable_is_one_the_stylesheet_reads() -> None:
    from tests.support import ROOT

    css = (ROOT / "static" / "widget.css").read_text(encoding="utf-8")
    script = (ROOT / "static" / "widget.js").read_text(encoding="utf-8")
    for name in THEME_VARS:
        assert f"var(--{name})" in css, name
        assert f'"{name}"' in script, name  # widget.js checks the same names
