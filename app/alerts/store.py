"""SQL for alerts: count a rule's window, and change its state with a conditional write.

The window's count walks an index: `ix_feedback_rating_created` (rating, time, id) answers a
rule without filters from the index alone; an agent or model filter reads only the window's
rows, and a reason filter looks each of them up by `feedback_reasons`' primary key.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Select

from app.alerts.events import AlertChanged
from app.alerts.window import AlertState, Figures, window_start
from app.config.observability import AlertSettings
from app.db.models import ALERT_STATES, FEEDBACK, FEEDBACK_REASONS
from app.db.writer import Transaction

RATINGS = ("up", "down")
_INSERT_NEW = {
    "sqlite": sqlite_insert(ALERT_STATES).on_conflict_do_nothing(index_elements=["name"]),
    "postgresql": postgresql_insert(ALERT_STATES).on_conflict_do_nothing(index_elements=["name"]),
}


def window_query(rule: AlertSettings, *, now: int) -> Select[str | None, int]:
    c = FEEDBACK.c
    clauses = [
        c.rating.in_(RATINGS),
        c.created_time > window_start(rule, now),
        c.created_time <= now,
    ]
    if rule.agent is not None:
        clauses.append(c.agent_id == rule.agent)
    if rule.model is not None:
        clauses.append(c.model == rule.model)
    if rule.reason is not None:
        r = FEEDBACK_REASONS.c
        clauses.append(exists().where(r.feedback_id == c.id, r.reason == rule.reason))
    return select(c.rating, func.count()).where(*clauses).group_by(c.rating)


def window_figures(conn: Connection, rule: AlertSettings, *, now: int) -> Figures:
    """The rated feedback matching the rule's filters in its window ending at `now`."""
    by_rating = {rating: int(count) for rating, count in conn.execute(window_query(rule, now=now))}
    return Figures(count=sum(by_rating.values()), negative=by_rating.get("down", 0))


def states(conn: Connection, names: list[str]) -> dict[str, AlertState]:
    """The stored state of each named alert; one never changed is `ok` (and left out)."""
    a = ALERT_STATES.c
    rows = conn.execute(select(a.name, a.state).where(a.name.in_(names)))
    return {name: state for name, state in rows}


def lock_state(conn: Connection, name: str, *, now: int) -> AlertState:
    """The alert's state, its row locked until the unit ends (PostgreSQL), so that instances
    judging the same alert take turns and each counts what the one before committed."""
    conn.execute(
        _INSERT_NEW[conn.dialect.name].values(
            name=name, state="ok", changed_time=now, count=0, negative=0
        )
    )
    a = ALERT_STATES.c
    state: AlertState = conn.execute(
        select(a.state).where(a.name == name).with_for_update()
    ).scalar_one()
    return state


def change_state(
    tx: Transaction,
    rule: AlertSettings,
    *,
    was: AlertState,
    figures: Figures,
    now: int,
) -> AlertChanged | None:
    """Move the alert from `was` to the state its figures call for, only if it is still `was`;
    raise AlertChanged when it moved. None: nothing to change, or another writer did."""
    wanted = figures.state_for(rule)
    if wanted == was:
        return None
    a = ALERT_STATES.c
    moved = tx.conn.execute(
        update(ALERT_STATES)
        .where(a.name == rule.name, a.state == was)
        .values(state=wanted, changed_time=now, count=figures.count, negative=figures.negative)
    )
    if moved.rowcount != 1:
        return None
    event = AlertChanged(rule=rule, state=wanted, figures=figures, at=now)
    tx.emit(event)
    return event
