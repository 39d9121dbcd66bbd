"""What a scrape of `/metrics` returns, from one process or summed over `--workers N`.

With several workers each process holds its own figures, and a scrape reaches one of them.
prometheus-client's multiprocess mode makes the answer whole: every worker writes its figures
to files in `PROMETHEUS_MULTIPROC_DIR`, and whichever worker is scraped reads them all and
sums them. `feedback-widget serve --workers N` makes that folder before the workers start
(prometheus-client picks its file-backed values when it is imported, so the variable must be
set by then) and removes it when the server stops. Counters of a worker that ended stay in
the sum, so totals never go backwards; the live streams and queued units of a worker that
ended are dropped (`forget_worker`, and `forget_dead_workers` for one that crashed).

Figures that every process shares anyway (the outbox's backlog, in the database) are read
once at scrape time and added as they are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from app.metrics.families import PREFIX

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# target -> (events not yet delivered, seconds the oldest of them has waited)
Backlog = Mapping[str, tuple[int, float]]


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


@contextlib.contextmanager
def shared_between_workers(workers: int, *, enabled: bool) -> Iterator[str | None]:
    """For the serve command, around the workers' whole life: a fresh folder the workers
    write their figures to. Nothing when one process serves, metrics are off, or the
    operator named a folder of their own (which they then clean)."""
    if workers <= 1 or not enabled or multiprocess_dir() is not None:
        yield multiprocess_dir()
        return
    folder = tempfile.mkdtemp(prefix="feedback-widget-metrics-")
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield folder
    finally:
        del os.environ[MULTIPROCESS_ENV]
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_workers() -> None:
    """At a worker's start: drop the live gauges of workers that died without saying so
    (uvicorn starts a new worker in place of one that crashed)."""
    folder = multiprocess_dir()
    if folder is None:
        return
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), folder)  # type: ignore[no-untyped-call]


def forget_worker() -> None:
    """At a worker's orderly end: its open streams and queued units no longer count."""
    folder = multiprocess_dir()
    if folder is not None:
        mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]


class _Everything(Collector):
    """A registry, as a collector of another (the scrape's)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class _ScrapeTime(Collector):
    def __init__(self, backlog: Backlog) -> None:
        self.backlog = backlog

    def collect(self) -> Iterable[Metric]:
        pending = GaugeMetricFamily(
            PREFIX + "outbox_backlog",
            "Outbox events not yet delivered, by target (read from the database at scrape).",
            labels=("target",),
        )
        oldest = GaugeMetricFamily(
            PREFIX + "outbox_oldest_pending_seconds",
            "How long the oldest undelivered outbox event has waited, by target.",
            labels=("target",),
        )
        for target, (count, age) in sorted(self.backlog.items()):
            pending.add_metric((target,), count)
            oldest.add_metric((target,), age)
        return [pending, oldest]


def render(registry: CollectorRegistry, backlog: Backlog, accept: str) -> tuple[bytes, str]:
    """This process's registry, or every worker's files summed, and what was read at scrape
    time; and its content type. The Prometheus text format (0.0.4), unless the scraper's
    `Accept` asks for a newer text format or OpenMetrics."""
    scrape = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder is not None:
        MultiProcessCollector(scrape, folder)  # type: ignore[no-untyped-call]
    else:
        scrape.register(_Everything(registry))
    scrape.register(_ScrapeTime(backlog))
    encode, content_type = choose_encoder(accept)
    return encode(scrape), content_type
