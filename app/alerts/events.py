"""An alert started or stopped firing: raised by the store on the transaction that changed its
state, staged into the outbox in that same unit, published after commit."""

from __future__ import annotations

from dataclasses import dataclass

from app.alerts.window import AlertState, Figures
from app.config.observability import AlertSettings


@dataclass(frozen=True)
class AlertChanged:
    rule: AlertSettings
    state: AlertState  # the new one: `firing`, or `ok` when it resolved
    figures: Figures
    at: int  # epoch ms: the end of the window the figures were counted over
