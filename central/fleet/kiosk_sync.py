"""What a site's kiosks sync: the catalogue they show and today's bookings, as deltas.

The change log (central/catalogue/changes.py) says what changed after a kiosk's
cursor; these loaders say what each changed id looks like to a kiosk now,
or None when the kiosk should drop it (withdrawn, cancelled, in the past).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.catalogue import changes, overlay
from central.db.models import Booking, Service, Site, SiteService
from central.db.types import utcnow
from contract.kiosk_api import BookingStatus, Delta


def catalogue_page(db: Session, site: Site, since: str | None, limit: int) -> Delta:
    def load(ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        rows = db.execute(
            select(Service, SiteService.position)
            .join(SiteService, SiteService.service_id == Service.id)
            .where(SiteService.site_id == site.id, Service.id.in_(ids))
        ).all()
        laid = overlay.overlays(db, site.id, [s.id for s, _ in rows])
        return {
            s.id: None
            if s.withdrawn
            else {
                **overlay.laid_over(s.item, laid.get(s.id, {})),
                "position": pos,
                "updated_at": s.updated_at.isoformat(),
            }
            for s, pos in rows
        }

    return changes.read(db, site, changes.SERVICE, since, limit, load)


def start_of_today(site: Site) -> datetime:
    zone = ZoneInfo(site.timezone)
    return datetime.combine(utcnow().astimezone(zone).date(), time(), zone)


# What a kiosk checks in against: a held booking (e-mail not proven) is not a booking yet.
KIOSK_VISIBLE = frozenset({BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW})


def booking_item(booking: Booking, site: Site) -> dict[str, Any]:
    """What a kiosk may know of a booking: never the plain code or a full name."""
    return {
        "id": booking.id,
        "service_id": booking.service_id,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        # Sealed: only the citizen's code (or card) opens it on the kiosk.
        "display_name": "" if booking.name_sealed_code else booking.display_name,
        "name_sealed_code": booking.name_sealed_code,
        "name_sealed_card": booking.name_sealed_card,
        "mode": booking.mode,
        "status": BookingStatus.CHECKED_IN if booking.checked_in_at else BookingStatus.BOOKED,
        "code_hash": booking.code_hash,
        "card_hash": booking.card_hash,
        # Each booking's own salt; bookings made before 0003 share the site's.
        "code_salt": booking.hash_salt or site.code_salt,
        "code_hash_alg": booking.hash_alg,
    }


def bookings_page(db: Session, site: Site, since: str | None, limit: int) -> Delta:
    today = start_of_today(site)

    def load(ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        rows = db.scalars(select(Booking).where(Booking.id.in_(ids)))
        return {
            b.id: booking_item(b, site)
            if b.status in KIOSK_VISIBLE and b.ends_at >= today
            else None
            for b in rows
        }

    return changes.read(db, site, changes.BOOKING, since, limit, load)
