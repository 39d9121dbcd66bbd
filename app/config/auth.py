"""Who may do what: end-user tokens and the operator and platform API keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.config.base import Frozen

Scope = Literal[
    "transcripts:write",
    "feedback:write",
    "feedback:read",
    "feedback:read:all",
    "feedback:review",
    "metrics:read",
]
MIN_SECRET_BYTES = 32


class ApiKeySettings(Frozen):
    name: str = Field(min_length=1, description="Names the key in logs and errors.")
    key: str = Field(
        min_length=16,
        description="The key; keep it in the environment with `${VAR}`. Compared in constant time.",
    )
    scopes: tuple[Scope, ...] = Field((), description="What the key may do.")
    user_id: str | None = Field(
        None,
        description='The identity the key acts as ("own" feedback for `feedback:read`).',
        json_schema_extra={"doc_default": "`api-key:<name>`"},
    )


class AuthSettings(Frozen):
    mode: Literal["dev", "token"] = Field(
        "dev",
        description="`dev`: a browser without credentials is `default_user_id`. `token`: end "
        "users need a signed JWT.",
    )
    default_user_id: str = Field(
        "dev_user",
        min_length=1,
        description="The user a credential-less request acts as in `dev` mode (SAM's community "
        "mode).",
    )
    secret: str | None = Field(
        None,
        description='HS256 key for end-user tokens, e.g. `"${FEEDBACK_WIDGET_SECRET}"`. Token '
        f"mode refuses to start without one of at least {MIN_SECRET_BYTES} bytes.",
    )
    api_keys: tuple[ApiKeySettings, ...] = Field(
        (),
        description="Operator and platform keys, sent as `Authorization: Bearer <key>` or "
        "`X-API-Key`.",
    )
