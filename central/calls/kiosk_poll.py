"""A kiosk's poll of its call with nothing new, answered `304` from change marks (as the
desk's, central/calls/desk_poll.py): the call and its marks are read in one statement,
the kiosk's "still here", link, camera and microphone are kept as on every poll, and
the answer is built only when something the kiosk shows may have changed.

A queued call watches its provider's queue too (its place moves when a call ahead
leaves or is taken); its estimate, which follows officials' presence, is answered in
full at least every `QUEUED_FULL_EVERY_S`. An active call watches only itself.
"""

from __future__ import annotations

import time

from fastapi import Request
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from central.access.policy import Device
from central.api.deps import secret_key_of, settings_of
from central.calls import change_marks, lifecycle
from central.calls.citizen_view import citizen_seen, citizen_view
from central.calls.poll_tags import FULL_EVERY_S, PollTag, issued_at
from central.db.models import Call
from central.db.types import utcnow
from central.errors import not_found
from contract import call_api
from contract.call_api import CallStatus

# How old a queued kiosk's estimate may be at most.
QUEUED_FULL_EVERY_S = 10


def _full_every(status: CallStatus) -> float:
    return QUEUED_FULL_EVERY_S if status == CallStatus.QUEUED else FULL_EVERY_S


def poll(
    request: Request,
    db: Session,
    device: Device,
    call_id: str,
    after: int,
    link: str | None,
    camera: bool | None,
    microphone: bool | None,
    if_none_match: str | None,
) -> tuple[call_api.KioskCall | None, str]:
    """The call as the kiosk sees it and its tag, or (None, the same tag) when nothing
    it shows changed since the answer that tag came with."""
    secret = secret_key_of(request)
    row = db.execute(
        select(
            Call,
            change_marks.version_of(literal(change_marks.CALL) + Call.id),
            change_marks.version_of(literal(change_marks.QUEUE) + Call.provider_id),
        ).where(Call.id == call_id)
    ).one_or_none()
    if row is None or row[0].kiosk_id != device.kiosk_id:
        raise not_found("call of this kiosk")
    call: Call = row[0]
    status = call.status
    marks = {change_marks.call_scope(call.id): int(row[1] or 0)}
    if status == CallStatus.QUEUED:
        marks[change_marks.queue_scope(call.provider_id)] = int(row[2] or 0)
    citizen_seen(request, db, call, link, camera, microphone)  # may end the call
    now = time.time()
    connected = call.status == CallStatus.ACTIVE and lifecycle.official_connected(
        call, settings_of(request), utcnow()
    )
    seen = PollTag.decode(secret, "kiosk", if_none_match)
    if (
        seen is not None
        and seen.call_id == call.id
        and call.status == status
        and seen.holds(device.kiosk_id, after, marks, connected, now, _full_every(status))
    ):
        return None, seen.encode(secret)
    view = citizen_view(request, db, call, after)
    issued = issued_at(now, _full_every(call.status))
    tag = PollTag("kiosk", device.kiosk_id, after, issued, call.id, connected, marks)
    return view, tag.encode(secret)
