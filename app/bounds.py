"""The bounds every door shares, defined once: ids, comments, messages, pages.

The database, the request models, the templates and the OpenAPI document all read them
from here, so a limit can never say one thing on the page and another in the API.
"""

from __future__ import annotations

# What an id may look like (sessions, tasks, keys): safe in URLs, SSE event names and HTML ids.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
ID_MAX_CHARS = 128
COMMENT_MAX_CHARS = 5000
# What the database's short text columns hold (user ids, labels, model names): PostgreSQL
# refuses more.
USER_ID_MAX_CHARS = 255
LABEL_MAX_CHARS = 255
MODEL_MAX_CHARS = 255
MESSAGE_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 80
# Bounded so the row offset stays a 64-bit integer whatever a client sends.
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_TRANSCRIPT_PAGE = 1000
# The review queue: a corrected answer is as long as a message may be; a note is a comment.
CORRECTION_MAX_CHARS = MESSAGE_MAX_CHARS
REVIEW_NOTE_MAX_CHARS = 2000
REVIEW_LABEL_MAX_CHARS = 40
