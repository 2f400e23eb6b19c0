"""Who is looking at a console page: the API's own policy, read from the session cookie."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.browser_session import SESSION_COOKIE
from central.access.policy import Access, Person, allowed, authenticate_person, may
from central.api.deps import SessionDep
from central.console.i18n import pick_language
from central.console.render import PageContext
from central.db.engine import session_scope
from central.db.models import User
from central.errors import ApiError

LANGUAGE_COOKIE = "pp_console_lang"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translated where shown"
    return message


# The console's sections, each shown only to roles the API lets do its action.
SECTIONS: list[tuple[str, str, str]] = [
    (N_("Fleet"), "/console/fleet", "kiosk.read"),
    (N_("Alerts"), "/console/alerts", "alert.read"),
    (N_("Sites"), "/console/sites", "kiosk.read"),
    (N_("Map"), "/console/map", "kiosk.read"),
    (N_("Catalogue"), "/console/catalogue", "kiosk.read"),
    (N_("Deployments"), "/console/deployments", "deployment.read"),
    (N_("People"), "/console/people", "user.manage"),
    (N_("Officials"), "/console/officials", "official.manage"),
    (N_("Bookings"), "/console/bookings", "booking.read"),
    (N_("Appointments"), "/console/appointments", "calendar.manage"),
    (N_("Payments"), "/console/payments", "payment.read"),
    (N_("Agreements"), "/console/agreements", "agreement.read"),
    (N_("Usage reports"), "/console/reports", "stats.read"),
    (N_("Audit log"), "/console/audit", "audit.read"),
    (N_("Organisations"), "/console/organisations", "organisation.create"),
]
# Role names and the login's refusals, as the templates translate them.
WORDS = (
    N_("national_admin"),
    N_("org_admin"),
    N_("technician"),
    N_("official"),
    N_("interpreter"),
    N_("booking_system"),
    N_("The e-mail address or password is wrong."),
    N_("This account is disabled; ask an admin."),
    N_("The form has expired; try again."),
    N_("Give your e-mail address and password."),
    # Deployments' states and phases (central/updates/deployments.py), as the pages show them.
    N_("running"),
    N_("paused"),
    N_("cancelled"),
    N_("completed"),
    N_("canary"),
    N_("10 %"),
    N_("all"),
    N_("pending"),
    N_("downloading"),
    N_("installed"),
    N_("switching"),
    N_("committed"),
    N_("rolled_back"),
    N_("failed"),
)


@dataclass
class Viewer:
    access: Access
    page: PageContext


def language_of(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language", ""),
    )


def sections_for(role: str) -> list[tuple[str, str]]:
    return [(label, href) for label, href, action in SECTIONS if may(role, action)]


def page_for(request: Request, db: Session, person: Person) -> PageContext:
    """The page's frame for a signed-in person: their name, role and sections."""
    email = db.scalar(select(User.email).where(User.id == person.user_id))
    db.commit()
    return PageContext(
        language=language_of(request),
        role=person.role,
        email=email,
        session_token=request.cookies.get(SESSION_COOKIE),
        nav=sections_for(person.role),
    )


def page_of_anyone(request: Request) -> PageContext:
    """The frame for a page anyone may reach (an error): the signed-in person's, where
    the request has a live session, so an error keeps the console's own sections."""
    try:
        with session_scope(request.app.state.sessions) as db:
            return page_for(request, db, authenticate_person(request, db))
    except ApiError:
        return PageContext(language_of(request))


def viewer(action: str) -> Callable[..., Viewer]:
    """Dependency: a person whose role may do `action` (else 401 → login page, or 403)."""
    check = allowed(action)

    def dependency(request: Request, db: SessionDep) -> Viewer:
        access = check(request, db)
        return Viewer(access, page_for(request, db, access.person))

    dependency.__name__ = f"console_{action.replace('.', '_')}"
    return dependency


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); the guard has read the body."""
    body = await request.body()
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """An urlencoded form's fields with every value (checkbox groups)."""
    body = await request.body()
    return parse_qs(body.decode("utf-8", "replace"))
