"""The app's own TracerProvider: built by `create_app`'s lifespan when
`observability.otlp.endpoint` is set, shut down (flushed) when the lifespan ends.

It is never installed as OpenTelemetry's global provider, so two apps in one process (the
tests, an embedding host with tracing of its own) keep their spans apart, and nothing
outlives the app: no atexit hook holds it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from app.config.observability import OtlpSettings

INSTRUMENTATION = "feedback_widget"
# Arize Phoenix files spans under the project this resource attribute names ("default"
# without it); other backends ignore it.
PHOENIX_PROJECT = "openinference.project.name"
EXPORT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Tracing:
    provider: TracerProvider
    tracer: Tracer

    async def shutdown(self) -> None:
        """Export what is still queued, then stop the exporter's thread (off the event loop:
        the flush waits on the network)."""
        await asyncio.to_thread(self.provider.shutdown)


def start_tracing(settings: OtlpSettings) -> Tracing | None:
    """Spans batched in the background and exported to `settings.endpoint`; None when unset.
    The batch size and delay follow the SDK's OTEL_BSP_* environment variables."""
    if settings.endpoint is None:
        return None
    resource = Resource.create(
        {SERVICE_NAME: settings.service_name, PHOENIX_PROJECT: settings.service_name}
    )
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    exporter = OTLPSpanExporter(
        endpoint=settings.endpoint,
        headers=dict(settings.headers),
        timeout=EXPORT_TIMEOUT_SECONDS,
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider, provider.get_tracer(INSTRUMENTATION))
