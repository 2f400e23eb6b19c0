"""The call as the citizen's side sees it: a kiosk, or a browser at home (/visit/).

Where the citizen is in the queue, whether the official is connected, how to join the
room, who else joined, the chat and the documents shown to the citizen.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.api.deps import media_rooms_of, settings_of
from central.calls import conversation, janus_relay, lifecycle, parties
from central.db.engine import commit_liveness
from central.db.models import Call, Organisation, Payment
from central.db.types import utcnow
from contract import call_api
from contract.call_api import CallOutcome, CallStatus
from contract.payments import PaymentAsk, PaymentMethod, PaymentStatus


def citizen_view(request: Request, db: Session, call: Call, after: int) -> call_api.KioskCall:
    settings = settings_of(request)
    now = utcnow()
    view = call_api.KioskCall(
        id=call.id,
        status=call.status,
        outcome=call.outcome,
        identification=call.identification,
        identification_method=call.identification_method,
        identification_requested=call.identification_requested,
    )
    if call.status == CallStatus.QUEUED:
        place = lifecycle.queue_place(db, call, settings, now)
        view.position, view.estimated_wait_s = place.position, place.estimated_wait_s
    elif call.status == CallStatus.ACTIVE:
        view.official_connected = lifecycle.official_connected(call, settings, now)
        view.join = call_api.RoomJoin(
            **janus_relay.room_join(
                request, call, lifecycle.KIOSK, f"kiosk-{(call.kiosk_id or call.id)[:8]}"
            )
        )
    if call.status != CallStatus.QUEUED:
        view.parties = [
            call_api.PartyRef(kind=party.kind, organisation=name, language=party.language)
            for party, name in parties.ever_joined(db, call.id)
        ]
    if call.status == CallStatus.ACTIVE:  # an official writes, shows and asks only in a call
        view.messages = conversation.messages_after(db, call.id, after)
        view.documents = conversation.document_refs(db, call.id, "to_citizen")
        view.payment_request = payment_asked(db, call)
    return view


def payment_asked(db: Session, call: Call) -> PaymentAsk | None:
    """The official's request to pay, while the citizen has not answered it."""
    asked = db.scalar(
        select(Payment)
        .where(
            Payment.call_id == call.id,
            Payment.status == PaymentStatus.OPEN,
            Payment.method == PaymentMethod.PHONE,
            Payment.provider_ref.is_(None),
        )
        .order_by(Payment.created_at.desc())
        .limit(1)
    )
    if asked is None:
        return None
    org = db.get(Organisation, asked.org_id)
    return PaymentAsk(
        payment_id=asked.id,
        amount_cents=asked.amount_cents,
        vat_cents=asked.vat_cents,
        vat_basis_points=asked.lines[0]["vat_basis_points"] if asked.lines else 0,
        reason=asked.reason,
        organisation=org.name if org else "",
    )


def citizen_seen(
    request: Request,
    db: Session,
    call: Call,
    link: str | None = None,
    camera: bool | None = None,
    microphone: bool | None = None,
) -> None:
    """The citizen's side asked: it is still there, with its link, camera and microphone
    as it says. An official silent too long has left: the call ends. Commits."""
    if call.status == CallStatus.ENDED:
        return
    now = utcnow()
    settings = settings_of(request)
    # Quiet too long before this poll: the call ended then (the periodic sweep may not
    # have come round yet), and this poll learns so.
    if (outcome := lifecycle.silent_outcome(call, settings, now)) is not None:
        lifecycle.finish(db, call, outcome, request.app.state.rooms)
        db.commit()
        return
    # Read against `call_kiosk_gone_after_s` (the queue) and 5 s (the desk's "connected").
    if lifecycle.liveness_due(
        call.kiosk_seen_at, now, min(lifecycle.KIOSK_CONNECTED_S, settings.call_kiosk_gone_after_s)
    ):
        call.kiosk_seen_at = now
    if link is not None:
        call.kiosk_link = link
    if camera is not None:
        call.kiosk_camera = camera
    if microphone is not None:
        call.kiosk_microphone = microphone
    if lifecycle.official_gone(call, settings, now):
        lifecycle.finish(db, call, CallOutcome.OFFICIAL_LEFT, media_rooms_of(request))
        db.commit()
        return
    commit_liveness(db)


def from_citizen(
    db: Session, secret: bytes, call: Call, content: bytes, name: str | None
) -> call_api.DocumentRef:
    """A page a kiosk scanned, or a file the citizen sent from home: for the official,
    sealed and kept as every call document."""
    document = conversation.store_document(db, secret, call, "from_citizen", content, name, None)
    return call_api.DocumentRef(document.id, document.name, document.content_type, document.size)
