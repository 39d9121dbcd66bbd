"""Judges the rules after feedback commits and on a timer, off the request path.

A stored feedback only notes which rules it concerns (a rating that passes their filters);
the watcher's own task wakes, lets a burst land (COALESCE_SECONDS, longer when passes are
slow: BUSY_SHARE), and judges those rules once for the whole burst. Every TICK_SECONDS it
judges all of them, so the window slides: a burst that ages out resolves without new
feedback. Judging reads first, on a reader, and only a rule whose state looks due to change
costs a unit of work, where its row is locked, its window counted again and its state
changed by a conditional write: of several instances judging at once, one sends the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from app.alerts import store
from app.alerts.delivery import AlertWebhook, alert_stager
from app.alerts.events import AlertChanged
from app.alerts.message import queue_name, text
from app.bus import DomainEvent, EventBus
from app.clock import now_ms
from app.config.observability import AlertSettings
from app.db.engine import Database
from app.db.writer import Transaction, Writer
from app.feedback.events import FeedbackSubmitted
from app.feedback.model import FeedbackView
from app.publishing.transports import Transport

log = logging.getLogger("feedback_widget.alerts")
TICK_SECONDS = 15.0
COALESCE_SECONDS = 0.5
# Passes prompted by feedback are spaced so that judging takes at most this share of the time
# (a pass of three rules over 20,000 ratings in their windows took 20-40 ms here).
BUSY_SHARE = 0.02


def concerns(rule: AlertSettings, feedback: FeedbackView) -> bool:
    """Whether the feedback counts in the rule's window."""
    return (
        feedback.rating is not None
        and rule.agent in (None, feedback.agent_id)
        and rule.model in (None, feedback.model)
        and (rule.reason is None or rule.reason in (feedback.reasons or ()))
    )


def settle(tx: Transaction, rule: AlertSettings, *, now: int) -> AlertChanged | None:
    """One rule's unit of work: lock its state, count its window, change it if due."""
    was = store.lock_state(tx.conn, rule.name, now=now)
    figures = store.window_figures(tx.conn, rule, now=now)
    return store.change_state(tx, rule, was=was, figures=figures, now=now)


class AlertWatcher:
    def __init__(self, rules: tuple[AlertSettings, ...], *, db: Database, writer: Writer) -> None:
        self.rules = rules
        # Where every window ends. Feedback times are the server's clock; a test moves this
        # to let a window slide past them.
        self.clock: Callable[[], int] = now_ms
        self._db = db
        self._writer = writer
        self._due = asyncio.Event()
        self._concerned: set[str] = set()  # rules a feedback since the last pass concerns
        self._next_tick = 0.0  # monotonic: when all rules are judged next
        self._deliver: Callable[[], None] = lambda: None
        self._task: asyncio.Task[None] | None = None

    def notice(self, event: DomainEvent) -> None:
        """A bus listener: costs a committed feedback one flag."""
        if isinstance(event, FeedbackSubmitted):
            concerned = [rule.name for rule in self.rules if concerns(rule, event.feedback)]
            if concerned:
                self._concerned.update(concerned)
                self._due.set()
        elif isinstance(event, AlertChanged):
            level = logging.WARNING if event.state == "firing" else logging.INFO
            log.log(level, "%s", text(event).split(" ", 1)[1])  # without the emoji
            self._deliver()

    def wake(self) -> None:
        """Judge every rule soon, as the timer does."""
        self._next_tick = 0.0
        self._due.set()

    def start(self, *, deliver: Callable[[], None]) -> None:
        """Run until stopped; `deliver` wakes whatever sends the staged messages."""
        self._deliver = deliver
        self._task = asyncio.create_task(self._run(), name="alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._due.clear()
            rules = self._take_due()
            started = time.monotonic()
            try:
                if rules:
                    await self.evaluate(rules)
            except Exception:
                log.exception("judging the alerts failed; trying again at the next tick")
            spacing = max(COALESCE_SECONDS, (time.monotonic() - started) / BUSY_SHARE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self._next_tick - time.monotonic())
                await asyncio.sleep(spacing)

    def _take_due(self) -> tuple[AlertSettings, ...]:
        if time.monotonic() >= self._next_tick:
            self._next_tick = time.monotonic() + TICK_SECONDS
            self._concerned.clear()
            return self.rules
        names, self._concerned = self._concerned, set()
        return tuple(rule for rule in self.rules if rule.name in names)

    async def evaluate(self, rules: tuple[AlertSettings, ...] | None = None) -> list[AlertChanged]:
        """Judge the rules (all of them by default) now; the changes this instance made."""
        now = self.clock()
        judged = self.rules if rules is None else rules
        moving = await self._db.read(lambda conn: self._due_to_change(conn, judged, now))
        if not moving:
            return []

        def unit(tx: Transaction) -> list[AlertChanged]:
            changes = (settle(tx, rule, now=now) for rule in moving)
            return [change for change in changes if change is not None]

        return await self._writer.run(unit)

    @staticmethod
    def _due_to_change(
        conn: Connection, rules: tuple[AlertSettings, ...], now: int
    ) -> list[AlertSettings]:
        stored = store.states(conn, [rule.name for rule in rules])
        return [
            rule
            for rule in rules
            if store.window_figures(conn, rule, now=now).state_for(rule)
            != stored.get(rule.name, "ok")
        ]


@dataclass(frozen=True)
class Alerts:
    watcher: AlertWatcher
    transports: dict[str, Transport]  # the outbox destinations the dispatcher sends to


def prepare_alerts(
    rules: tuple[AlertSettings, ...], *, app: str, db: Database, writer: Writer, bus: EventBus
) -> Alerts | None:
    """Stage alert messages in the outbox and listen for feedback; None without rules. The
    caller starts the watcher once the outbox dispatcher runs."""
    if not rules:
        return None
    writer.add_stager(alert_stager(app=app))
    watcher = AlertWatcher(rules, db=db, writer=writer)
    bus.subscribe(watcher.notice)
    transports: dict[str, Transport] = {
        queue_name(rule.name): AlertWebhook(rule.webhook_url, alert=rule.name) for rule in rules
    }
    return Alerts(watcher, transports)
