"""The window's count walks an index, and the state is changed by a conditional write."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.dialects import sqlite

from app.alerts import store
from app.alerts.window import Figures
from app.clock import now_ms
from app.config.observability import AlertSettings
from app.db.writer import Transaction
from tests.support.harness import HarnessFactory


def rule(**options: Any) -> AlertSettings:
    values: dict[str, Any] = {
        "name": "negative-answers",
        "negative_share_above": 0.5,
        "window_minutes": 15,
        "min_feedback": 4,
        "webhook_url": "http://127.0.0.1:9/hook",
        **options,
    }
    return AlertSettings.model_validate(values)


@pytest.mark.parametrize(
    ("count", "negative", "state"),
    [
        (0, 0, "ok"),
        (3, 3, "ok"),  # under min_feedback: never fires
        (4, 2, "ok"),  # at the threshold is not above it
        (4, 3, "firing"),
        (10, 6, "firing"),
        (10, 5, "ok"),
    ],
)
def test_the_state_a_window_calls_for(count: int, negative: int, state: str) -> None:
    assert Figures(count=count, negative=negative).state_for(rule()) == state


def plan(conn: Connection, alert: AlertSettings) -> str:
    query = store.window_query(alert, now=now_ms())
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("options", "index"),
    [
        ({}, "feedback USING COVERING INDEX ix_feedback_rating_created"),
        ({"model": "m-1"}, "feedback USING COVERING INDEX ix_feedback_console"),
        ({"agent": "a", "model": "m-1"}, "feedback USING COVERING INDEX ix_feedback_console"),
        ({"reason": "Wrong"}, "feedback_reasons USING COVERING INDEX ix_feedback_reasons_period"),
        ({"reason": "Wrong", "model": "m-1"}, "feedback USING INDEX ix_feedback_console"),
    ],
)  # fmt: skip
async def test_the_window_is_counted_from_an_index(
    make_harness: HarnessFactory, options: dict[str, Any], index: str
) -> None:
    harness = await make_harness()
    found = await harness.services.db.read(lambda conn: plan(conn, rule(**options)))
    assert f"SEARCH {index}" in found, found
    assert "SCAN feedback" not in found, found  # never a whole table
    assert "(source=? AND created_time>? AND created_time<?)" in found or not options


async def test_a_change_is_written_only_from_the_state_it_was_judged_in(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness()
    alert, now = rule(), now_ms()
    breach = Figures(count=5, negative=5)

    def unit(tx: Transaction) -> list[object]:
        was = store.lock_state(tx.conn, alert.name, now=now)
        first = store.change_state(tx, alert, was=was, figures=breach, now=now)
        # A second writer that judged the old state too finds it moved: no second message.
        second = store.change_state(tx, alert, was=was, figures=breach, now=now)
        return [was, first is not None, second, store.states(tx.conn, [alert.name])]

    assert await harness.services.writer.run(unit) == [
        "ok",
        True,
        None,
        {alert.name: "firing"},
    ]
