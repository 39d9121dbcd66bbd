"""The trend chart's axis: round, evenly spaced gridlines with exact labels."""

from __future__ import annotations

from itertools import pairwise

from app.console.chart import axis, trend_chart
from app.console.dashboard import Bucket

DAY_MS = 86_400_000


def test_the_axis_steps_evenly_by_one_two_or_five() -> None:
    assert axis(0) == (4, 1)
    assert axis(7) == (8, 2)
    assert axis(10) == (10, 2)
    assert axis(11) == (15, 5)
    assert axis(23) == (25, 5)
    assert axis(1234) == (1500, 500)
    for maximum in range(0, 5000, 7):
        top, step = axis(maximum)
        assert top >= maximum and top % step == 0 and top // step <= 5
        assert str(step).strip("0") in ("1", "2", "5")


def test_gridline_labels_are_exact_and_evenly_spaced() -> None:
    buckets = [Bucket(start_ms=n * DAY_MS, up=n, down=10 - n) for n in range(7)]
    chart = trend_chart(buckets, DAY_MS)
    values = [value for _, value in chart.ticks]
    assert values == [0, 2, 4, 6, 8, 10]  # was 0/2/5/7/10
    ys = [y for y, _ in chart.ticks]
    gaps = {round(a - b, 2) for a, b in pairwise(ys)}
    assert len(gaps) == 1
