"""Validation of usage events ("suoritteet") uploaded by kiosks.

Each event is checked alone so one bad event never stops a batch. Events
must not carry personal data: no identity codes anywhere, no names, and no
search text containing digits (which could be an identity code or a phone
number typed into search).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from contract.json_values import InvalidValue, check_value, printable


class EventType(StrEnum):
    """What a kiosk records; declared in the order usage reports show activities."""

    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    LANGUAGE_CHANGED = "language_changed"
    SERVICE_VIEWED = "service_viewed"
    SEARCH = "search"
    BOOKING_CHECKED_IN = "booking_checked_in"
    APPOINTMENT_BOOKED = "appointment_booked"  # a video appointment booked at the kiosk
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    TICKET_PRINTED = "ticket_printed"
    DOCUMENT_SCANNED = "document_scanned"
    DOCUMENT_PRINTED = "document_printed"
    PAYMENT_STARTED = "payment_started"  # {method, purpose, amount_cents}: never who paid
    PAYMENT_COMPLETED = "payment_completed"
    PAYMENT_FAILED = "payment_failed"  # {…, outcome: failed | expired | cancelled | unavailable}
    CALL_REQUESTED = "call_requested"
    CALL_STARTED = "call_started"
    CALL_ENDED = "call_ended"
    SATISFACTION = "satisfaction"
    ACCESSIBILITY_USED = "accessibility_used"
    DEVICE_FAULT = "device_fault"
    DEVICE_RECOVERED = "device_recovered"


EVENT_TYPES = frozenset(EventType)
# Events that describe a session or a device rather than something a citizen got done:
# kept for the kiosk's own figures, left out of the programme's activity counts.
NOT_ACTIVITIES = frozenset(
    {
        EventType.SESSION_ENDED,
        EventType.LANGUAGE_CHANGED,
        EventType.SEARCH,
        EventType.DEVICE_RECOVERED,
    }
)
# The activities the programme counts, in the order reports show them.
ACTIVITIES = tuple(t for t in EventType if t not in NOT_ACTIVITIES)
MAX_BATCH = 500
MAX_BATCH_BYTES = 1024 * 1024
MAX_DATA_BYTES = 4096
MAX_FUTURE = timedelta(days=1)
MAX_AGE = timedelta(days=400)
# An event's data is small and flat; deep nesting is a bug or an attack.
MAX_DEPTH = 8
FORBIDDEN_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "display_name",
        "hetu",
        "ssn",
        "personal_id",
        "identity_code",
        "email",
        "phone",
        "code",
        "booking_code",
    }
)
# Finnish personal identity code: DDMMYY, century sign, 3 digits, check character.
IDENTITY_CODE = re.compile(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b", re.IGNORECASE)
REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "session_ended": {"reason": str, "duration_s": (int, float)},
    "call_ended": {"duration_s": (int, float), "outcome": str},
    "satisfaction": {"score": int},
    "language_changed": {"language": str},
    "service_viewed": {"service_id": str},
    "appointment_booked": {"place": str},
    "appointment_cancelled": {"place": str},
    "payment_started": {"method": str, "purpose": str, "amount_cents": int},
    "payment_completed": {"method": str, "purpose": str, "amount_cents": int},
    "payment_failed": {"method": str, "purpose": str, "outcome": str},
    "device_fault": {"device": str},
    "device_recovered": {"device": str},
}


class InvalidEvent(ValueError):
    pass


@dataclass(frozen=True)
class ValidEvent:
    id: str
    type: str
    at: datetime
    local_day: str
    session_id: str | None
    service_id: str | None
    data: dict[str, Any]


def parse_time(value: Any, field: str = "at") -> datetime:
    """RFC 3339 with an offset; a naive time is refused because its day is ambiguous.

    Years outside 2000-2100 are refused too: they are mistakes, and at the
    edges of the calendar (0001 with a +23:59 offset) converting to UTC overflows.
    """
    if not isinstance(value, str):
        raise InvalidEvent(f"{field} must be an RFC 3339 time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"{field} is not an RFC 3339 time: {printable(value, 40)!r}") from exc
    if parsed.tzinfo is None:
        raise InvalidEvent(f"{field} needs a UTC offset, e.g. 2026-01-31T09:30:00+02:00")
    if not 2000 <= parsed.year <= 2100:
        raise InvalidEvent(f"{field} must be a time in 2000-2100")
    return parsed


def _keys_at_every_depth(data: Any) -> set[str]:
    keys: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.update(str(k).lower() for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return keys


def check_privacy(event_type: str, data: dict[str, Any]) -> None:
    """Shared with the kiosk UI, which checks before it queues: one rule, two places it holds.

    Personal fields are looked for at every depth: `{"ctx": {"name": ...}}` is as personal
    as `{"name": ...}`.
    """
    bad_keys = FORBIDDEN_KEYS.intersection(_keys_at_every_depth(data))
    if bad_keys:
        raise InvalidEvent(f"data must not carry personal fields: {', '.join(sorted(bad_keys))}")
    if IDENTITY_CODE.search(json.dumps(data, ensure_ascii=False)):
        raise InvalidEvent("data contains something that looks like a personal identity code")
    if event_type == "search":
        query = data.get("query", "")
        if not isinstance(query, str):
            raise InvalidEvent("search data.query must be text")
        if any(ch.isdigit() for ch in query):
            raise InvalidEvent("search text must not contain digits; send it without them")


def validate(raw: Any, now: datetime | None = None) -> ValidEvent:
    if not isinstance(raw, dict):
        raise InvalidEvent("an event must be an object")
    try:
        check_value(raw, max_depth=MAX_DEPTH)
    except InvalidValue as exc:
        raise InvalidEvent(str(exc)) from exc
    try:
        event_id = str(uuid.UUID(str(raw.get("id"))))
    except ValueError as exc:
        raise InvalidEvent("id must be a UUID made on the kiosk") from exc
    event_type = raw.get("type")
    if event_type not in EVENT_TYPES:
        raise InvalidEvent(f"unknown event type {printable(str(event_type), 40)!r}")
    at = parse_time(raw.get("at"))
    now = now or datetime.now(UTC)
    if at > now + MAX_FUTURE:
        raise InvalidEvent("at is more than a day in the future; check the kiosk's clock")
    if at < now - MAX_AGE:
        raise InvalidEvent("at is more than 400 days old")
    session_id = raw.get("session_id")
    if session_id is not None and (not isinstance(session_id, str) or len(session_id) > 64):
        raise InvalidEvent("session_id must be a string of at most 64 characters")
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidEvent("data must be an object")
    if len(json.dumps(data)) > MAX_DATA_BYTES:
        raise InvalidEvent(f"data is larger than {MAX_DATA_BYTES} bytes")
    for key, kind in REQUIRED.get(event_type, {}).items():
        value = data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidEvent(f"{event_type} needs data.{key}")
    if event_type == "satisfaction" and not 1 <= data["score"] <= 5:
        raise InvalidEvent("satisfaction data.score must be 1 to 5")
    check_privacy(event_type, data)
    service_id = data.get("service_id")
    if service_id is not None and (not isinstance(service_id, str) or len(service_id) > 64):
        raise InvalidEvent("data.service_id must be a string of at most 64 characters")
    return ValidEvent(
        id=event_id,
        type=event_type,
        at=at.astimezone(UTC),
        local_day=at.date().isoformat(),
        session_id=session_id,
        service_id=service_id if isinstance(service_id, str) else None,
        data=data,
    )
