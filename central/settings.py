"""Runtime settings of central, with defaults that suit a small deployment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///central.db"
    # A kiosk is shown offline when no heartbeat came for this long (3 missed beats).
    offline_after_s: int = 90
    # Commands not delivered and finished within this time end as "expired".
    command_ttl_s: int = 24 * 3600
    access_token_ttl_s: int = 12 * 3600
    # Five wrong passwords in a row lock the address; the lock doubles, up to the cap.
    login_free_failures: int = 5
    login_lock_base_s: int = 30
    login_lock_max_s: int = 900
    max_artifact_bytes: int = 10 * 1024 * 1024
    max_import_bytes: int = 50 * 1024 * 1024
