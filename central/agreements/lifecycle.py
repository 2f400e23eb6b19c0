"""An agreement's life: proposed by one side's admin, accepted (or declined) by the
other's, ended by either. The national admin makes one in force at once. Each step is a
line of its history (`AgreementEvent`); nothing is deleted.

`TRANSITIONS` is the whole state machine: (state, step) -> new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.policy import Access
from central.db.models import Agreement, AgreementEvent, Organisation, Service, Site
from central.db.types import utcnow
from central.errors import ApiError, forbidden, not_found
from contract.agreements import (
    AgreementAction,
    AgreementKind,
    AgreementStatus,
    CompensationBasis,
)

TRANSITIONS: dict[tuple[AgreementStatus, AgreementAction], AgreementStatus] = {
    (AgreementStatus.PROPOSED, AgreementAction.ACCEPTED): AgreementStatus.ACTIVE,
    (AgreementStatus.PROPOSED, AgreementAction.DECLINED): AgreementStatus.DECLINED,
    (AgreementStatus.ACTIVE, AgreementAction.ENDED): AgreementStatus.ENDED,
}


@dataclass(frozen=True)
class Terms:
    """What the two sides agree on; checked by `check_terms` before anything is stored."""

    kind: AgreementKind
    host_org_id: str
    provider_org_id: str
    service_ids: list[str] | None
    site_ids: list[str] | None
    languages: list[str]
    valid_from: date
    valid_to: date | None
    basis: CompensationBasis
    amount_cents: int
    vat_basis_points: int


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_input", message)


def check_terms(db: Session, terms: Terms) -> None:
    """Every reference names something real and the host's own; clear words otherwise."""
    if terms.host_org_id == terms.provider_org_id:
        raise _invalid("An organisation needs no agreement with itself.")
    host = db.get(Organisation, terms.host_org_id)
    provider = db.get(Organisation, terms.provider_org_id)
    if host is None or provider is None:
        raise _invalid("host_org_id and provider_org_id must name organisations.")
    if terms.kind == AgreementKind.INTERPRETATION:
        if not provider.interpretation_service:
            raise _invalid(
                f"{provider.name} is not an interpretation service (the national admin marks one)."
            )
        if terms.service_ids is not None or terms.site_ids is not None:
            raise _invalid("An interpretation agreement names languages, not services or sites.")
    if not terms.languages:
        raise _invalid("languages: name at least one language served, like ['fi', 'sv'].")
    if terms.valid_to is not None and terms.valid_to < terms.valid_from:
        raise _invalid("valid_to is before valid_from.")
    if terms.site_ids is not None:
        if not terms.site_ids:
            raise _invalid("site_ids: leave it out for all the host's sites, or name some.")
        own = set(db.scalars(select(Site.id).where(Site.org_id == terms.host_org_id)))
        strange = sorted(set(terms.site_ids) - own)
        if strange:
            raise _invalid(f"Not sites of {host.name}: {', '.join(strange)}.")
    if terms.service_ids is not None:
        if not terms.service_ids:
            raise _invalid("service_ids: leave it out for all the provider's, or name some.")
        known = set(db.scalars(select(Service.id).where(Service.id.in_(terms.service_ids))))
        unknown = sorted(set(terms.service_ids) - known)
        if unknown:
            raise _invalid(f"Not in the catalogue: {', '.join(unknown)}.")


def _record(
    db: Session, access: Access, agreement: Agreement, action: AgreementAction, note: str = ""
) -> None:
    db.add(
        AgreementEvent(
            agreement_id=agreement.id,
            action=action,
            user_id=access.person.user_id,
            org_id=access.person.org_id,
            note=note[:500],
        )
    )


def propose(access: Access, terms: Terms) -> Agreement:
    """An admin of either side proposes; the national admin's is in force at once."""
    side = access.person.org_id
    if not access.is_national and side not in (terms.host_org_id, terms.provider_org_id):
        raise forbidden("Propose agreements your own organisation is a party to.")
    check_terms(access.db, terms)
    now = utcnow()
    agreement = Agreement(
        kind=terms.kind,
        host_org_id=terms.host_org_id,
        provider_org_id=terms.provider_org_id,
        service_ids=sorted(set(terms.service_ids)) if terms.service_ids is not None else None,
        site_ids=sorted(set(terms.site_ids)) if terms.site_ids is not None else None,
        languages=sorted(set(terms.languages)),
        valid_from=terms.valid_from.isoformat(),
        valid_to=terms.valid_to.isoformat() if terms.valid_to else None,
        basis=terms.basis,
        amount_cents=terms.amount_cents,
        vat_basis_points=terms.vat_basis_points,
        status=AgreementStatus.ACTIVE if access.is_national else AgreementStatus.PROPOSED,
        proposed_by_org_id=None if access.is_national else side,
        accepted_at=now if access.is_national else None,
    )
    access.db.add(agreement)
    access.db.flush()
    action = AgreementAction.CREATED if access.is_national else AgreementAction.PROPOSED
    _record(access.db, access, agreement, action)
    return agreement


def visible(access: Access, agreement_id: str) -> Agreement:
    """An agreement the caller's organisation is a party to (or any, for the national
    admin); another's is 404, as if it did not exist."""
    agreement = access.db.get(Agreement, agreement_id)
    if agreement is None or not (
        access.is_national
        or access.person.org_id in (agreement.host_org_id, agreement.provider_org_id)
    ):
        raise not_found("agreement")
    return agreement


def other_side(agreement: Agreement, org_id: str | None) -> str:
    return agreement.provider_org_id if org_id == agreement.host_org_id else agreement.host_org_id


def step(access: Access, agreement: Agreement, action: AgreementAction, note: str = "") -> None:
    """Accept, decline or end. Only the side that did not propose accepts; either side
    (or the national admin) declines or ends."""
    new = TRANSITIONS.get((agreement.status, action))
    if new is None:
        raise ApiError(
            409,
            "agreement_state",
            f"An agreement that is {agreement.status} cannot be {action}.",
        )
    if (
        action == AgreementAction.ACCEPTED
        and not access.is_national
        and access.person.org_id == agreement.proposed_by_org_id
    ):
        raise forbidden("The other organisation's admin accepts what yours proposed.")
    agreement.status = new
    if action == AgreementAction.ACCEPTED:
        agreement.accepted_at = utcnow()
    if action == AgreementAction.ENDED:
        agreement.ended_at = utcnow()
    _record(access.db, access, agreement, action, note)


def history(db: Session, agreement_id: str) -> list[AgreementEvent]:
    return list(
        db.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement_id)
            .order_by(AgreementEvent.id)
        )
    )
