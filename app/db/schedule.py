"""Jobs that one instance of however many runs per interval (data retention): the record of
each job's last run, claimed in a unit of work so that instances take turns."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from app.db.models import SCHEDULED_JOBS

# A run is due when the last one, by any instance, is older than this share of the interval,
# so instances started at different moments still run once an interval between them.
DUE_AFTER_SHARE = 0.9


def claim_if_due(conn: Connection, job: str, *, now: int, interval_ms: int, instance: str) -> bool:
    """Record that `instance` runs `job` now, unless one ran within the interval."""
    jobs = SCHEDULED_JOBS.c
    last = conn.scalar(select(jobs.last_run_ms).where(jobs.name == job))
    if last is not None and now - last < interval_ms * DUE_AFTER_SHARE:
        return False
    values = {"last_run_ms": now, "ran_by": instance}
    if last is None:
        conn.execute(insert(SCHEDULED_JOBS).values(name=job, **values))
    else:
        conn.execute(update(SCHEDULED_JOBS).where(jobs.name == job).values(values))
    return True
