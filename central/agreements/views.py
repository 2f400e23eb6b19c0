"""Agreements as both the API and the console show them: one shape, one listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from central.access.policy import Access
from central.agreements import lifecycle, rules
from central.db.models import Agreement, Organisation
from central.db.types import utcnow
from contract.agreements import AgreementKind, AgreementStatus


def _names(access: Access, agreements: list[Agreement]) -> dict[str, str]:
    parties = {a.host_org_id for a in agreements} | {a.provider_org_id for a in agreements}
    return {
        org_id: name
        for org_id, name in access.db.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(parties))
        )
    }


def as_json(
    access: Access,
    agreement: Agreement,
    with_history: bool = False,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One agreement; `names`: its parties' names where the caller has them already."""
    if names is None:
        names = _names(access, [agreement])
    out: dict[str, Any] = {
        "id": agreement.id,
        "kind": agreement.kind,
        "status": agreement.status,
        "in_force": rules.in_force(agreement, utcnow()),
        "host_org_id": agreement.host_org_id,
        "host": names.get(agreement.host_org_id, ""),
        "provider_org_id": agreement.provider_org_id,
        "provider": names.get(agreement.provider_org_id, ""),
        "service_ids": agreement.service_ids,
        "site_ids": agreement.site_ids,
        "languages": agreement.languages,
        "valid_from": agreement.valid_from,
        "valid_to": agreement.valid_to,
        "basis": agreement.basis,
        "amount_cents": agreement.amount_cents,
        "vat_basis_points": agreement.vat_basis_points,
        "proposed_by_org_id": agreement.proposed_by_org_id,
        "awaiting_org_id": lifecycle.other_side(agreement, agreement.proposed_by_org_id)
        if agreement.status == AgreementStatus.PROPOSED
        else None,
        "created_at": agreement.created_at.isoformat(),
        "accepted_at": agreement.accepted_at.isoformat() if agreement.accepted_at else None,
        "ended_at": agreement.ended_at.isoformat() if agreement.ended_at else None,
    }
    if with_history:
        out["history"] = [
            {"action": e.action, "org_id": e.org_id, "note": e.note, "at": e.at.isoformat()}
            for e in lifecycle.history(access.db, agreement.id)
        ]
    return out


def listing(
    access: Access, status: AgreementStatus | None = None, kind: AgreementKind | None = None
) -> list[dict[str, Any]]:
    """The agreements the caller's organisation is a party to (every one, for the
    national admin), newest first."""
    query = select(Agreement).order_by(Agreement.created_at.desc(), Agreement.id).limit(1000)
    if not access.is_national:
        mine = access.person.org_id
        query = query.where(or_(Agreement.host_org_id == mine, Agreement.provider_org_id == mine))
    if status is not None:
        query = query.where(Agreement.status == status)
    if kind is not None:
        query = query.where(Agreement.kind == kind)
    found = list(access.db.scalars(query))
    names = _names(access, found)
    return [as_json(access, a, names=names) for a in found]
