"""Feedback from every door: the key rules, the one write path, links, and the listing."""
