"""The trend chart's geometry, drawn by the template as plain SVG: no script, no inline style,
colours from console.css. Stacked bars per bucket, thumbs up below thumbs down, on an axis
of even, round steps. The same numbers are in a table under the chart."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.console.dashboard import Bucket
from app.i18n.catalogs import translator

WIDTH = 720
HEIGHT = 220
LEFT = 44  # room for the axis labels
TOP = 10
BOTTOM = 26  # room for the bucket labels
GAP = 0.2  # of each slot, between bars
MAX_LABELS = 8
MAX_STEPS = 5  # gridlines above the baseline


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    up_y: float
    up_height: float
    down_y: float
    down_height: float
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of each gridline
    labels: list[tuple[float, str]]  # (x centre, text) under some bars
    baseline: float
    summary: str


def axis(maximum: int) -> tuple[int, int]:
    """The y axis for bars up to `maximum`: its top and its step. The step is 1, 2 or 5 times a
    power of ten and the top a whole number of steps (at most MAX_STEPS, at least 4 units), so
    every gridline carries an exact, evenly spaced label: 0/2/4/6/8/10, never 0/2/5/7/10."""
    value = max(maximum, 4)
    power = 1
    while True:
        for unit in (1, 2, 5):
            step = unit * power
            steps = math.ceil(value / step)
            if steps <= MAX_STEPS:
                return step * steps, step
        power *= 10


def trend_chart(buckets: list[Bucket], bucket_ms: int, locale: str = "en") -> Chart:
    words = translator(locale)
    plot_height = HEIGHT - TOP - BOTTOM
    top, step = axis(max((b.up + b.down for b in buckets), default=0))
    slot = (WIDTH - LEFT) / max(len(buckets), 1)
    scale = plot_height / top
    baseline = TOP + plot_height
    bars = []
    for n, bucket in enumerate(buckets):
        up_height, down_height = bucket.up * scale, bucket.down * scale
        x = LEFT + n * slot + slot * GAP / 2
        label = bucket.label(bucket_ms, locale)
        bars.append(
            Bar(
                x=round(x, 2),
                width=round(slot * (1 - GAP), 2),
                up_y=round(baseline - up_height, 2),
                up_height=round(up_height, 2),
                down_y=round(baseline - up_height - down_height, 2),
                down_height=round(down_height, 2),
                title=words.gettext("%(when)s: %(up)s up, %(down)s down")
                % {"when": label, "up": bucket.up, "down": bucket.down},
            )
        )
    every = max(1, math.ceil(len(buckets) / MAX_LABELS))
    labels = [
        (round(LEFT + n * slot + slot / 2, 2), bucket.label(bucket_ms, locale))
        for n, bucket in enumerate(buckets)
        if n % every == 0
    ]
    ticks = [(round(baseline - value * scale, 2), value) for value in range(0, top + 1, step)]
    up = sum(b.up for b in buckets)
    down = sum(b.down for b in buckets)
    summary = words.ngettext(
        "Thumbs up and down: %(up)s up and %(down)s down over %(num)s bucket.",
        "Thumbs up and down: %(up)s up and %(down)s down over %(num)s buckets.",
        len(buckets),
    ) % {"up": up, "down": down, "num": len(buckets)}
    if bucket_ms >= 86_400_000:
        summary += " " + words.gettext("One bucket a day.")
    else:
        summary += " " + words.gettext("One bucket an hour.")
    return Chart(WIDTH, HEIGHT, bars, ticks, labels, baseline, summary)
