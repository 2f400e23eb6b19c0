"""Remote commands: their types, lifetime and status changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from central.access.policy import TECHNICIAN_COMMANDS, Access, may_send
from central.db.models import Command, Kiosk
from central.db.types import UTCDateTime, utcnow
from central.errors import ApiError, forbidden
from central.settings import Settings
from contract.kiosk_api import OPEN_COMMAND, CommandStatus, CommandType

TYPES = tuple(t.value for t in CommandType)


def issue(
    access: Access,
    kiosk: Kiosk,
    type_: str,
    args: dict[str, Any],
    expires_in_s: int | None,
    settings: Settings,
) -> Command:
    """The one way a person sends a kiosk a command (API and console); the caller commits."""
    if kiosk.retired_at is not None:
        raise ApiError(409, "kiosk_retired", "This kiosk is retired; it takes no commands.")
    if not may_send(access.person.role, type_):
        raise forbidden(f"A technician may send {', '.join(sorted(TECHNICIAN_COMMANDS))} only.")
    command = Command(
        kiosk_id=kiosk.id,
        type=type_,
        args=args,
        status=CommandStatus.PENDING,
        created_by=access.person.user_id,
        expires_at=utcnow() + timedelta(seconds=expires_in_s or settings.command_ttl_s),
    )
    access.db.add(command)
    return command


def expire_overdue(db: Session, kiosk_id: str, now: datetime | None = None) -> None:
    """Commands past their expiry that never finished end as 'expired'."""
    db.execute(
        update(Command)
        .where(
            Command.kiosk_id == kiosk_id,
            Command.status.in_(OPEN_COMMAND),
            Command.expires_at <= (now or utcnow()),
        )
        .values(status=CommandStatus.EXPIRED, detail="The kiosk did not finish it in time.")
    )


# One UPDATE … RETURNING, built once: a heartbeat with nothing pending costs one round trip.
HAND_OUT = (
    update(Command)
    .where(
        Command.kiosk_id == bindparam("for_kiosk"),
        Command.status == CommandStatus.PENDING,
        Command.expires_at > bindparam("now", type_=UTCDateTime()),
    )
    .values(status=CommandStatus.DELIVERED, delivered_at=bindparam("now", type_=UTCDateTime()))
    .returning(Command.id, Command.type, Command.args, Command.created_at)
)


def hand_out(conn: Connection, kiosk_id: str, now: datetime) -> list[dict[str, Any]]:
    """Pending commands for a heartbeat, oldest first, marked delivered."""
    rows = conn.execute(HAND_OUT, {"for_kiosk": kiosk_id, "now": now}).all()
    delivered = sorted(rows, key=lambda c: c.created_at)
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
