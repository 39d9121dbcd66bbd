"""Wire-compatible feedback endpoints for the common agent-feedback SDKs, under /compat."""
