"""The operator console at /admin: sign-in, the dashboard, the live feed and exports."""
