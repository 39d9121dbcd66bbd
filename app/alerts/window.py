"""What a rule's window of feedback shows, and the state it calls for.

A rule fires when the window holds at least `min_feedback` rated feedback and the share of
thumbs-down is above `negative_share_above`. It resolves when either stops holding: the share
falls to the threshold or below, or the window no longer holds enough feedback to judge (a
burst that ages out resolves by itself, without new feedback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.config.observability import AlertSettings

AlertState = Literal["ok", "firing"]
MINUTE_MS = 60_000


@dataclass(frozen=True)
class Figures:
    """The rated feedback (thumbs up or down) in a rule's window, and how many were down."""

    count: int
    negative: int

    @property
    def share(self) -> float:
        """The share of thumbs-down; 0 for an empty window."""
        return self.negative / self.count if self.count else 0.0

    def state_for(self, rule: AlertSettings) -> AlertState:
        breached = self.count >= rule.min_feedback and self.share > rule.negative_share_above
        return "firing" if breached else "ok"


def window_start(rule: AlertSettings, now: int) -> int:
    """The window is (start, now]: feedback stored after this instant counts."""
    return now - rule.window_minutes * MINUTE_MS
