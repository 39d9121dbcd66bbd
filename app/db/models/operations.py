"""What runs behind the requests: the publishing outbox, scheduled jobs' last runs and the
alerts' states."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.bounds import ID_MAX_CHARS
from app.db.models.base import Base


class OutboxEvent(Base):
    """An event waiting for (or done with) delivery to one destination.

    Written in the same transaction as the feedback it announces; `seq` gives the commit
    order that delivery keeps per session and destination.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    destination: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(ID_MAX_CHARS))
    feedback_id: Mapped[str | None] = mapped_column(String(36))
    topic: Mapped[str | None] = mapped_column(String(1024))
    payload: Mapped[str] = mapped_column(Text)
    created_time: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_time: Mapped[int] = mapped_column(BigInteger)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger)
    delivered_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_queue", "destination", "session_id", "delivered_time", "seq"),
        Index("ix_outbox_due", "delivered_time", "next_attempt_time"),
    )


class ScheduledJob(Base):
    """When a scheduled job (data retention) last ran, and where: instances share it."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_ms: Mapped[int] = mapped_column(BigInteger)
    ran_by: Mapped[str] = mapped_column(String(255))


class AlertState(Base):
    """Whether an alert is firing, shared by every instance: changing it is a conditional
    write, so each `firing` and `resolved` is sent once. `count` and `negative` are the
    window's rated feedback and thumbs-down at the last change."""

    __tablename__ = "alert_states"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    changed_time: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    negative: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("state IN ('ok', 'firing')", name="ck_alert_states_state"),)


# The tables, for Core statements in the store modules.
