"""The wire shapes of the kiosk API (`/api/v1/enroll`, `/api/v1/kiosk/*`), both ways.

Plain dataclasses, so the kiosk can check central's answers without any
third-party package, and central can hand the same classes to FastAPI as
response models: `/api/v1/openapi.json` then documents exactly what kiosks
read. `parse` checks an answer's shape and raises `BadAnswer` instead of
letting a wrong type reach state.db.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import Enum, StrEnum
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


class CommandStatus(StrEnum):
    """pending → delivered (in a heartbeat) → succeeded | failed; expired if never done."""

    PENDING = "pending"
    DELIVERED = "delivered"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


OPEN_COMMAND = frozenset({CommandStatus.PENDING, CommandStatus.DELIVERED})
FINISHED_COMMAND = frozenset({CommandStatus.SUCCEEDED, CommandStatus.FAILED})


class BookingStatus(StrEnum):
    """A booking's state. A kiosk sees booked, checked_in and cancelled only: a held
    booking (a web booking whose e-mail address is not yet proven) is not sent to kiosks,
    and a no-show is an appointment nobody came to."""

    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    HELD = "held"
    NO_SHOW = "no_show"


class CheckInStatus(StrEnum):
    """`POST /kiosk/checkins`' answer; `unknown` also for another site's booking."""

    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


# Run by the agent (they act on the whole box); the rest by the UI.
AGENT_COMMANDS = frozenset(
    {CommandType.SYNC_NOW, CommandType.REBOOT, CommandType.RESTART_UI, CommandType.UPDATE}
)
UI_COMMANDS = frozenset(CommandType) - AGENT_COMMANDS


class BadAnswer(ValueError):
    """An answer that does not have the contract's shape."""


T = TypeVar("T")


def parse(cls: type[T], value: Any, where: str = "") -> T:
    """`value` (decoded JSON) as `cls`, every field checked against its annotation.

    Nested dataclasses (`KioskCall.join`, `HeartbeatAnswer.commands`) are parsed too, and
    enum fields become their members: a value the contract does not name is a BadAnswer.
    Keys the contract does not know are ignored, so central may add fields.
    """
    where = where or cls.__name__
    if not isinstance(value, dict):
        raise BadAnswer(f"{where}: expected an object")
    hints = _hints(cls)  # type: ignore[arg-type]
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in value:
            if f.default is MISSING and f.default_factory is MISSING:
                raise BadAnswer(f"{where}: {f.name} is missing")
            continue
        values[f.name] = _as(hints[f.name], value[f.name], f"{where}.{f.name}")
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _as(kind: Any, value: Any, where: str) -> Any:
    """`value` as the annotation `kind` says, or BadAnswer naming the field."""
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _as(option, value, where)
            except BadAnswer:
                continue
        raise BadAnswer(f"{where} has the wrong type")
    if origin is list:
        if not isinstance(value, list):
            raise BadAnswer(f"{where}: expected a list")
        (item,) = typing.get_args(kind)
        return [_as(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise BadAnswer(f"{where}: expected an object")
        return value
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            raise BadAnswer(f"{where}: {value!r} is not one of {[m.value for m in kind]}") from None
    if is_dataclass(kind):
        return parse(kind, value, where)  # type: ignore[arg-type]
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise BadAnswer(f"{where} has the wrong type")
    return value


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
    status: BookingStatus
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

    status: CheckInStatus
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
    status: CommandStatus
    created_at: str
    expires_at: str
    args: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    delivered_at: str | None = None
    completed_at: str | None = None
