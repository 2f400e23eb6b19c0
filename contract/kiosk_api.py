"""The wire shapes of the kiosk API (`/api/v1/enroll`, `/api/v1/kiosk/*`), both ways.

Plain dataclasses, so the kiosk can check central's answers without any
third-party package, and central can hand the same classes to FastAPI as
response models: `/api/v1/openapi.json` then documents exactly what kiosks
read. `parse` checks an answer's shape and raises `BadAnswer` instead of
letting a wrong type reach state.db.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar


class CommandType(StrEnum):
    """What central can ask a kiosk to do (API.md, "People and systems")."""

    RESTART_UI = "restart_ui"
    REBOOT = "reboot"
    SYNC_NOW = "sync_now"
    SCREENSHOT = "screenshot"
    MAINTENANCE_ON = "maintenance_on"
    MAINTENANCE_OFF = "maintenance_off"
    PRINT_TEST_PAGE = "print_test_page"
    SELF_TEST = "self_test"
    UPDATE = "update"


# Run by the agent (they act on the whole box); the rest by the UI.
AGENT_COMMANDS = frozenset(
    {CommandType.SYNC_NOW, CommandType.REBOOT, CommandType.RESTART_UI, CommandType.UPDATE}
)
UI_COMMANDS = frozenset(CommandType) - AGENT_COMMANDS


class BadAnswer(ValueError):
    """An answer that does not have the contract's shape."""


T = TypeVar("T")


def parse(cls: type[T], value: Any) -> T:
    """`value` (decoded JSON) as `cls`, checking the types of the fields it must have."""
    if not isinstance(value, dict):
        raise BadAnswer(f"{cls.__name__}: expected an object")
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in value:
            if f.default is MISSING and f.default_factory is MISSING:
                raise BadAnswer(f"{cls.__name__}: {f.name} is missing")
            continue
        expected = _CHECKS.get((cls.__name__, f.name))
        if expected is not None and not expected(value[f.name]):
            raise BadAnswer(f"{cls.__name__}: {f.name} has the wrong type")
        values[f.name] = value[f.name]
    return cls(**values)


@dataclass
class SiteRef:
    id: str
    name: str
    timezone: str = "Europe/Helsinki"


@dataclass
class Enrolment:
    """`POST /enroll` → 201."""

    kiosk_id: str
    device_token: str
    site: SiteRef
    config: dict[str, Any]
    token_expires_at: str | None = None


@dataclass
class DeviceToken:
    """`POST /kiosk/token` → 200: the new token; the old one has stopped working."""

    device_token: str
    token_expires_at: str


@dataclass
class Command:
    id: str
    type: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class HeartbeatAnswer:
    """`POST /kiosk/heartbeat` → 200."""

    commands: list[Command]
    config_version: int | None
    server_time: str
    # From then on the kiosk should rotate its token (`POST /kiosk/token`).
    token_rotate_after: str | None = None
    # The release a deployment wants on this kiosk: {version, target, deployment, url};
    # None: keep what it runs. The kiosk's updater (kiosk/update) acts on it.
    release: dict[str, Any] | None = None


@dataclass
class Delta:
    """`GET /kiosk/catalogue` and `GET /kiosk/bookings` → 200: one page of changes."""

    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: str
    has_more: bool
    # True: replace the local copy with what follows (first sync, or a cursor too old).
    reset: bool = False


@dataclass
class KioskBooking:
    """A booking as a kiosk holds it: never the plain code or card number."""

    id: str
    service_id: str
    starts_at: str
    ends_at: str
    display_name: str
    mode: str
    status: str
    code_hash: str
    code_salt: str
    code_hash_alg: str
    card_hash: str | None = None
    # The display name sealed with the booking's code, and with its card when it has one
    # (contract.codes.seal_name); `display_name` is then "". Bookings made before sealing
    # still carry a plain `display_name` and no seals.
    name_sealed_code: str | None = None
    name_sealed_card: str | None = None


@dataclass
class BookingsDelta(Delta):
    """`GET /kiosk/bookings` → 200: this site's bookings, today onward."""

    items: list[KioskBooking]  # type: ignore[assignment]


@dataclass
class CheckInAnswer:
    """`POST /kiosk/checkins` → 200; the same event_id again gives the same answer."""

    status: str
    booking_id: str


@dataclass
class RejectedEvent:
    id: str
    error: str


@dataclass
class EventsAnswer:
    """`POST /kiosk/events` → 200: what central took, had already, and refused for good."""

    accepted: list[str]
    duplicates: list[str]
    rejected: list[RejectedEvent]


@dataclass
class CommandResult:
    """`POST /kiosk/commands/{id}/result` → 200: the command as central now has it."""

    id: str
    kiosk_id: str
    type: str
    status: str
    created_at: str
    expires_at: str
    args: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    delivered_at: str | None = None
    completed_at: str | None = None


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_object_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("id"), str) for v in value
    )


_CHECKS = {
    ("Delta", "items"): _is_object_list,
    ("Delta", "deleted"): _is_str_list,
    ("Delta", "cursor"): lambda v: isinstance(v, str),
    ("Delta", "has_more"): lambda v: isinstance(v, bool),
    ("Delta", "reset"): lambda v: isinstance(v, bool),
    ("HeartbeatAnswer", "commands"): lambda v: isinstance(v, list),
    ("HeartbeatAnswer", "config_version"): lambda v: v is None or isinstance(v, int),
    ("HeartbeatAnswer", "server_time"): lambda v: isinstance(v, str),
    ("HeartbeatAnswer", "release"): lambda v: v is None or isinstance(v, dict),
    ("DeviceToken", "device_token"): lambda v: isinstance(v, str) and bool(v),
    ("CheckInAnswer", "status"): lambda v: isinstance(v, str),
    ("EventsAnswer", "accepted"): _is_str_list,
    ("EventsAnswer", "duplicates"): _is_str_list,
    ("EventsAnswer", "rejected"): lambda v: isinstance(v, list),
    ("Enrolment", "kiosk_id"): lambda v: isinstance(v, str),
    ("Enrolment", "device_token"): lambda v: isinstance(v, str),
}
