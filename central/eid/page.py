"""The phone's side of identification by phone: the QR code's page (the service point's
name and the short code, then on to the identity provider), the providers' returns
(SAML's assertion consumer and logout services, OpenID Connect's redirect), central's
SAML metadata and public keys for registering with the providers.

Every page is plain HTML without scripts; every refusal is a page that says what to do,
never a stack trace. Nothing of the person appears on these pages."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from central.api.deps import SessionDep, secret_key_of, settings_of
from central.calls.desk_view import names_of
from central.db.models import Call
from central.db.types import utcnow
from central.desk.strings import pick_language
from central.eid.strings import strings_for
from central.errors import ApiError
from central.identity.eid import phone_route, routes
from central.identity.eid.broker import Broker, Refused
from central.web.links import public_base
from contract.call_api import IdentificationMethod

if TYPE_CHECKING:
    from central.identity.eid.saml import SuomifiSaml

log = logging.getLogger(__name__)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
router = APIRouter(prefix="/eid", include_in_schema=False)


def _page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    language = pick_language(
        request.query_params.get("lang"), request.headers.get("accept-language", "")
    )
    nonce = secrets.token_urlsafe(12)
    html = templates.get_template("phone.html").render(
        lang=language, t=strings_for(language), nonce=nonce, **values
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "content-security-policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; base-uri 'none'; "
                "frame-ancestors 'none'"
            )
        },
    )


def _broker(request: Request, method: IdentificationMethod) -> Broker:
    return routes.broker_for(settings_of(request), public_base(request), method)


def _saml(request: Request) -> SuomifiSaml:
    found = routes.saml_of(settings_of(request), public_base(request))
    if found is None:
        raise ApiError(
            503,
            "identification_unavailable",
            "Central is not set up for Suomi.fi e-Identification.",
        )
    return found


@router.get("/saml/metadata")
def saml_metadata(request: Request) -> Response:
    """Central's SAML metadata, for registering with Suomi.fi e-Identification."""
    return Response(_saml(request).metadata(), media_type="application/samlmetadata+xml")


@router.get("/oidc/jwks")
def oidc_keys(request: Request) -> JSONResponse:
    """Central's public keys for the FTN broker: request objects and client assertions
    are signed with the "sig" key, ID tokens encrypted to the "enc" key."""
    oidc = routes.oidc_of(settings_of(request), public_base(request))
    if oidc is None:
        raise ApiError(404, "not_found", "Central is not set up for an FTN broker.")
    return JSONResponse(oidc.public_keys())


def _finished(
    request: Request, db: Any, handoff_id: str, answer: dict[str, str], method: IdentificationMethod
) -> HTMLResponse:
    broker = _broker(request, method)
    back = phone_route.back_of(db, handoff_id)  # a visit from home: back to it
    try:
        phone_route.finish(db, secret_key_of(request), handoff_id, answer, broker, utcnow())
    except Refused as exc:
        return _page(request, 400, view="refused", reason=str(exc), back=back)
    logout = ""
    if method == IdentificationMethod.SUOMIFI:
        session = phone_route.logout_session(db, handoff_id)
        if session.get("name_id"):
            logout = _saml(request).logout(
                session["name_id"], session["name_id_format"], session["session_index"]
            )
    return _page(request, view="done", logout=logout, back=back)


@router.post("/saml/acs")
def saml_acs(
    request: Request,
    db: SessionDep,
    saml_response: str = Form(default="", alias="SAMLResponse", max_length=200_000),
    relay_state: str = Form(default="", alias="RelayState", max_length=80),
) -> HTMLResponse:
    """Suomi.fi's answer (HTTP-POST binding); RelayState names the handoff."""
    return _finished(
        request, db, relay_state, {"SAMLResponse": saml_response}, IdentificationMethod.SUOMIFI
    )


@router.get("/saml/slo")
def saml_logout(request: Request) -> Response:
    """Suomi.fi ends a session: central keeps none past the call, and answers so."""
    broker = _saml(request)
    query = dict(request.query_params)
    if "SAMLRequest" not in query:
        return _page(request, view="done", logout="")
    try:
        return RedirectResponse(broker.answer_logout(query), status_code=303)
    except Refused as exc:
        return _page(request, 400, view="refused", reason=str(exc))


@router.get("/oidc/callback")
def oidc_callback(
    request: Request,
    db: SessionDep,
    state: str = Query(default="", max_length=200),
) -> HTMLResponse:
    """The FTN broker's redirect (code and state, or an error)."""
    answer = {k: v[:2000] for k, v in request.query_params.items()}
    handoff_id = state.split(".", 1)[0]
    return _finished(request, db, handoff_id, answer, IdentificationMethod.FTN)


@router.get("/{token}")
def phone_page(token: str, request: Request, db: SessionDep) -> HTMLResponse:
    """What the QR code opens: the service point's name and the short code to compare;
    opening it spends nothing (a link preview must not), continuing does."""
    row = phone_route.waiting(db, token[:100], utcnow())
    if row is None:
        return _page(request, 410, view="spent")
    call = db.get(Call, row.call_id)
    site = names_of(db, call)[1] if call is not None else ""
    at_home = bool(phone_route.back_of(db, row.id))  # the same device: no code to compare
    return _page(
        request,
        view="start_home" if at_home else "start",
        site=site,
        code=row.short_code,
        token=token,
        method=row.method.value,
    )


@router.post("/{token}")
def phone_continue(token: str, request: Request, db: SessionDep) -> Response:
    """Spends the QR code (once, within two minutes) and goes to the identity provider."""
    row = phone_route.waiting(db, token[:100], utcnow())
    if row is None:
        return _page(request, 410, view="spent")
    try:
        broker = _broker(request, row.method)
        return RedirectResponse(
            phone_route.open_at_provider(db, token, broker, utcnow()), status_code=303
        )
    except ApiError:
        return _page(request, 410, view="spent")
    except Refused as exc:
        log.info("the identity provider could not be reached for a phone identification")
        return _page(request, 503, view="refused", reason=str(exc))
