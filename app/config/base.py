"""The base every settings model shares (frozen after load, unknown keys refused), and field
metadata several modules read: a URL field's README wording, and `Clamp`."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

# The README's wording for a field whose validator, not its annotation, says what it takes
# (`app/config/field_docs.py` reads `doc_type` and `doc_default`).
HTTP_URL: JsonDict = {"doc_type": "`http(s)://` URL"}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Clamp:
    """Field metadata: a value outside `low..high` is replaced by the nearest bound, with a
    WARNING, rather than refused (SAM's rule for `data_retention`)."""

    low: float
    high: float | None = None
