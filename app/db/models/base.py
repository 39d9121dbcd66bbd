"""The declarative base every model shares."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase

TASK_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
FINISHED_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}
