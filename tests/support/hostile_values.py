"""Hostile but plausible input for the boundary harness (tests/test_boundary_harness.py), how a
hostile client writes it on the wire, and what the server must make of it.

Most generated text is text the server must keep exactly (control characters, bidi overrides,
noncharacters, astral characters, CSV formula starters, long runs); about one string in
sixteen carries what the boundary rule refuses (a NUL or a lone surrogate). Numbers are mostly
64-bit integers and finite floats, now and then `1e999` or an integer past 64 bits; some nest
around the 64-level limit, and fields sometimes get a value of the wrong type. So a good share
of bodies is accepted, which is what makes the round-trip checks mean something.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

NUL = "\x00"
INT64 = (-(2**63), 2**63 - 1)
MAX_DEPTH = 64
# Text that looks dangerous and must still be kept exactly as sent.
AWKWARD = (
    "\u202e", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff", "\ufffe", "\uffff", "\ufdd0",
    "\U0010ffff", "\U0001f600", "\u0301", "\x1b[31m", "\x01", "\x7f", "\x85", "\u2028", "\r\n",
    "\r", "\n", "\t", " ", "=1+1", "+", "-", "@", "'", '"', ",", ";", "<b>", "&amp;", "\\",
    "\\u0000", "%00", "{{ x }}", "NaN", "null",
)  # fmt: skip
LONG_UNITS = ("x", "é", "\U0001f600", "\u202e", "ab\r\n")


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int) -> Any:
    """`common`, and about one time in `one_in` `rare`. (A value in the middle of a range
    decides: Hypothesis favours a range's ends, so `one_of` with repeats would not do.)"""
    return st.integers(0, one_in - 1).flatmap(lambda n: rare if n == one_in // 2 else common)


_char = st.characters(exclude_categories=["Cs"], exclude_characters=[NUL])
short_clean_text = st.one_of(
    st.text(_char, min_size=1, max_size=24),
    st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(_char, max_size=6)), min_size=1).map(
        "".join
    ),
)
clean_text = st.one_of(
    short_clean_text,
    st.builds(lambda unit, n: unit * n, st.sampled_from(LONG_UNITS), st.integers(200, 1200)),
)
poison = st.one_of(st.just(NUL), st.integers(0xD800, 0xDFFF).map(chr))


def _poisoned(text: str, bad: str, at: int) -> str:
    at %= len(text) + 1
    return text[:at] + bad + text[at:]


def sometimes_poisoned(clean: st.SearchStrategy[str], one_in: int = 16) -> st.SearchStrategy[str]:
    """`clean`, and one time in `one_in` the same with a NUL or a lone surrogate inside."""
    return mostly(clean, st.builds(_poisoned, clean, poison, st.integers(0, 2**16)), one_in)


text = sometimes_poisoned(clean_text)
short_text = sometimes_poisoned(short_clean_text)

_finite = st.floats(allow_nan=False, allow_infinity=False)
_int64 = st.integers(*INT64)
unstorable_number = st.one_of(
    st.sampled_from([math.inf, -math.inf]),
    st.integers(2**63, 2**80),
    st.integers(-(2**80), -(2**63) - 1),
)
number = mostly(st.one_of(_int64, _finite), unstorable_number, 16)
scalar = st.one_of(st.none(), st.booleans(), number, text)
json_value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(short_text, inner, max_size=3)
    ),
    max_leaves=6,
)


clean_scalar = st.one_of(st.none(), st.booleans(), _int64, _finite, clean_text)
clean_json = st.recursive(
    clean_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(clean_text, inner, max_size=3)
    ),
    max_leaves=8,
)


def nested(value: Any, levels: int, in_dicts: bool) -> Any:
    for _ in range(levels):
        value = {"n": value} if in_dicts else [value]
    return value


# Nesting around the limit: a metadata object sits at level 2 of its body.
deep_value = st.builds(nested, scalar, st.integers(58, 66), st.booleans())
metadata = mostly(
    st.dictionaries(short_text, json_value, max_size=4),
    st.builds(lambda value: {"deep": value}, deep_value),
    6,
)
anything = st.one_of(
    scalar, st.lists(scalar, max_size=2), st.dictionaries(text, scalar, max_size=2)
)


def sometimes_wrong(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy`'s values, and one time in twelve a value of any type at all."""
    return mostly(strategy, anything, 12)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@dataclass(frozen=True)
class JsonText:
    """A value sent as a string of JSON text (Portkey's string `metadata`)."""

    value: Any


def dump(value: Any) -> str:
    """JSON text as a hostile client writes it: `\\ud800` and `\\u0000` escapes, `1e999` for
    an infinite number, integers of any size. (Python's encoders refuse or rewrite these.)"""
    if isinstance(value, JsonText):
        return json.dumps(dump(value.value))
    if isinstance(value, float):
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ",".join(dump(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def unstorable(value: Any, depth: int = 1, *, in_json_text: bool = True) -> bool:
    """Whether `value` holds anything the boundary rule refuses (written apart from the rule);
    with `in_json_text` False, not counting what hides inside a JsonText."""
    if isinstance(value, JsonText):
        return in_json_text and unstorable(value.value)
    if isinstance(value, str):
        return NUL in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return not INT64[0] <= value <= INT64[1]
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list | dict):
        if depth > MAX_DEPTH:
            return True
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        return any(
            (key is not None and unstorable(key))
            or unstorable(item, depth + 1, in_json_text=in_json_text)
            for key, item in items
        )
    raise TypeError(f"not a JSON value: {value!r}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(sent: Any, read: Any) -> bool:
    """Equal as JSON values, of the same JSON types: 1.0 and 1 are one JSON number (SQLite
    keeps a bare number 0.0 as 0), but true is not 1 and "1" is not 1."""
    if isinstance(sent, JsonText):
        return same(sent.value, read)
    if _number(sent) or _number(read):
        return _number(sent) and _number(read) and bool(sent == read)
    if type(sent) is not type(read):
        return False
    if isinstance(sent, list):
        return len(sent) == len(read) and all(map(same, sent, read))
    if isinstance(sent, dict):
        return sent.keys() == read.keys() and all(same(sent[k], read[k]) for k in sent)
    return bool(sent == read)
