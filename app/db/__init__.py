"""The database: engines and where SQL runs, the models, migrations and retention."""
