"""How long central keeps what it collects, per organisation, and the pass that enforces it.

Usage events, bookings (with their check-ins), screenshots and the documents and
chat of video calls are deleted
once older than their organisation's limit, or central's default
(settings `retention_*_days`). The pass runs in every worker every
`retention_every_s` and from `central retention apply`; running it twice is
harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from central.access import audit
from central.background import Every
from central.db.engine import changed
from central.db.models import (
    Booking,
    Call,
    CallDocument,
    CallIdentity,
    CallMessage,
    CheckIn,
    Command,
    CommandArtifact,
    IdentityChallenge,
    Kiosk,
    Organisation,
    PhoneIdentification,
    UsageEvent,
)
from central.db.types import utcnow
from central.identity.eid.phone_route import DONE_S as PHONE_DONE_S
from central.settings import Settings
from central.usage import usage_daily
from contract.kiosk_api import BookingStatus

log = logging.getLogger("central.usage.retention")
CONTACT_KEPT = timedelta(days=1)  # an appointment's name and e-mail after its time
KINDS = ("usage_days", "bookings_days", "screenshots_days", "call_documents_days")
MIN_DAYS, MAX_DAYS = 1, 10 * 365


@dataclass(frozen=True)
class Retention:
    usage_days: int
    bookings_days: int
    screenshots_days: int
    call_documents_days: int


def for_organisation(org: Organisation, settings: Settings) -> Retention:
    own = org.retention or {}
    return Retention(
        usage_days=int(own.get("usage_days", settings.retention_usage_days)),
        bookings_days=int(own.get("bookings_days", settings.retention_bookings_days)),
        screenshots_days=int(own.get("screenshots_days", settings.retention_screenshots_days)),
        call_documents_days=int(
            own.get("call_documents_days", settings.retention_call_documents_days)
        ),
    )


def apply(db: Session, settings: Settings) -> dict[str, int]:
    """Delete what is past its time in every organisation; how many rows of each kind went."""
    now = utcnow()
    removed = {
        "usage_events": 0,
        "bookings": 0,
        "screenshots": 0,
        "call_documents": 0,
        "audit_entries": audit.prune(db, now - timedelta(days=settings.audit_retention_days)),
    }
    for org in db.scalars(select(Organisation)):
        keep = for_organisation(org, settings)
        removed["usage_events"] += changed(
            db,
            delete(UsageEvent).where(
                UsageEvent.org_id == org.id,
                UsageEvent.at < now - timedelta(days=keep.usage_days),
            ),
        )
        usage_daily.prune(db, org.id, (now - timedelta(days=keep.usage_days)).date().isoformat())
        old_bookings = select(Booking.id).where(
            Booking.org_id == org.id, Booking.ends_at < now - timedelta(days=keep.bookings_days)
        )
        ids = list(db.scalars(old_bookings))
        if ids:
            db.execute(delete(CheckIn).where(CheckIn.booking_id.in_(ids)))
            removed["bookings"] += changed(db, delete(Booking).where(Booking.id.in_(ids)))
        shots = (
            select(CommandArtifact.command_id)
            .join(Command, Command.id == CommandArtifact.command_id)
            .join(Kiosk, Kiosk.id == Command.kiosk_id)
            .where(
                Kiosk.org_id == org.id,
                CommandArtifact.uploaded_at < now - timedelta(days=keep.screenshots_days),
            )
        )
        shot_ids = list(db.scalars(shots))
        if shot_ids:
            db.execute(update(Command).where(Command.id.in_(shot_ids)).values(has_artifact=False))
            removed["screenshots"] += changed(
                db, delete(CommandArtifact).where(CommandArtifact.command_id.in_(shot_ids))
            )
        # A call's documents and chat: personal data, kept a short while after it ended,
        # by the days of the organisation that served it (the provider: its officials'
        # call, also at another organisation's kiosk).
        calls = select(Call.id).where(
            Call.provider_id == org.id,
            Call.created_at < now - timedelta(days=keep.call_documents_days),
        )
        removed["call_documents"] += changed(
            db, delete(CallDocument).where(CallDocument.call_id.in_(calls))
        )
        db.execute(delete(CallMessage).where(CallMessage.call_id.in_(calls)))
        # A strongly identified citizen's identity goes with the call's documents.
        db.execute(delete(CallIdentity).where(CallIdentity.call_id.in_(calls)))
    # A citizen's own words on an appointment (name, e-mail) go a day after its time, or
    # a day after it was cancelled: the booking's counts stay for the reports.
    wiped = or_(
        Booking.ends_at < now - CONTACT_KEPT,
        and_(Booking.status == BookingStatus.CANCELLED, Booking.created_at < now - CONTACT_KEPT),
    )
    removed["appointment_contacts"] = changed(
        db,
        update(Booking)
        .where(Booking.contact_email.is_not(None), wiped)
        .values(contact_email=None, display_name="", name_sealed_code=None, name_sealed_card=None),
    )
    # Challenges an ID card never answered (or did): worthless once expired.
    db.execute(delete(IdentityChallenge).where(IdentityChallenge.expires_at < now))
    # QR codes for phones: once nothing can arrive for them (central/identity/eid/).
    db.execute(
        delete(PhoneIdentification).where(
            PhoneIdentification.expires_at < now - timedelta(seconds=PHONE_DONE_S)
        )
    )
    db.commit()
    return removed


def runner(sessions: sessionmaker[Session], settings: Settings) -> Every:
    """Retention applied every `retention_every_s` in a thread of its own."""

    def apply_once() -> None:
        with sessions() as db:
            removed = apply(db, settings)
        if any(removed.values()):
            log.info("retention removed %s", removed)

    return Every(
        "retention",
        settings.retention_every_s,
        apply_once,
        sessions=sessions,
        instance=settings.instance_name,
    )
