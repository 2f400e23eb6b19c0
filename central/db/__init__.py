"""Database layer: models, engine set-up and migrations."""
