"""Feedback events: built and stored in the outbox at commit, delivered by the dispatcher."""
