"""Middleware, each applied where its rule applies: per mount or per route (`app/routes.py`).

Only what concerns every request wraps the whole app: the security headers, the body's size
and deadline (413, 408), and the request kept for the access log's redaction. Everything else is
declared beside the routes it governs and runs inside the exception middleware, so it simply
raises the one API error.
"""
