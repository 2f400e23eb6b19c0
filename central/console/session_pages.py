"""Logging in and out of the console, and its error pages.

Login goes through the API's own login (throttling, disabled accounts,
argon2 off the transaction) and keeps the token it gives in an HttpOnly,
Secure, SameSite=Strict cookie scoped to /console/. The login form has no
session to bind a CSRF token to, so it double-submits a random one (cookie
and field must match).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central.access import people
from central.access.browser_session import LOGIN_COOKIE, SESSION_COOKIE, cookie_value
from central.access.policy import may
from central.access.security import token_hash
from central.api.auth import LoginRequest, LoginResponse, login, new_session
from central.api.deps import SessionDep, settings_of
from central.console.render import PageContext, render
from central.console.viewer import (
    LANGUAGE_COOKIE,
    N_,
    Viewer,
    form_fields,
    language_of,
    page_of_anyone,
    viewer,
)
from central.db.models import AccessToken
from central.errors import PAGE_ERRORS, ApiError

router = APIRouter(include_in_schema=False)
COOKIE_PATH = "/console/"


def _safe_next(target: str | None) -> str:
    """Only a console page of this server: never an open redirect."""
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/fleet"


def _login_page(request: Request, message: str | None = None, status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        PageContext(language_of(request)),
        "login.html",
        status=status,
        login_csrf=token,
        next=_safe_next(request.query_params.get("next")),
        message=message,
    )
    response.set_cookie(
        LOGIN_COOKIE, token, path=COOKIE_PATH, httponly=True, secure=True, samesite="strict"
    )
    return response


@router.get("/console/login")
def login_page(request: Request) -> Response:
    return _login_page(request)


@router.post("/console/login")
async def login_form(
    *,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    db: SessionDep,
) -> Response:
    expected = cookie_value(dict(request.headers.raw), LOGIN_COOKIE)
    if not expected or not secrets.compare_digest(expected, fields.get("login_csrf", "")):
        return _login_page(request, "The form has expired; try again.", 403)
    email, password = fields.get("email", "").strip(), fields.get("password", "")
    if not email or not password:
        return _login_page(request, "Give your e-mail address and password.", 422)
    try:
        answer = await _login(request, db, email, password)
    except ApiError as refusal:
        return _login_page(request, refusal.message, refusal.status)
    response = _signed_in(request, _safe_next(fields.get("next")), answer.access_token)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


def _signed_in(request: Request, target: str, session_token: str) -> Response:
    """To `target`, holding the session in the console's cookie."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=settings_of(request).access_token_ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        secure=True,
        samesite="strict",
    )
    return response


async def _login(request: Request, db: Session, email: str, password: str) -> LoginResponse:
    return await run_in_threadpool(
        login, LoginRequest(email=email[:320], password=password[:1024]), request, Response(), db
    )


@router.post("/console/logout")
def logout(request: Request, seen: Viewer = Depends(viewer("kiosk.read"))) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    seen.access.db.execute(delete(AccessToken).where(AccessToken.token_hash == token_hash(token)))
    seen.access.db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/console/language/{language}")
def choose_language(language: str, request: Request) -> Response:
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    if language in ("fi", "sv", "en"):
        response.set_cookie(
            LANGUAGE_COOKIE, language, path=COOKIE_PATH, secure=True, samesite="strict"
        )
    return response


@router.get("/console")
@router.get("/console/")
def console_root() -> Response:
    return RedirectResponse("/console/fleet", status_code=303)


SECTION_OF = {"kiosks": "fleet"}  # an address's first part → its section, where they differ


def error_page(request: Request, status: int, message: str) -> Response:
    """Errors on console pages: a 401 is the login page, the rest a page that says why."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={_quote(target)}", status_code=303)
    page = page_of_anyone(request)
    return render(
        request,
        page,
        "error.html",
        status=status,
        status_code=status,
        message=message,
        back=_way_back(request, page),
    )


def _way_back(request: Request, page: PageContext) -> tuple[str, str]:
    """Where the error page leads: the section the address belongs to (a kiosk's page to
    the fleet), else the person's first section (an official has no fleet). Not the
    Referer: central sends none (no-referrer)."""
    segment = request.url.path.removeprefix("/console/").split("/")[0]
    section = "/console/" + SECTION_OF.get(segment, segment)
    for label, href in page.nav:
        if href == section:
            return href, label
    label, href = page.nav[0] if page.nav else (N_("Fleet"), "/console/fleet")
    return href, label


def _quote(target: str) -> str:
    return quote(target, safe="/")


PAGE_ERRORS["/console/"] = error_page


# --- invitations ------------------------------------------------------------------------


def _invitation_page(
    request: Request, token: str, message: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        PageContext(language_of(request)),
        "invitation.html",
        status=status,
        token=token,
        message=message,
    )


@router.get("/console/invitation/{token}")
def invitation_page(token: str, request: Request, db: SessionDep) -> Response:
    found = people.open_invitation(db, token)
    db.commit()
    if found is None:
        return _invitation_page(
            request, "", "This invitation has been used or has expired; ask for a new one.", 410
        )
    return _invitation_page(request, token)


@router.post("/console/invitation/{token}")
def accept_invitation(
    *,
    token: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    db: SessionDep,
) -> Response:
    """The new user's password is set, the link used up, and they are logged in."""
    password = fields.get("password", "")
    if password != fields.get("again", ""):
        return _invitation_page(request, token, "The two passwords differ.", 422)
    try:
        user = people.accept(db, token, password)
    except ApiError as refusal:
        return _invitation_page(request, token, refusal.message, refusal.status)
    session_token, _expires = new_session(db, user.id, settings_of(request))
    db.commit()
    target = "/desk/" if may(user.role, "desk.use") else "/console/fleet"
    return _signed_in(request, target, session_token)
