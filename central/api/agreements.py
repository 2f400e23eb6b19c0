"""Agreements between organisations (joint service points): propose, accept, decline,
end, their history and monthly statements; the sites a provider serves; the national
expert directory. docs/api.md, "Agreements", walks through them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from central.access import audit
from central.access.policy import Access, allowed, signed_in
from central.agreements import (
    directory,
    lifecycle,
    served,
    statement_files,
    statements,
    views,
)
from central.api.schemas import Count, errors
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


@router.get("/agreements", responses=errors(401, 403))
def list_agreements(
    status: AgreementStatus | None = None,
    kind: AgreementKind | None = None,
    access: Access = Depends(allowed("agreement.read")),
) -> dict[str, Any]:
    """The agreements the caller's organisation is a party to (every one, for the
    national admin), newest first."""
    return {"items": views.listing(access, status, kind)}


@router.post("/agreements", status_code=201, responses=errors(401, 403, 422))
def propose_agreement(
    body: AgreementIn, request: Request, access: Access = Depends(allowed("agreement.manage"))
) -> dict[str, Any]:
    """An admin of the host or the provider proposes; it is in force once the other
    side's admin accepts. The national admin's is in force at once."""
    agreement = lifecycle.propose(access, lifecycle.Terms(**body.model_dump()))
    audit.concerns(request, lifecycle.other_side(agreement, access.person.org_id))
    access.db.commit()
    return views.as_json(access, agreement, with_history=True)


@router.get("/agreements/{agreement_id}", responses=errors(401, 403, 404))
def get_agreement(
    agreement_id: str, access: Access = Depends(allowed("agreement.read"))
) -> dict[str, Any]:
    """The agreement with its history: who proposed, accepted, declined or ended it."""
    return views.as_json(access, lifecycle.visible(access, agreement_id), with_history=True)


def _step(
    request: Request,
    access: Access,
    agreement_id: str,
    action: AgreementAction,
    body: StepIn | None,
) -> dict[str, Any]:
    agreement = lifecycle.visible(access, agreement_id)
    lifecycle.step(access, agreement, action, body.note if body else "")
    audit.concerns(request, lifecycle.other_side(agreement, access.person.org_id))
    access.db.commit()
    return views.as_json(access, agreement, with_history=True)


@router.post("/agreements/{agreement_id}/accept", responses=errors(401, 403, 404, 409, 422))
def accept_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """The other side's admin accepts a proposal: in force from its valid_from."""
    return _step(request, access, agreement_id, AgreementAction.ACCEPTED, body)


@router.post("/agreements/{agreement_id}/decline", responses=errors(401, 403, 404, 409, 422))
def decline_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """Either side turns a proposal down (its proposer withdraws it)."""
    return _step(request, access, agreement_id, AgreementAction.DECLINED, body)


@router.post("/agreements/{agreement_id}/end", responses=errors(401, 403, 404, 409, 422))
def end_agreement(
    agreement_id: str,
    request: Request,
    body: StepIn | None = None,
    access: Access = Depends(allowed("agreement.manage")),
) -> dict[str, Any]:
    """Either side ends it: no new calls from this moment; calls already queued or in
    progress are served to the end."""
    return _step(request, access, agreement_id, AgreementAction.ENDED, body)


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
    file = statement_files.download(figures, issued, format)
    if file is not None:
        return file
    return {**figures, "issued": issued}


@router.get("/served-sites", responses=errors(401, 403))
def served_sites(access: Access = Depends(allowed("agreement.read"))) -> dict[str, Any]:
    """A provider's view: the host sites its agreements in force cover, with the
    services and languages served at each (the site's name and town, never its fleet)."""
    return {"items": served.served_sites(access)}


@router.get("/expert-directory", responses=errors(401, 403))
def expert_directory(access: Access = Depends(signed_in)) -> dict[str, Any]:
    """Organisations any official may invite an expert from, agreement or not."""
    return {"items": directory.listing(access.db)}


@router.put("/expert-directory/{org_id}", responses=errors(401, 403, 404, 422))
def add_to_directory(
    org_id: str, body: DirectoryIn, access: Access = Depends(allowed("expert_directory.manage"))
) -> dict[str, Any]:
    """The national admin lists an organisation in the directory (again: a new note)."""
    entry = directory.put(access, org_id, body.note)
    access.db.commit()
    return entry


@router.delete("/expert-directory/{org_id}", status_code=204, responses=errors(401, 403, 404))
def remove_from_directory(
    org_id: str, access: Access = Depends(allowed("expert_directory.manage"))
) -> Response:
    directory.remove(access, org_id)
    access.db.commit()
    return Response(status_code=204)
