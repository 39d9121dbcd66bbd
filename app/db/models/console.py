"""Operators' console sessions, held on the server so that signing out ends them everywhere."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base


class ConsoleSession(Base):
    """A console sign-in. Its cookie carries a random id; only the id's SHA-256 is kept, as for
    feedback links, so a copy of this table opens nothing. The key it signed in with is named
    and fingerprinted with an HMAC under the console secret (never a plain hash, and it never
    leaves the server): a key removed, rotated or descoped ends its sessions at once."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_name: Mapped[str] = mapped_column(Text)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    created_time: Mapped[int] = mapped_column(BigInteger)
    expires_time: Mapped[int] = mapped_column(BigInteger)
    # Set by signing out; the session is over on every instance from then on.
    ended_time: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(255))  # the instance, host:pid

    __table_args__ = (Index("ix_console_sessions_expires", "expires_time"),)
