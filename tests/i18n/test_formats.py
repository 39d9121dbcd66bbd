from __future__ import annotations

import pytest

from app.i18n.formats import moment, number, share

# 2025-12-05 11:00 UTC
WHEN = 1_764_932_400_000


@pytest.mark.parametrize(
    ("locale", "figure", "percent", "date"),
    [
        ("en", "12,345", "72%", "Dec 5, 2025"),
        ("de", "12.345", "72\xa0%", "05.12.2025"),
        ("fr", "12\u202f345", "72\xa0%", "5 déc. 2025"),
        ("ja", "12,345", "72%", "2025/12/05"),
    ],
)
def test_figures_and_times_are_written_the_locales_way(
    locale: str, figure: str, percent: str, date: str
) -> None:
    assert number(12345, locale) == figure
    assert share(0.7234, locale) == percent
    assert moment(WHEN, locale).startswith(date) and moment(WHEN, locale).endswith("UTC")
    assert share(None, locale) == "\u2013"
