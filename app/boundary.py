"""What text and JSON the server accepts: one rule, applied where input enters.

Refused, at every door (JSON bodies, form fields, query strings, paths, token claims):

- a lone UTF-16 surrogate (U+D800..U+DFFF). It is not text: it has no UTF-8 form, so no
  database, JSON encoder, CSV file or broker can hold it. JSON's `\\ud800` escape makes one;
- NUL (U+0000): PostgreSQL's text and json cannot hold it;
- a number that is not finite (`1e999` parses as infinity): JSON has no such number, and
  PostgreSQL's json refuses the `Infinity` it would be written as;
- an integer beyond signed 64 bits (JSON columns and our encoder hold 64);
- JSON nested more than MAX_JSON_DEPTH levels deep.

An agent's reply is the one text we cannot refuse (someone is waiting for it): `repaired`
replaces what the rule refuses in it with U+FFFD.

Everything else is text and is kept exactly as sent: other control characters, bidi
overrides, noncharacters, any length the body limit allows. It must round-trip on both
databases, which tests/test_boundary_harness.py checks at every door.

A refusal is a 422 `invalid_text` whose `errors[0].loc` names the field (`["body", "metadata",
"k"]`, `["query", "rating"]`, `["form", "comment"]`, `["path"]`) and whose detail names it too.
It never repeats the refused text: that could not be encoded either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from app.errors import APIError

MAX_JSON_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_CLEAN_SCALARS = (bool, type(None))

Loc = list[str | int]


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored and read back, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character (U+0000)"
    # ASCII cannot hold a surrogate. Other text has a UTF-8 form unless it holds one; the
    # encoder finds out several times faster than a regular expression would.
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            return f"contains a lone surrogate (U+{ord(text[exc.start]):04X})"
    return None


def storable(text: str) -> bool:
    return text_problem(text) is None


def repaired(text: str) -> str:
    """Text from a source that cannot be refused (an agent's reply): what the rule would refuse
    becomes U+FFFD, as a decoder replaces what it cannot read."""
    if storable(text):
        return text
    return "".join("\ufffd" if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF else char
                   for char in text)  # fmt: skip


def refused(loc: Sequence[str | int], problem: str) -> APIError:
    """The one refusal: 422 `invalid_text`, naming the field in `loc` and in the detail."""
    message = f"{problem}, which cannot be stored"
    return APIError(
        422,
        "invalid_text",
        f"{_name(loc)} {message}.",
        [{"loc": list(loc), "msg": message, "type": "invalid_text"}],
    )


def _name(loc: Sequence[str | int]) -> str:
    where, *path = loc
    if where == "query" and path:
        return f"The query parameter {path[0]}"
    if where == "form" and path:
        return f"The form field {path[0]}"
    if not path:
        return "The query string" if where == "query" else f"The {where}"
    dotted = str(path[0])
    for part in path[1:]:
        dotted += f"[{part}]" if isinstance(part, int) else f".{part}"
    return dotted


def check_text(text: str, loc: Sequence[str | int]) -> None:
    problem = text_problem(text)
    if problem is not None:
        raise refused(loc, problem)


def check_fields(fields: Iterable[tuple[str, Any]], where: str) -> None:
    """Names and text values of a query string or a form (`where` is "query" or "form")."""
    for name, value in fields:
        problem = text_problem(name)
        if problem is not None:
            raise refused([where], f"has a name that {problem}")
        if isinstance(value, str):
            check_text(value, [where, name])


def check_json(value: Any, loc: Sequence[str | int] = ("body",)) -> None:
    """Refuse a parsed JSON value the rule refuses anywhere inside it, naming where."""
    found = _problem(value, 1)
    if found is not None:
        path, problem = found
        path.reverse()
        raise refused([*loc, *path], problem)


def _problem(value: Any, depth: int) -> tuple[Loc, str] | None:
    """(the path to the refused part, innermost first, and why), or None. Recursion stops at
    MAX_JSON_DEPTH, far inside Python's limit."""
    kind = type(value)
    if kind is str:
        problem = text_problem(value)
        return None if problem is None else ([], problem)
    if kind is dict:
        if depth > MAX_JSON_DEPTH:
            return [], f"is nested more than {MAX_JSON_DEPTH} levels deep"
        for key, item in value.items():
            problem = text_problem(key)
            if problem is not None:
                return [], f"has a key that {problem}"
            if isinstance(item, _CLEAN_SCALARS):
                continue
            found = _problem(item, depth + 1)
            if found is not None:
                found[0].append(key)
                return found
        return None
    if kind is list:
        if depth > MAX_JSON_DEPTH:
            return [], f"is nested more than {MAX_JSON_DEPTH} levels deep"
        for index, item in enumerate(value):
            if isinstance(item, _CLEAN_SCALARS):
                continue
            found = _problem(item, depth + 1)
            if found is not None:
                found[0].append(index)
                return found
        return None
    if kind is int:
        return None if INT64_MIN <= value <= INT64_MAX else ([], "is an integer beyond 64 bits")
    if kind is float:
        return None if math.isfinite(value) else ([], "is not a finite number")
    if isinstance(value, _CLEAN_SCALARS):
        return None
    return [], "is not a JSON value"
