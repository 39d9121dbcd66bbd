"""SQL for the key registry: the first config stored for a key wins.

A stored key never changes and is never deleted, so the keys this process registered at
startup (committed before it served anything) are remembered, per database: the thumbs on
every Like then cost no registry query. Any other key is read from the database each time,
since a key first stored by a unit that later rolls back must not be remembered.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import now_ms
from app.config.feedback import FeedbackKeySettings
from app.db.models import FEEDBACK_KEYS as KEYS
from app.feedback.rules import spec_of

_GET_KEY = select(KEYS).where(KEYS.c.name == bindparam("b_name"))
_ADD_KEY = {
    "sqlite": sqlite_insert(KEYS).on_conflict_do_nothing(index_elements=["name"]),
    "postgresql": postgresql_insert(KEYS).on_conflict_do_nothing(index_elements=["name"]),
}


_committed: weakref.WeakKeyDictionary[Engine, dict[str, FeedbackKeySettings]] = (
    weakref.WeakKeyDictionary()
)


def remember_committed(engine: Engine, keys: list[FeedbackKeySettings]) -> None:
    """Keys known to be stored and committed in this database (registered at startup)."""
    _committed.setdefault(engine, {}).update((key.name, key) for key in keys)


def get_key(conn: Connection, name: str) -> FeedbackKeySettings | None:
    known = _committed.get(conn.engine)
    if known is not None and name in known:
        return known[name]
    row = conn.execute(_GET_KEY, {"b_name": name}).mappings().first()
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
    known = get_key(conn, spec.name)
    if known is not None:
        return known
    conn.execute(_ADD_KEY[conn.dialect.name], _key_values(spec))
    stored = get_key(conn, spec.name)
    assert stored is not None
    return stored
