"""Agreements between organisations (joint service points): propose, accept, decline,
end, their history and monthly statements; the sites a provider serves; the national
expert directory. docs/api.md, "Agreements", walks through them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from central.access import audit
from central.access.policy import Access, allowed, signed_in
from central.agreements import lifecycle, rules, statement_files, statements
from central.api.schemas import Count, errors
from central.db.models import Agreement, ExpertDirectoryEntry, Organisation, Site
from central.db.types import utcnow
from central.errors import ApiError
from central.web.attachment import content_disposition
from contract.agreements import (
    AgreementAction,
    AgreementKind,
    AgreementStatus,
    CompensationBasis,
)

router = APIRouter(tags=["agreements"])

Id = Annotated[str, Field(min_length=1, max_length=64)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class AgreementIn(BaseModel):
    kind: AgreementKind = AgreementKind.SERVICE
    host_org_id: Id
    provider_org_id: Id
    # Leave out for all the provider's services / all the host's sites.
    service_ids: list[Id] | None = Field(default=None, max_length=500)
    site_ids: list[Id] | None = Field(default=None, max_length=500)
    languages: list[Language] = Field(min_length=1, max_length=20)
    valid_from: date
    valid_to: date | None = None
    basis: CompensationBasis
    amount_cents: Count
    vat_basis_points: int = Field(ge=0, le=10000, description="2550 is 25.5 %")


class StepIn(BaseModel):
    note: str = Field(default="", max_length=500)


class DirectoryIn(BaseModel):
    note: str = Field(default="", max_length=300)


def agreement_out(
    access: Access, agreement: Agreement, with_history: bool = False
) -> dict[str, Any]:
    names = {
        org_id: name
        for org_id, name in access.db.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([agreement.host_org_id, agreement.provider_org_id])
            )
        )
    }
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


@router.get("/agreements", responses=errors(401, 403))
def list_agreements(
    status: AgreementStatus | None = None,
    kind: AgreementKind | None = None,
    access: Access = Depends(allowed("agreement.read")),
) -> dict[str, Any]:
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
    return {"items": [agreement_out(access, a) for a in access.db.scalars(query)]}


@router.post("/agreements", status_code=201, responses=errors(401, 403, 422))
def propose_agreement(
    body: AgreementIn, request: Request, access: Access = Depends(allowed("agreement.manage"))
) -> dict[str, Any]:
    """An admin of the host or the provider proposes; it is in force once the other
    side's admin accepts. The national admin's is in force at once."""
    agreement = lifecycle.propose(access, lifecycle.Terms(**body.model_dump()))
    audit.concerns(request, lifecycle.other_side(agreement, access.person.org_id))
    access.db.commit()
    return agreement_out(access, agreement, with_history=True)


@router.get("/agreements/{agreement_id}", responses=errors(401, 403, 404))
def get_agreement(
    agreement_id: str, access: Access = Depends(allowed("agreement.read"))
) -> dict[str, Any]:
    """The agreement with its history: who proposed, accepted, declined or ended it."""
    return agreement_out(access, lifecycle.visible(access, agreement_id), with_history=True)


def _step(
    request: Request, access: Access, agreement_id: str, action: AgreementAction, note: str
) -> dict[str, Any]:
    agreement = lifecycle.visible(access, agreement_id)
    lifecycle.step(access, agreement, action, note)
    audit.concerns(request, lifecycle.other_side(agreement, access.person.org_id))
    access.db.commit()
    return agreement_out(access, agreement, with_history=True)


@router.post("/agreements/{agreement_id}/accept", responses=errors(401, 403, 404, 409, 422))
def accept_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """The other side's admin accepts a proposal: in force from its valid_from."""
    note = body.note if body else ""
    return _step(request, access, agreement_id, AgreementAction.ACCEPTED, note)


@router.post("/agreements/{agreement_id}/decline", responses=errors(401, 403, 404, 409, 422))
def decline_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """Either side turns a proposal down (its proposer withdraws it)."""
    note = body.note if body else ""
    return _step(request, access, agreement_id, AgreementAction.DECLINED, note)


@router.post("/agreements/{agreement_id}/end", responses=errors(401, 403, 404, 409, 422))
def end_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """Either side ends it: no new calls from this moment; calls already queued or in
    progress are served to the end."""
    note = body.note if body else ""
    return _step(request, access, agreement_id, AgreementAction.ENDED, note)


