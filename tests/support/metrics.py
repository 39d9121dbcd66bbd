"""Reading `/metrics` as Prometheus does: an app with metrics on, a scrape parsed by
prometheus-client's own parser, and how far a figure moved between two scrapes."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

METRICS_KEY = "prometheus-key-0123456789"
PLATFORM_KEY = "platform-key-0123456789"
KEYS = [
    {"name": "prometheus", "key": METRICS_KEY, "scopes": ["metrics:read"]},
    {"name": "platform", "key": PLATFORM_KEY, "scopes": ["transcripts:write", "feedback:write"]},
]
SCRAPER = {"Authorization": f"Bearer {METRICS_KEY}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def metrics_config(**extra: Any) -> dict[str, Any]:
    """config_dict() options: metrics on, and the keys above (dev mode for everyone else).
    Data retention is off: its pass at startup would be a unit of work in flight when a test
    reads the writer's figures."""
    return {
        "observability": {"metrics": {"enabled": True}},
        "auth": {"mode": "dev", "api_keys": KEYS},
        "data_retention": {"enabled": False},
        **extra,
    }


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist yet (as Prometheus reads it)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)
