"""What every HTTP surface shares: credentials, errors, parsing, rendering, middleware."""
