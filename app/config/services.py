"""Where sessions, tasks and feedback live."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from app.config.base import Frozen


class SessionServiceSettings(Frozen):
    type: Literal["sql", "memory"] = Field(
        "memory",
        description="`sql` stores in a database. `memory` keeps transcripts in process memory: "
        "the widget still chats, but feedback is off.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, required for `sql`: `sqlite:///file.db` or `postgresql://…` "
        "(run through asyncpg). SQLite runs in WAL mode, with one writer thread that commits in "
        "groups (see ARCHITECTURE.md).",
    )
    default_behavior: Literal["PERSISTENT", "RUN_BASED"] = Field(
        "PERSISTENT",
        description="`PERSISTENT` keeps sessions across runs; `RUN_BASED` does not. Feedback "
        "needs `PERSISTENT`.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme = url.split("://", 1)[0].split("+", 1)[0]
        if "://" not in url or scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return url

    @property
    def persistent(self) -> bool:
        return self.type == "sql" and self.default_behavior == "PERSISTENT"


class ServicesSettings(Frozen):
    session_service: SessionServiceSettings = Field(
        default_factory=SessionServiceSettings,
        description="Where sessions, tasks and feedback live.",
    )
