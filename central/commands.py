"""Remote commands: their types, lifetime and status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from central.db.models import Command
from central.db.types import utcnow

TYPES = (
    "restart_ui",
    "reboot",
    "sync_now",
    "screenshot",
    "maintenance_on",
    "maintenance_off",
    "print_test_page",
    "self_test",
    "update",
)
OPEN = ("pending", "delivered")


def expire_overdue(db: Session, kiosk_id: str, now: datetime | None = None) -> None:
    """Commands past their expiry that never finished end as 'expired'."""
    db.execute(
        update(Command)
        .where(
            Command.kiosk_id == kiosk_id,
            Command.status.in_(OPEN),
            Command.expires_at <= (now or utcnow()),
        )
        .values(status="expired", detail="The kiosk did not finish it in time.")
    )


def hand_out(db: Session, kiosk_id: str) -> list[dict[str, Any]]:
    """Pending commands for a heartbeat, oldest first, marked delivered."""
    now = utcnow()
    # One UPDATE … RETURNING: a heartbeat with nothing pending costs one round trip.
    delivered = db.execute(
        update(Command)
        .where(
            Command.kiosk_id == kiosk_id,
            Command.status == "pending",
            Command.expires_at > now,
        )
        .values(status="delivered", delivered_at=now)
        .returning(Command.id, Command.type, Command.args, Command.created_at)
    ).all()
    delivered.sort(key=lambda c: c.created_at)
    return [{"id": c.id, "type": c.type, "args": c.args or {}} for c in delivered]


def as_json(command: Command, artifact_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": command.id,
        "kiosk_id": command.kiosk_id,
        "type": command.type,
        "args": command.args or {},
        "status": command.status,
        "detail": command.detail,
        "created_at": command.created_at.isoformat(),
        "delivered_at": command.delivered_at.isoformat() if command.delivered_at else None,
        "completed_at": command.completed_at.isoformat() if command.completed_at else None,
        "expires_at": command.expires_at.isoformat(),
    }
    if command.has_artifact and artifact_url:
        out["artifact_url"] = artifact_url
    return out
