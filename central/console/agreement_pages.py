"""Agreements in the console: the organisation's agreements and proposals awaiting it,
proposing one, accepting, declining and ending (with a confirmation), each one's
history and monthly statements (page, CSV, PDF); a provider's host sites; and for the
national admin, the interpretation-service mark and the expert directory. The rules are
central/agreements/'s, the same as the API's."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central.agreements import (
    directory,
    lifecycle,
    served,
    statement_files,
    statements,
    views,
)
from central.console.render import render
from central.console.viewer import Viewer, form_fields, form_lists, viewer
from central.db.models import Organisation
from central.db.types import utcnow
from central.errors import ApiError
from contract.agreements import AgreementAction, AgreementKind, CompensationBasis

router = APIRouter(include_in_schema=False)
LANGUAGES = ("fi", "sv", "en", "se", "ar", "ru", "so", "uk", "fa", "et")


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_input", message)


def cents(text: str, what: str) -> int:
    """'1,50' or '1.50' euros as cents."""
    found = re.fullmatch(r"\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*", text or "")
    if not found:
        raise _invalid(f"{what}: give euros like 1,50.")
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def _day(text: str, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _invalid(f"{what}: give a date like 2026-12-31.") from exc


def terms_from(seen: Viewer, fields: dict[str, str], lists: dict[str, list[str]]) -> Any:
    """The proposal form as the rules' Terms: the own organisation on the side chosen,
    the other from the list (the national admin chooses both)."""
    if seen.access.is_national:
        host, provider = fields.get("host_org_id", ""), fields.get("provider_org_id", "")
    else:
        other, mine = fields.get("other_org_id", ""), seen.access.person.org_id or ""
        host, provider = (mine, other) if fields.get("side") == "host" else (other, mine)
    try:
        kind = AgreementKind(fields.get("kind") or "service")
        basis = CompensationBasis(fields.get("basis", ""))
    except ValueError as exc:
        raise _invalid("Choose the kind and how the compensation is counted.") from exc
    services = [s for s in re.split(r"[\s,]+", fields.get("service_ids", "")) if s]
    vat = fields.get("vat", "").replace(",", ".").strip()
    try:
        vat_points = round(float(vat) * 100)
    except ValueError as exc:
        raise _invalid("VAT: give a percentage like 25,5.") from exc
    start = _day(fields.get("valid_from", ""), "Valid from")
    if start is None:
        raise _invalid("Valid from: give the first day.")
    if not 0 <= vat_points <= 10000:
        raise _invalid("VAT: give a percentage from 0 to 100.")
    return lifecycle.Terms(
        kind=kind,
        host_org_id=host,
        provider_org_id=provider,
        service_ids=services or None,
        site_ids=None,
        languages=[x for x in lists.get("languages", []) if x in LANGUAGES],
        valid_from=start,
        valid_to=_day(fields.get("valid_to", ""), "Valid to"),
        basis=basis,
        amount_cents=cents(fields.get("amount", ""), "Amount"),
        vat_basis_points=vat_points,
    )


@router.get("/console/agreements")
def agreements_page(request: Request, seen: Viewer = Depends(viewer("agreement.read"))) -> Response:
    access = seen.access
    shown = views.listing(access)
    mine = access.person.org_id
    awaiting = [a for a in shown if a["status"] == "proposed" and a["awaiting_org_id"] == mine]
    orgs = list(
        access.db.execute(
            select(
                Organisation.id, Organisation.name, Organisation.interpretation_service
            ).order_by(Organisation.name)
        )
    )
    sites = served.served_sites(access)
    experts = directory.listing(access.db)
    access.db.commit()
    return render(
        request,
        seen.page,
        "agreements.html",
        agreements=shown,
        awaiting=awaiting,
        orgs=[o for o in orgs if o.id != mine],
        interpretation=[o for o in orgs if o.interpretation_service],
        all_orgs=orgs,
        sites=sites,
        experts=experts,
        languages=LANGUAGES,
        bases=list(CompensationBasis),
        today=date.today().isoformat(),
        national=access.is_national,
        done=request.query_params.get("done"),
    )


@router.post("/console/agreements")
def propose(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    lists: dict[str, list[str]] = Depends(form_lists),
    seen: Viewer = Depends(viewer("agreement.manage")),
) -> Response:
    agreement = lifecycle.propose(seen.access, terms_from(seen, fields, lists))
    seen.access.db.commit()
    return RedirectResponse(f"/console/agreements/{agreement.id}", status_code=303)


@router.get("/console/agreements/{agreement_id}")
def agreement_page(
    agreement_id: str, request: Request, seen: Viewer = Depends(viewer("agreement.read"))
) -> Response:
    agreement = lifecycle.visible(seen.access, agreement_id)
    shown = views.as_json(seen.access, agreement, with_history=True)
    parties = [agreement.host_org_id, agreement.provider_org_id]
    names = {
        org_id: name
        for org_id, name in seen.access.db.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(parties))
        )
    }
    seen.access.db.commit()
    mine = seen.access.person.org_id
    return render(
        request,
        seen.page,
        "agreement.html",
        agreement=shown,
        names=names,
        may_accept=shown["status"] == "proposed"
        and (seen.access.is_national or shown["awaiting_org_id"] == mine),
        month=statements.Month.of(utcnow()).name,
    )


@router.post("/console/agreements/{agreement_id}/{action}")
def step(
    agreement_id: str,
    action: str,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("agreement.manage")),
) -> Response:
    actions = {
        "accept": AgreementAction.ACCEPTED,
        "decline": AgreementAction.DECLINED,
        "end": AgreementAction.ENDED,
    }
    if action not in actions:
        raise ApiError(404, "not_found", "No such action.")
    if action == "end" and fields.get("confirm") != "yes":
        raise _invalid("Tick the box to confirm: ending stops new calls at once.")
    agreement = lifecycle.visible(seen.access, agreement_id)
    lifecycle.step(seen.access, agreement, actions[action], fields.get("note", "")[:500])
    seen.access.db.commit()
    return RedirectResponse(f"/console/agreements/{agreement_id}", status_code=303)


@router.get("/console/agreements/{agreement_id}/statements")
def statement_page(
    agreement_id: str, request: Request, seen: Viewer = Depends(viewer("agreement.read"))
) -> Response:
    """One month's statement (?month=2026-11, default the running month); ?format=csv
    or pdf for the same figures as a file."""
    agreement = lifecycle.visible(seen.access, agreement_id)
    month = statements.Month.parse(
        request.query_params.get("month") or statements.Month.of(utcnow()).name
    )
    figures, issued = statements.statement(seen.access.db, agreement, month)
    seen.access.db.commit()
    file = statement_files.download(figures, issued, request.query_params.get("format", ""))
    if file is not None:
        return file
    return render(
        request,
        seen.page,
        "statement.html",
        figures=figures,
        issued=issued,
        euros=statement_files.euros,
    )


@router.post("/console/interpretation-services")
def mark_interpretation(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("organisation.create")),
) -> Response:
    """The national admin marks (or unmarks) an interpretation service."""
    org = seen.access.org(fields.get("org", ""))
    org.interpretation_service = fields.get("mark") == "yes"
    seen.access.db.commit()
    return RedirectResponse("/console/agreements?done=interpretation", status_code=303)


@router.post("/console/expert-directory")
def directory_change(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("expert_directory.manage")),
) -> Response:
    if fields.get("remove"):
        directory.remove(seen.access, fields["remove"])
    else:
        directory.put(seen.access, fields.get("org_id", ""), fields.get("note", "")[:300])
    seen.access.db.commit()
    return RedirectResponse("/console/agreements?done=directory", status_code=303)
