"""Live updates: the event streams open pages listen on, and where instances share them."""

from __future__ import annotations

from pydantic import Field, field_validator

from app.config.base import Frozen


class SSESettings(Frozen):
    ping_seconds: float = Field(
        15, gt=0, description="Keep-alive comment interval on event streams."
    )
    client_queue_size: int = Field(
        64,
        ge=1,
        description="Events buffered per client. A client that falls this far behind is "
        "disconnected; it reconnects and replays.",
    )
    replay_buffer_size: int = Field(
        256, ge=1, description="Events kept per session for `Last-Event-ID` replay."
    )
    fanout_url: str = Field(
        "memory://",
        description="Where live events meet. `memory://`: within this process. Redis: every "
        "instance's pages hear every instance's writes, and a client replays from any instance "
        '(see "Running several instances").',
        json_schema_extra={"doc_type": "`memory://`, `redis://host:port/db` or `rediss://…`"},
    )
    key_prefix: str = Field(
        "feedback-widget",
        min_length=1,
        description="What the live fan-out's Redis keys start with: each session's stream "
        "`<prefix>:live:<session>` and the channel `<prefix>:live`. Deployments sharing one "
        "Redis need different prefixes.",
    )

    @field_validator("fanout_url")
    @classmethod
    def _fanout(cls, url: str) -> str:
        if url == "memory://":
            return url
        scheme, _, rest = url.partition("://")
        if scheme not in ("redis", "rediss") or not rest:
            raise ValueError("must be memory:// or a redis://host:port/db URL")
        return url

    @property
    def shared(self) -> bool:
        """Whether live events travel between instances (Redis) or stay in this process."""
        return self.fanout_url != "memory://"
