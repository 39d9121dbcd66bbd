"""The README's config table derives each key's type, default and help from its field; here
the awkward cases, on a small model of their own (the real table: tests/test_readme.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import Discriminator, Field, Tag

from app.config.base import HTTP_URL, Clamp, Frozen
from app.config.docs import config_rows, table


class Budget(Frozen):
    per_user: str = Field(description="Per user.", json_schema_extra={"doc_type": "rate"})


class First(Frozen):
    type: Literal["first"] = Field("first", description="The first kind.")
    name: str = Field("One", min_length=1, description="Its name.")
    pace: float = Field(1.0, ge=0, le=60, description="Only the first has it.")


class Second(Frozen):
    type: Literal["second"] = Field(description="The second kind.")
    name: str = Field("Two", min_length=1, description="Its name.")
    url: str = Field(description="Where it is.", json_schema_extra=HTTP_URL)


def _kind(value: Any) -> str:
    return str(value.get("type", "first")) if isinstance(value, dict) else str(value.type)


Either = Annotated[
    Annotated[First, Tag("first")] | Annotated[Second, Tag("second")], Discriminator(_kind)
]


class Root(Frozen):
    budget: Budget = Field(
        default_factory=lambda: Budget(per_user="5/minute"), description="A budget."
    )
    kind: Either = Field(default_factory=First, description="One of two.")
    budgets: tuple[Budget, ...] = Field((), description="Several.")
    days: Annotated[int, Clamp(1, 10)] = Field(5, description="Clamped.")
    link: str | None = Field(
        None, description="A link.", json_schema_extra={**HTTP_URL, "doc_default": "per request"}
    )
    tags: tuple[Literal["a", "b"], ...] = Field((), description="Tags.")
    timeout: float = Field(60, gt=0, le=3600, description="A deadline.")
    secret: str = Field(pattern="^sk_", min_length=20, description="A key.")


def test_each_awkward_case_reads_as_the_readme_writes_it() -> None:
    rows = {row.key: (row.kind, row.meaning) for row in config_rows(Root)}
    assert rows == {
        "budget": ("mapping", "A budget."),
        # no default of its own: the enclosing mapping's default holds one
        "budget.per_user": ("rate (`5/minute`)", "Per user."),
        "kind": ("mapping", "One of two."),
        # a union's tags merge into one Literal; its members' help says which is which
        "kind.type": (
            "`first` | `second` (`first`)",
            "`first`: the first kind. `second`: the second kind.",
        ),
        "kind.name": ("string, not empty (`One` for `first`; `Two` for `second`)", "Its name."),
        "kind.pace": ("float 0..60 (`1.0`)", "`first`: only the first has it."),
        "kind.url": ("`http(s)://` URL, required", "`second`: where it is."),
        "budgets[]": ("list (empty)", "Several."),
        "budgets[].per_user": ("rate, required", "Per user."),
        "days": ("int, clamped to 1..10 (`5`)", "Clamped."),
        "link": ("`http(s)://` URL (per request)", "A link."),
        "tags": ("list of `a`, `b` (empty)", "Tags."),
        "timeout": ("float > 0, ≤ 3600 (`60`)", "A deadline."),
        "secret": ("string starting `sk_`, 20+ characters, required", "A key."),
    }
    assert "| `kind.type` | `first` \\| `second` (`first`) |" in table(Root)


def test_a_constraint_the_table_cannot_word_stops_the_generator() -> None:
    class Odd(Frozen):
        below: int = Field(1, lt=5, description="Under five.")

    with pytest.raises(TypeError, match="'lt'"):
        config_rows(Odd)
