"""Settings for the operator console at /admin."""

from __future__ import annotations

from pydantic import Field, field_validator

from app.config.auth import MIN_SECRET_BYTES
from app.config.base import Frozen


class AdminSettings(Frozen):
    session_hours: float = Field(
        8, gt=0, le=24 * 30, description="How long a console sign-in lasts."
    )
    secret: str | None = Field(
        None,
        description='Signs console session cookies, e.g. `"${FEEDBACK_WIDGET_ADMIN_SECRET}"`. '
        f"Unset: `auth.secret` signs them (if it is {MIN_SECRET_BYTES} bytes or more); with "
        "neither, the console cannot sign anyone in and says so.",
        json_schema_extra={"doc_type": f"string, {MIN_SECRET_BYTES} bytes or more"},
    )

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: str | None) -> str | None:
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return secret
