"""Alerts on negative feedback: rules over a sliding window, their state in the database, and
the webhook messages sent through the outbox when a rule starts or stops firing."""
