"""Run Alembic migrations from code, so `central serve` creates or upgrades the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from central.db.exclusive import waited_for

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is already there. Several
    centrals starting together take turns: the first migrates, the others find it done."""
    with waited_for(engine, "migrate"):
        command.upgrade(alembic_config(engine), "head")
