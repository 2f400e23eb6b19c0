"""A site's price list, and the lines of what a citizen is about to pay for.

Prices include VAT. A service's fee goes to the organisation the admin names (the
site's own, or a provider serving there under an active agreement); pages printed or
copied go to the site's own organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.agreements import rules
from central.db.models import Price, Site
from central.errors import ApiError
from contract.agreements import AgreementKind
from contract.payments import PaymentLine, PaymentPurpose, PriceKind, line

MAX_PAGES = 200
PAGE_KIND = {PaymentPurpose.PRINT: PriceKind.PRINT_PAGE, PaymentPurpose.COPY: PriceKind.COPY_PAGE}


@dataclass(frozen=True)
class Priced:
    org_id: str  # who is paid
    lines: list[PaymentLine]

    @property
    def amount_cents(self) -> int:
        return sum(x.total_cents for x in self.lines)

    @property
    def vat_cents(self) -> int:
        return sum(x.vat_cents for x in self.lines)


def list_of(db: Session, site_id: str) -> list[Price]:
    return list(
        db.scalars(
            select(Price).where(Price.site_id == site_id).order_by(Price.kind, Price.service_id)
        )
    )


def may_be_paid(db: Session, site: Site, org_id: str) -> bool:
    """The site's own organisation, or a provider with an active service agreement here."""
    if org_id == site.org_id:
        return True
    return any(
        a.provider_org_id == org_id and (a.site_ids is None or site.id in a.site_ids)
        for a in rules.active_agreements(db, AgreementKind.SERVICE, site.org_id)
    )


def price_of(db: Session, site_id: str, kind: PriceKind, service_id: str = "") -> Price | None:
    return db.scalar(
        select(Price).where(
            Price.site_id == site_id, Price.kind == kind, Price.service_id == service_id
        )
    )


def priced(
    db: Session, site_id: str, purpose: PaymentPurpose, service_id: str = "", pages: int = 0
) -> Priced:
    """What the citizen pays for a service's fee or for pages, by the site's price list;
    404 `no_price` when the site has none for it (then it costs nothing to say so)."""
    if purpose == PaymentPurpose.SERVICE_FEE:
        price = price_of(db, site_id, PriceKind.SERVICE, service_id)
        if price is None:
            raise ApiError(404, "no_price", "This service has no price at this service point.")
        return Priced(
            price.org_id, [line(service_id, 1, price.amount_cents, price.vat_basis_points)]
        )
    kind = PAGE_KIND.get(purpose)
    if kind is None:
        raise ApiError(422, "invalid_purpose", "A kiosk pays for a service's fee or for pages.")
    if not 1 <= pages <= MAX_PAGES:
        raise ApiError(422, "invalid_pages", f"Pages must be 1 to {MAX_PAGES}.")
    price = price_of(db, site_id, kind)
    if price is None:
        raise ApiError(404, "no_price", "Pages are not priced at this service point.")
    return Priced(
        price.org_id, [line(kind.value, pages, price.amount_cents, price.vat_basis_points)]
    )
