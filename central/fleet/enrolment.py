"""Enrolment: a one-time token becomes a kiosk's device token; device tokens rotate.

A hardware id is no credential. The same hardware id enrolled again within
its organisation is the same kiosk (re-imaged, or moved between sites) and
gets a new token; presented to another organisation it is refused, and that
kiosk's history, commands and screenshots stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.policy import DEVICE_TOKEN_PREFIX
from central.access.security import new_token, token_hash
from central.db.models import EnrolmentToken, Kiosk, Site
from central.db.types import utcnow
from central.errors import ApiError

# Hostnames every image or VM ships with: a kiosk so named is named from its site.
SHIPPED_HOSTNAMES = frozenset({"kiosk", "vm", "localhost", "debian", "raspberrypi", "palvelupiste"})


def name_for(db: Session, site: Site, hostname: str | None) -> str:
    """A new kiosk's name: a hostname someone chose, or else "<site> <n>" ("Kirjasto 2"),
    not the "vm" every image carries (issue 33). People rename it in the console."""
    if hostname and hostname.strip().lower() not in SHIPPED_HOSTNAMES:
        return hostname.strip()[:100]
    taken = set(db.scalars(select(Kiosk.name).where(Kiosk.site_id == site.id)))
    n = 1
    while f"{site.name} {n}" in taken:
        n += 1
    return f"{site.name} {n}"


@dataclass
class Enrolled:
    kiosk: Kiosk
    site: Site
    device_token: str


def enrol(
    db: Session,
    token: str,
    hardware_id: str,
    hostname: str | None,
    software_version: str | None,
    token_ttl_s: int,
) -> Enrolled:
    enrolment = db.get(EnrolmentToken, token_hash(token.strip()))
    if enrolment is None:
        raise ApiError(401, "unknown_token", "This enrolment token is not known to central.")
    if enrolment.used_at is not None:
        raise ApiError(410, "token_used", "This enrolment token was used; ask for a new one.")
    if enrolment.expires_at <= utcnow():
        raise ApiError(410, "token_expired", "This enrolment token has expired; ask for a new one.")
    site = db.get(Site, enrolment.site_id)
    assert site is not None
    kiosk = db.scalar(select(Kiosk).where(Kiosk.hardware_id == hardware_id))
    if kiosk is not None and kiosk.org_id != site.org_id:
        raise ApiError(
            409,
            "enrolled_elsewhere",
            "A kiosk with this hardware id belongs to another organisation; its admin must "
            "retire it (DELETE /kiosks/{id}) before it can be enrolled here.",
        )
    if kiosk is None:
        kiosk = Kiosk(hardware_id=hardware_id, name=name_for(db, site, hostname))
        db.add(kiosk)
    # Enrolled again (re-imaged, moved), a kiosk keeps the name people gave it.
    device_token = new_token(DEVICE_TOKEN_PREFIX)
    kiosk.site_id = site.id
    kiosk.org_id = site.org_id
    kiosk.device_token_hash = token_hash(device_token)
    kiosk.previous_token_hash = kiosk.previous_token_until = None
    kiosk.device_token_expires_at = utcnow() + timedelta(seconds=token_ttl_s)
    kiosk.software_version = software_version
    kiosk.enrolled_at = utcnow()
    db.flush()
    enrolment.used_at = utcnow()
    enrolment.used_by_kiosk = kiosk.id
    db.commit()
    return Enrolled(kiosk, site, device_token)


# How long the token a rotation replaced still works: the kiosk may not have heard the answer.
ROTATION_GRACE = timedelta(hours=1)


def rotate_token(db: Session, kiosk_id: str, used: str, token_ttl_s: int) -> tuple[str, Kiosk]:
    """A new device token. The one used to ask keeps working for ROTATION_GRACE, so a
    kiosk whose answer was lost asks again with it; every other token stops at once."""
    kiosk = db.get(Kiosk, kiosk_id)
    assert kiosk is not None
    fresh = new_token(DEVICE_TOKEN_PREFIX)
    kiosk.previous_token_hash = token_hash(used)
    kiosk.previous_token_until = utcnow() + ROTATION_GRACE
    kiosk.device_token_hash = token_hash(fresh)
    kiosk.device_token_expires_at = utcnow() + timedelta(seconds=token_ttl_s)
    db.commit()
    return fresh, kiosk
