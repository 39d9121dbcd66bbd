"""The listing's plan: newest first, at any page and under each common filter, is one walk
down an index on SQLite, never a sort (migration 0010_listing_indexes)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from app.db.engine import SQLiteDatabase
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.harness import Harness, HarnessFactory

OPERATOR = {"X-API-Key": OPERATOR_KEY}


def listing_selects(harness: Harness) -> list[tuple[str, Any]]:
    """The SELECTs of feedback rows the app runs from now on, with their parameters."""
    seen: list[tuple[str, Any]] = []
    db = harness.services.db
    assert isinstance(db, SQLiteDatabase)

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT feedback.id") and "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize(
    "query",
    ["page_size=20", "page_size=20&page=500", "rating=down", "query_user_id=user7", "key=thumbs"],
)
async def test_every_listing_page_walks_an_index_without_sorting(
    make_harness: HarnessFactory, query: str
) -> None:
    harness = await make_harness(**console_config())
    selects = listing_selects(harness)
    response = await harness.client.get(f"/api/v1/feedback?{query}", headers=OPERATOR)
    assert response.status_code == 200, response.text
    ((statement, parameters),) = selects

    plan = await harness.services.db.read(
        lambda conn: [
            row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    )
    assert any("INDEX ix_feedback_" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
