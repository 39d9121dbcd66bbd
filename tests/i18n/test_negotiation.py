from __future__ import annotations

import pytest

from app.i18n.negotiation import accepted_locale, choose_locale, shipped_locale


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("de", "de"), ("de-AT", "de"), ("DE_de", "de"), ("ar-EG", "ar"), ("pt-BR", None), ("", None)],
)
def test_a_tag_names_a_shipped_locale_or_none(tag: str, expected: str | None) -> None:
    assert shipped_locale(tag) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("en;q=0.1, es;q=0.8", "es"),
        ("ja;q=0, de;q=0.5", "de"),  # q=0: "not this one"
        ("de;q=abc, ja", "ja"),  # an unreadable weight drops that entry only
        ("*", None),
        ("zh-TW", None),
    ],
)
def test_accept_language_is_read_by_weight(header: str, expected: str | None) -> None:
    assert accepted_locale(header) == expected


def test_the_first_candidate_naming_a_shipped_locale_wins() -> None:
    assert choose_locale("xx", None, "ja", accept_language="de") == "ja"
    assert choose_locale(None, None, None, accept_language="de") == "de"
    assert choose_locale(None, accept_language=None) == "en"
