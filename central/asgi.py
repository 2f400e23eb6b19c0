"""ASGI entry point for uvicorn workers; the database comes from CENTRAL_DATABASE."""

from __future__ import annotations

import os

from central.app import create_app
from central.db.engine import DEFAULT_DATABASE_URL
from central.settings import Settings

# The schema was migrated once by `central serve` before workers started.
app = create_app(
    Settings(database_url=os.environ.get("CENTRAL_DATABASE", DEFAULT_DATABASE_URL)), migrate=False
)
