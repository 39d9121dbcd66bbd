"""Prometheus metrics: the families the app records (`families.py`) and how a scrape reads
them, in one process or summed over `--workers N` (`exposition.py`).

This package sits at the bottom of the layers: the writer, the runner, the dispatcher and the
web middleware are handed a `Metrics` (or None when metrics are off) and record into it.
"""

from app.metrics.families import Metrics

__all__ = ["Metrics"]
