"""What passes between the citizen and the official during a call: chat and documents."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from central.calls import change_marks
from central.calls import documents as sealing
from central.db.models import Call, CallDocument, CallMessage, DocumentDownload
from central.db.types import utcnow
from central.errors import ApiError, not_found
from contract import call_api
from contract.call_api import CallStatus, Speaker

# A call's chat is short; this bounds what one poll returns and what one call can hold.
MAX_MESSAGES_PER_CALL = 2000
MAX_DOCUMENTS_PER_CALL = 100
# What the citizen's scans of one call may add up to (sealed at rest until retention).
MAX_SCAN_BYTES_PER_CALL = 60 * 1024 * 1024


def require_open(call: Call) -> None:
    if call.status == CallStatus.ENDED:
        raise ApiError(409, "call_ended", "This call has ended.")


def add_message(db: Session, call: Call, sender: Speaker, text: str) -> CallMessage:
    require_open(call)
    text = text.strip()
    if not text:
        raise ApiError(422, "invalid_input", "text: write something to send.")
    full = db.scalar(
        select(CallMessage.id)
        .where(CallMessage.call_id == call.id)
        .order_by(CallMessage.id.desc())
        .offset(MAX_MESSAGES_PER_CALL - 1)
        .limit(1)
    )
    if full is not None:
        raise ApiError(409, "too_many_messages", "This call's chat is full.")
    line = CallMessage(call_id=call.id, sender=sender, text=text[: call_api.MAX_MESSAGE_CHARS])
    db.add(line)
    db.commit()
    return line


def messages_after(db: Session, call_id: str, after: int) -> list[call_api.ChatLine]:
    rows = db.scalars(
        select(CallMessage)
        .where(CallMessage.call_id == call_id, CallMessage.id > after)
        .order_by(CallMessage.id)
        .limit(200)
    )
    return [call_api.ChatLine(m.id, m.sender, m.text, m.at.isoformat()) for m in rows]


def store_document(
    db: Session,
    secret: bytes,
    call: Call,
    direction: str,
    content: bytes,
    name: str | None,
    uploaded_by: str | None,
) -> CallDocument:
    require_open(call)
    scan = direction == "from_citizen"
    if scan and call.status != CallStatus.ACTIVE:
        # A kiosk token could otherwise fill central's disk with scans on calls that no
        # official has answered (and nobody would ever read).
        raise ApiError(409, "call_not_active", "Scans go to an official once one answers.")
    if not content:
        raise ApiError(422, "invalid_input", "The document is empty.")
    if scan:
        scanned = db.scalar(
            select(func.coalesce(func.sum(CallDocument.size), 0)).where(
                CallDocument.call_id == call.id, CallDocument.direction == "from_citizen"
            )
        )
        if int(scanned or 0) + len(content) > MAX_SCAN_BYTES_PER_CALL:
            raise ApiError(
                413, "too_large", "This call holds as many scanned pages as it may (60 MiB)."
            )
    kind = sealing.content_type_of(content)
    held = db.scalar(
        select(CallDocument.id)
        .where(CallDocument.call_id == call.id)
        .offset(MAX_DOCUMENTS_PER_CALL - 1)
        .limit(1)
    )
    if held is not None:
        raise ApiError(409, "too_many_documents", "This call holds as many documents as it may.")
    document = CallDocument(
        call_id=call.id,
        direction=direction,
        name=sealing.clean_name(name, kind),
        content_type=kind,
        size=len(content),
        sealed=sealing.seal(secret, call.id, content),
        uploaded_by=uploaded_by,
    )
    db.add(document)
    column = Call.documents_to_citizen if direction == "to_citizen" else Call.documents_from_citizen
    db.execute(update(Call).where(Call.id == call.id).values({column: column + 1}))
    change_marks.touch(db, change_marks.call_scope(call.id))  # a bulk update: say so
    db.commit()
    return document


def document_refs(
    db: Session, call_id: str, direction: str | None = None
) -> list[call_api.DocumentRef]:
    query = select(CallDocument).where(CallDocument.call_id == call_id)
    if direction:
        query = query.where(CallDocument.direction == direction)
    return [
        call_api.DocumentRef(d.id, d.name, d.content_type, d.size, d.printed_at is not None)
        for d in db.scalars(query.order_by(CallDocument.created_at))
    ]


def document_refs_by_direction(db: Session, call_id: str) -> list[tuple[str, call_api.DocumentRef]]:
    """Every document of the call with its direction, those to the citizen first (one
    statement: the desk asks every 2 s)."""
    found = db.scalars(
        select(CallDocument)
        .where(CallDocument.call_id == call_id)
        .order_by(CallDocument.created_at)
    ).all()
    return [
        (
            d.direction,
            call_api.DocumentRef(d.id, d.name, d.content_type, d.size, d.printed_at is not None),
        )
        for direction in ("to_citizen", "from_citizen")
        for d in found
        if d.direction == direction
    ]


def find_document(db: Session, call: Call, document_id: str, direction: str) -> CallDocument:
    document = db.get(CallDocument, document_id)
    if document is None or document.call_id != call.id or document.direction != direction:
        raise not_found("document in this call")
    return document


def open_document(
    db: Session, secret: bytes, document: CallDocument, audit_user: str | None
) -> bytes:
    """The document's content; a download by a person is written to the audit log first."""
    if audit_user is not None:
        db.add(
            DocumentDownload(document_id=document.id, call_id=document.call_id, user_id=audit_user)
        )
        db.commit()
    return sealing.unseal(secret, document.call_id, document.sealed)


def mark_printed(db: Session, call: Call, document: CallDocument) -> None:
    if document.printed_at is None:
        document.printed_at = utcnow()
        db.execute(
            update(Call)
            .where(Call.id == call.id)
            .values(documents_printed=Call.documents_printed + 1)
        )
        change_marks.touch(db, change_marks.call_scope(call.id))
        db.commit()
