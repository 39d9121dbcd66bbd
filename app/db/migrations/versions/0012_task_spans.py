"""Each turn the widget's agent runs remembers its OpenTelemetry span (exported when
`observability.otlp.endpoint` is set), so feedback given later lands on the same span as an
annotation. Not `trace_id`: that column is the agent platform's own reference (a VoltAgent
trace, a Trodo run) which feedback SDKs target.

Revision ID: 0012_task_spans
Revises: 0011_alert_states
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_task_spans"
down_revision = "0011_alert_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("otel_trace_id", sa.String(32), nullable=True))
    op.add_column("tasks", sa.Column("otel_span_id", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("otel_span_id")
        batch.drop_column("otel_trace_id")
