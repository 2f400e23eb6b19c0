"""The one rule of cross-organisation work: an agreement in force covers it.

`in_force` says whether an agreement holds at a moment; `route_for` decides whose
officials serve a citizen at a site (the host's own for its own services, a provider's
under an agreement, or nobody); `interprets_for` and `may_invite_from` bound
interpreters and experts the same way. Everything that crosses an organisation's
boundary asks here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.db.models import Agreement, ExpertDirectoryEntry, Organisation, Service
from contract.agreements import AgreementKind, AgreementStatus

# Agreements run by Finnish calendar days: valid_to 2026-12-31 holds until midnight there.
FINLAND = ZoneInfo("Europe/Helsinki")


def day_of(at: datetime) -> str:
    return at.astimezone(FINLAND).date().isoformat()


def in_force(agreement: Agreement, at: datetime) -> bool:
    """Accepted, not ended, and `at` falls on one of its days."""
    if agreement.status != AgreementStatus.ACTIVE:
        return False
    day = day_of(at)
    return agreement.valid_from <= day and (agreement.valid_to is None or day <= agreement.valid_to)


def owner_of(db: Session, service_id: str) -> str | None:
    """The organisation in central whose service this is: PTV's responsible organisation
    (the one whose sync keeps it, else the one its item names) where central has an
    organisation with that PTV id. None: nobody's here, and the host's own officials
    serve it, as before agreements."""
    row = db.execute(
        select(Service.ptv_organisation, Service.item).where(Service.id == service_id)
    ).first()
    if row is None:
        return None
    named = (row.item or {}).get("organisation") or {}
    ptv_id = row.ptv_organisation or (named.get("id") if isinstance(named, dict) else None)
    if not ptv_id:
        return None
    return db.scalar(select(Organisation.id).where(Organisation.ptv_id == ptv_id))


def covers_service(agreement: Agreement, service_id: str, owner: str | None) -> bool:
    if agreement.service_ids is None:
        return owner == agreement.provider_org_id
    return service_id in agreement.service_ids


def covers(
    agreement: Agreement, site_id: str, service_id: str, language: str | None, owner: str | None
) -> bool:
    """The agreement covers the site, the service and the language (None: any)."""
    return (
        (agreement.site_ids is None or site_id in agreement.site_ids)
        and (language is None or language in (agreement.languages or []))
        and covers_service(agreement, service_id, owner)
    )


def agreements_of(
    db: Session, kind: AgreementKind, host_org_id: str, at: datetime
) -> list[Agreement]:
    """The host's agreements of this kind in force at `at`, oldest accepted first."""
    return [a for a in active_agreements(db, kind, host_org_id) if in_force(a, at)]


def active_agreements(db: Session, kind: AgreementKind, host_org_id: str) -> list[Agreement]:
    """The host's accepted agreements of this kind, whatever their days, oldest first."""
    return list(
        db.scalars(
            select(Agreement)
            .where(
                Agreement.kind == kind,
                Agreement.host_org_id == host_org_id,
                Agreement.status == AgreementStatus.ACTIVE,
            )
            .order_by(Agreement.accepted_at, Agreement.id)
        )
    )


@dataclass(frozen=True)
class Route:
    """Whose officials serve a call: the provider, and the agreement that lets them
    (None: the host serving its own service)."""

    provider_id: str
    agreement_id: str | None


def route_for(
    db: Session,
    host_org_id: str,
    site_id: str,
    service_id: str,
    language: str | None,
    at: datetime,
) -> Route | None:
    """Who serves a citizen at this site asking for this service in this language now
    (None: in any language, as a booking asks).

    An agreement covering it wins (the oldest, if two do); else the host serves its own
    services and those nobody owns; else nobody may, and the kiosk offers the service's
    other channels instead of a call.
    """
    owner = owner_of(db, service_id)
    agreements = agreements_of(db, AgreementKind.SERVICE, host_org_id, at)
    return route_among(agreements, host_org_id, site_id, service_id, language, owner, at)


def route_among(
    agreements: list[Agreement],
    host_org_id: str,
    site_id: str,
    service_id: str,
    language: str | None,
    owner: str | None,
    at: datetime,
) -> Route | None:
    """`route_for` over agreements already loaded (oldest accepted first): the slot
    search asks it for each of thirty days without a query each."""
    for agreement in agreements:
        if in_force(agreement, at) and covers(agreement, site_id, service_id, language, owner):
            return Route(agreement.provider_org_id, agreement.id)
    if owner is None or owner == host_org_id:
        return Route(host_org_id, None)
    return None


def interprets_for(db: Session, service_org_id: str, at: datetime) -> dict[str, set[str]]:
    """For an interpretation service: the organisations it interprets for now, and in
    which languages (from their interpretation agreements with it)."""
    rows = db.scalars(
        select(Agreement).where(
            Agreement.kind == AgreementKind.INTERPRETATION,
            Agreement.provider_org_id == service_org_id,
            Agreement.status == AgreementStatus.ACTIVE,
        )
    )
    clients: dict[str, set[str]] = {}
    for agreement in rows:
        if in_force(agreement, at):
            clients.setdefault(agreement.host_org_id, set()).update(agreement.languages or [])
    return clients


def interpretation_agreement(
    db: Session, service_org_id: str, client_org_id: str, language: str, at: datetime
) -> str | None:
    """The interpretation agreement in force that lets the service interpret this
    language for the client (the oldest, if two do), or None."""
    rows = db.scalars(
        select(Agreement)
        .where(
            Agreement.kind == AgreementKind.INTERPRETATION,
            Agreement.provider_org_id == service_org_id,
            Agreement.host_org_id == client_org_id,
            Agreement.status == AgreementStatus.ACTIVE,
        )
        .order_by(Agreement.accepted_at, Agreement.id)
    )
    for agreement in rows:
        if in_force(agreement, at) and language in (agreement.languages or []):
            return agreement.id
    return None


def partners_of(db: Session, org_id: str, at: datetime) -> set[str]:
    """Organisations an official of `org_id` may invite an expert from: those it has a
    service agreement in force with (either way round), and the national directory."""
    rows = db.scalars(
        select(Agreement).where(
            Agreement.kind == AgreementKind.SERVICE,
            Agreement.status == AgreementStatus.ACTIVE,
            or_(Agreement.host_org_id == org_id, Agreement.provider_org_id == org_id),
        )
    )
    found = {
        a.provider_org_id if a.host_org_id == org_id else a.host_org_id
        for a in rows
        if in_force(a, at)
    }
    found.update(db.scalars(select(ExpertDirectoryEntry.org_id)))
    found.discard(org_id)
    return found