@router.get("/agreements/{agreement_id}/statements/{month}", responses=errors(401, 403, 404, 422))
def get_statement(
    agreement_id: str,
    month: str,
    format: Literal["json", "csv", "pdf"] = Query(default="json"),
    access: Access = Depends(allowed("agreement.read")),
) -> Any:
    """The agreement's month (like 2026-11): calls and started minutes by site and
    service, and the compensation from its terms. A month that is over is issued on the
    first read and never changes; the running month is a draft (`issued` false)."""
    agreement = lifecycle.visible(access, agreement_id)
    figures, issued = statements.statement(access.db, agreement, statements.Month.parse(month))
    access.db.commit()
    name = f"statement-{figures['month']}-{agreement.id[:8]}"
    if format == "csv":
        return Response(
            statement_files.as_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": content_disposition(name + ".csv")},
        )
    if format == "pdf":
        return Response(
            statement_files.as_pdf(figures, issued),
            media_type="application/pdf",
            headers={"content-disposition": content_disposition(name + ".pdf")},
        )
    return {**figures, "issued": issued}


@router.get("/served-sites", responses=errors(401, 403))
def served_sites(access: Access = Depends(allowed("agreement.read"))) -> dict[str, Any]:
    """A provider's view: the host sites its agreements in force cover, with the
    services and languages served at each (the site's name and town, never its fleet)."""
    now = utcnow()
    query = select(Agreement).where(
        Agreement.kind == AgreementKind.SERVICE, Agreement.status == AgreementStatus.ACTIVE
    )
    if not access.is_national:
        query = query.where(Agreement.provider_org_id == access.person.org_id)
    items = []
    for agreement in access.db.scalars(query):
        if not rules.in_force(agreement, now):
            continue
        sites = select(Site.id, Site.name, Site.address, Organisation.name.label("host")).join(
            Organisation, Organisation.id == Site.org_id
        )
        if agreement.site_ids is None:
            sites = sites.where(Site.org_id == agreement.host_org_id)
        else:
            sites = sites.where(Site.id.in_(agreement.site_ids))
        for site in access.db.execute(sites.order_by(Site.name)):
            items.append(
                {
                    "site_id": site.id,
                    "site": site.name,
                    "address": site.address,
                    "host": site.host,
                    "agreement_id": agreement.id,
                    "provider_org_id": agreement.provider_org_id,
                    "service_ids": agreement.service_ids,
                    "languages": agreement.languages,
                }
            )
    return {"items": sorted(items, key=lambda i: (i["host"], i["site"]))}


@router.get("/expert-directory", responses=errors(401, 403))
def expert_directory(access: Access = Depends(signed_in)) -> dict[str, Any]:
    """Organisations any official may invite an expert from, agreement or not."""
    rows = access.db.execute(
        select(ExpertDirectoryEntry.org_id, Organisation.name, ExpertDirectoryEntry.note)
        .join(Organisation, Organisation.id == ExpertDirectoryEntry.org_id)
        .order_by(Organisation.name)
    )
    return {"items": [{"org_id": r.org_id, "name": r.name, "note": r.note} for r in rows]}


@router.put("/expert-directory/{org_id}", responses=errors(401, 403, 404, 422))
def add_to_directory(
    org_id: str, body: DirectoryIn, access: Access = Depends(allowed("expert_directory.manage"))
) -> dict[str, Any]:
    """The national admin lists an organisation in the directory (again: a new note)."""
    org = access.org(org_id)
    entry = access.db.get(ExpertDirectoryEntry, org.id)
    if entry is None:
        access.db.add(ExpertDirectoryEntry(org_id=org.id, note=body.note))
    else:
        entry.note = body.note
    access.db.commit()
    return {"org_id": org.id, "name": org.name, "note": body.note}


@router.delete("/expert-directory/{org_id}", status_code=204, responses=errors(401, 403, 404))
def remove_from_directory(
    org_id: str, access: Access = Depends(allowed("expert_directory.manage"))
) -> Response:
    entry = access.db.get(ExpertDirectoryEntry, org_id)
    if entry is None:
        raise ApiError(404, "not_found", "That organisation is not in the directory.")
    access.db.delete(entry)
    access.db.commit()
    return Response(status_code=204)
