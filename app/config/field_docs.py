"""What the README's config table says of one field's type and default, read from the field.

The type comes from the annotation (a `Literal` lists its values, a tuple is a list, a nested
model a mapping) and the bounds from the field's constraints. A validator's rule that no
annotation shows (a URL's scheme, a rate's notation) is named once, beside the field, in
`json_schema_extra={"doc_type": ...}`; a default that is computed rather than stored (`None`
meaning "taken from each request") in `{"doc_default": ...}`, shown as written.
"""

from __future__ import annotations

import dataclasses
import re
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag
from pydantic.fields import FieldInfo

from app.config.base import Clamp

DOC_TYPE = "doc_type"
DOC_DEFAULT = "doc_default"
_SCALARS: dict[Any, tuple[str, str]] = {
    bool: ("bool", "bools"),
    int: ("int", "ints"),
    float: ("float", "numbers"),
    str: ("string", "strings"),
}


@dataclass(frozen=True)
class Kind:
    """A field's type and default as one member of a model declares them."""

    type: str
    default: str | None  # None: no default to show
    required: bool
    literal: tuple[object, ...] | None = None  # the values of a `Literal`, for merging members

    def cell(self) -> str:
        text = self.type + (", required" if self.required else "")
        return f"{text} ({self.default})" if self.default else text


def default_of(info: FieldInfo, name: str, enclosing: BaseModel | None) -> tuple[Any, bool]:
    """A key's default and whether it is required. Where the enclosing mapping has a default
    of its own, its value decides: a budget's `per_user` has no default, but
    `rate_limits.feedback`'s default holds one."""
    if enclosing is not None:
        return getattr(enclosing, name), False
    if info.is_required():
        return None, True
    return info.get_default(call_default_factory=True), False


def kind_of(info: FieldInfo, default: Any, *, required: bool) -> Kind:
    annotation = _without_none(info.annotation)
    literal = get_args(annotation) if get_origin(annotation) is Literal else None
    text = (_extra(info, DOC_TYPE) or type_text(annotation)) + _bounds(info, annotation)
    shown = _extra(info, DOC_DEFAULT)
    return Kind(text, shown or default_text(default), required and not shown, literal)


def nested_models(annotation: Any) -> list[tuple[str | None, type[BaseModel]]]:
    """The models a field holds, with their union tags: `[(None, Model)]` for one model or a
    tuple of them, `[("echo", EchoAgentSettings), ...]` for the agent's tagged union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(None, annotation)]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is not None and hasattr(annotation, "__metadata__"):  # Annotated[Model, Tag(...)]
        tags = [item.tag for item in annotation.__metadata__ if isinstance(item, Tag)]
        return [(tags[0] if tags else tag, model) for tag, model in nested_models(args[0])]
    found: list[tuple[str | None, type[BaseModel]]] = []
    for arg in args:
        found += [member for member in nested_models(arg) if member not in found]
    return found


def type_text(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation][0]
    if origin is Literal:
        return " | ".join(f"`{value}`" for value in args)
    if origin is tuple:
        return "list" + _of(args[0])
    if origin is dict:
        return "mapping" + _of(args[1])
    if nested_models(annotation):
        return "mapping"
    raise TypeError(f"no README wording for the type {annotation!r}; give it a doc_type")


def default_text(value: Any) -> str | None:
    if value is None or isinstance(value, BaseModel):
        return None  # unset, or a mapping whose keys have rows of their own
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list | dict):
        return ", ".join(f"`{item}`" for item in value) if value else "empty"
    return f"`{value}`"


def _of(item: Any) -> str:
    if item in _SCALARS:
        return f" of {_SCALARS[item][1]}"
    if get_origin(item) is Literal:
        return " of " + ", ".join(f"`{value}`" for value in get_args(item))
    return ""


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return annotation


def _extra(info: FieldInfo, key: str) -> str | None:
    extra = info.json_schema_extra
    value = extra.get(key) if isinstance(extra, dict) else None
    return value if isinstance(value, str) else None


def _bounds(info: FieldInfo, annotation: Any) -> str:
    found: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, Clamp):
            return ", clamped to " + _range(item.low, item.high, exclusive=False)
        if not isinstance(item, Discriminator):  # which union member, not a bound
            found |= _constraints(item)
    unknown = set(found) - {"ge", "gt", "le", "min_length", "max_length", "pattern"}
    if unknown:  # a table that silently left a rule out would be worse than none
        raise TypeError(f"no README wording for the constraints {sorted(unknown)}")
    if isinstance(annotation, type) and annotation in (int, float):
        low = found.get("ge", found.get("gt"))
        if low is None and "le" not in found:
            return ""
        return " " + _range(low, found.get("le"), exclusive="gt" in found)
    if get_origin(annotation) is tuple:
        if found.get("min_length") == 1 and "max_length" not in found:
            return ", at least one"
        return _lengths(found, "items")
    start = re.fullmatch(r"\^([\w-]+)", found.get("pattern", ""))
    if start:
        return f" starting `{start[1]}`" + _lengths(found, "characters")
    if "pattern" in found:
        return f" matching `{found['pattern']}`" + _lengths(found, "characters")
    return _lengths(found, "characters")


def _constraints(item: object) -> dict[str, Any]:
    """The constraints one metadata item sets: pydantic's `Ge(ge=1)`, `MinLen(...)` and the
    general metadata holding `pattern`."""
    if dataclasses.is_dataclass(item):
        values = {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
    else:
        values = dict(getattr(item, "__dict__", {}))
    return {name: value for name, value in values.items() if value is not None}


def _lengths(found: dict[str, Any], unit: str) -> str:
    shortest, longest = found.get("min_length"), found.get("max_length")
    if shortest and longest:
        return f", {shortest}..{longest} {unit}"
    if longest:
        return f", at most {longest} {unit}"
    if shortest:
        return ", not empty" if shortest == 1 else f", {shortest}+ {unit}"
    return ""


def _range(low: Any, high: Any, *, exclusive: bool) -> str:
    """`1..500`, `≥ 1`, `> 0, ≤ 3600`: the README's way of writing a field's bounds."""
    if low is not None and high is not None and not exclusive:
        return f"{low}..{high}"
    parts = [f"{'>' if exclusive else '≥'} {low}"] if low is not None else []
    parts += [f"≤ {high}"] if high is not None else []
    return ", ".join(parts)
