"""feedback-widget: chat transcripts with thumbs feedback, a SAM-compatible API and live updates."""

# The one place the version is written: pyproject.toml reads it (setuptools' `attr`), and so do
# `feedback-widget --version` and `GET /api/v1/health`. tests/test_packaging.py holds it equal
# to the newest heading in CHANGELOG.md.
__version__ = "0.3.0"
