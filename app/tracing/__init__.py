"""OpenTelemetry traces: each agent turn as a GenAI span, exported over OTLP/HTTP."""
