"""The chat widget: its page and where it may be embedded."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from app.config.base import Frozen
from app.config.theme import KINDS_TEXT, THEME_VARS, theme_value_error
from app.i18n.catalogs import Language


class WidgetSettings(Frozen):
    turns_per_page: int = Field(
        50,
        ge=1,
        le=500,
        description="Turns a chat page shows at first, the newest. A **Load earlier messages** "
        "control above them fetches the turns before (with htmx, keeping the reader's place; as "
        "a plain link without JavaScript).",
    )
    theme: Literal["auto", "light", "dark"] = Field(
        "auto",
        description="Colour scheme of the widget and the console: `auto` follows the reader's "
        "system setting (`prefers-color-scheme`), `light` and `dark` force one. A page's "
        "`theme` URL parameter (embed.js's `theme` option) overrides it for that page.",
    )
    locale: Language | None = Field(
        None,
        description="Language of the widget's pages when neither the page's `lang` URL "
        "parameter (embed.js's `locale` option) nor the token's `locale` claim names a shipped "
        "one: `en`, `de`, `fr`, `es`, `ja` or `ar` (right to left). Unset: the reader's "
        "`Accept-Language`, then English.",
        json_schema_extra={"doc_default": "from Accept-Language"},
    )

    theme_vars: dict[str, str] = Field(
        default_factory=dict,
        description="The widget's look as CSS custom properties, name to value: "
        + ", ".join(f"`{name}`" for name in THEME_VARS)
        + f". Values are {KINDS_TEXT}; anything else is refused. They apply in light and dark "
        "alike, so pick colours that keep WCAG AA contrast (4.5:1 for text) in the scheme you "
        "serve. embed.js's `themeVars` overrides them per embed.",
        json_schema_extra={"doc_type": "mapping of name to value"},
    )

    @field_validator("theme_vars")
    @classmethod
    def _theme_vars(cls, theme_vars: dict[str, str]) -> dict[str, str]:
        for name, value in theme_vars.items():
            error = theme_value_error(name, value)
            if error is not None:
                raise ValueError(error)
        return theme_vars


class EmbedSettings(Frozen):
    allowed_origins: tuple[str, ...] = Field(
        (),
        description="Host sites allowed to frame the widget (`frame-ancestors`) and to exchange "
        "events with it. The widget's own origin is always allowed; nothing else is by default.",
        json_schema_extra={"doc_type": "list of origins"},
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
                raise ValueError(f"{origin!r} is not an origin like https://host.example[:port]")
        return origins
