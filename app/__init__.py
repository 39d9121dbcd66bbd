"""feedback-widget: chat transcripts with thumbs feedback, a SAM-compatible API and live updates."""
