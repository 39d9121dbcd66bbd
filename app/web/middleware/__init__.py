"""Middleware, each applied where its rule applies: per mount or per route (`app/routes.py`).

Only the security headers and Starlette's body limit wrap the whole app. Everything else is
declared beside the routes it governs and runs inside the exception middleware, so it simply
raises the one API error.
"""
