"""Every metric the app records, on the app's own registry (built in `create_app`, never at
import time, so two apps in one process never share a figure).

What a request records goes through methods that keep each label set's child: a child is
looked up once per label set, not parsed and locked per call (`labels()` costs about 1 µs).
Gauges that each worker holds a part of say how workers add up (`multiprocess_mode`): the
streams and queued units of live workers are summed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "feedback_widget_"
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
TURN_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
TURN_OUTCOMES = ("completed", "failed", "cancelled")
_Child = tuple[Counter, Histogram]


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            PREFIX + "http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=registry,
        )
        self.request_seconds = Histogram(
            PREFIX + "http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template.",
            ("route", "method"),
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.feedback = Counter(
            PREFIX + "feedback_stored",
            "Feedback committed (stored or changed), by door, rating and source.",
            ("door", "rating", "source"),
            registry=registry,
        )
        self.live_streams = Gauge(
            PREFIX + "live_streams_open",
            "Event streams (widget and console) open now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.deliveries = Counter(
            PREFIX + "outbox_deliveries",
            "Outbox events delivered, by target (mqtt, webhook:<index>, alert:<name>).",
            ("target",),
            registry=registry,
        )
        self.delivery_failures = Counter(
            PREFIX + "outbox_failures",
            "Outbox delivery attempts that failed (to be retried), by target.",
            ("target",),
            registry=registry,
        )
        self.writer_queue = Gauge(
            PREFIX + "writer_queue_depth",
            "Units of work waiting for the writer (SQLite) or in a transaction (PostgreSQL).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.writer_group = Histogram(
            PREFIX + "writer_group_size",
            "Units of work committed together by one SQLite group commit.",
            buckets=GROUP_BUCKETS,
            registry=registry,
        )
        self.agent_turns = Counter(
            PREFIX + "agent_turns",
            "Agent turns ended, by outcome (completed, failed, cancelled).",
            ("outcome",),
            registry=registry,
        )
        self.first_token_seconds = Histogram(
            PREFIX + "agent_time_to_first_token_seconds",
            "Time from a turn's start to the agent's first text.",
            buckets=FIRST_TOKEN_BUCKETS,
            registry=registry,
        )
        self.turn_seconds = Histogram(
            PREFIX + "agent_turn_duration_seconds",
            "Time from a turn's start to its end, by outcome.",
            ("outcome",),
            buckets=TURN_BUCKETS,
            registry=registry,
        )
        for outcome in TURN_OUTCOMES:  # every outcome shows from the start, at 0
            self.agent_turns.labels(outcome)
            self.turn_seconds.labels(outcome)
        self._request_children: dict[tuple[str, str, int], _Child] = {}
        self._feedback_children: dict[tuple[str, str | None, str], Counter] = {}

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        child = self._request_children.get(key)
        if child is None:
            child = (
                self.requests.labels(route, method, str(status)),
                self.request_seconds.labels(route, method),
            )
            self._request_children[key] = child
        child[0].inc()
        child[1].observe(seconds)

    def feedback_stored(self, door: str, rating: str | None, source: str) -> None:
        key = (door, rating, source)
        child = self._feedback_children.get(key)
        if child is None:
            child = self.feedback.labels(door, rating or "none", source)
            self._feedback_children[key] = child
        child.inc()

    def delivered(self, target: str, *, ok: bool) -> None:
        (self.deliveries if ok else self.delivery_failures).labels(target).inc()

    def targets(self, names: list[str]) -> None:
        """Show each configured target's counts from the start, at 0."""
        for name in names:
            self.deliveries.labels(name)
            self.delivery_failures.labels(name)

    def agent_turn(self, outcome: str, seconds: float, first_token: float | None) -> None:
        self.agent_turns.labels(outcome).inc()
        self.turn_seconds.labels(outcome).observe(seconds)
        if first_token is not None:
            self.first_token_seconds.observe(first_token)
