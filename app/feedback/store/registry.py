"""SQL for the key registry: the first config stored for a key wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import now_ms
from app.config.feedback import FeedbackKeySettings
from app.db.models import FEEDBACK_KEYS as KEYS
from app.feedback.rules import spec_of


def get_key(conn: Connection, name: str) -> FeedbackKeySettings | None:
    row = conn.execute(select(KEYS).where(KEYS.c.name == name)).mappings().first()
    if row is None:
        return None
    return spec_of(row["name"], row["type"], row["config"], row["one_per_target"])


def _key_values(spec: FeedbackKeySettings) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type,
        "config": {k: v for k, v in spec.config().items() if k != "type"},
        "one_per_target": spec.one_per_target,
        "created_time": now_ms(),
    }


def add_key_if_new(conn: Connection, spec: FeedbackKeySettings) -> FeedbackKeySettings:
    """Register `spec` unless its name is taken; either way, the stored key (it wins).
    Two first uses may race: the first insert wins and both go on with what is stored."""
    insert_into = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_into(KEYS).values(_key_values(spec)).on_conflict_do_nothing(index_elements=["name"])
    )
    stored = get_key(conn, spec.name)
    assert stored is not None
    return stored
