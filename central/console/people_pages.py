"""People: invite by e-mail, disable and enable, systems' API tokens (shown once), and what
each official serves; and the invitation page where a new user sets their password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central import mail
from central.access import people
from central.access.policy import ROLES, Access
from central.api.deps import settings_of
from central.api.officials import set_profile
from central.api.users import set_disabled
from central.calls import lifecycle, queue
from central.console.render import render
from central.console.viewer import N_, Viewer, form_fields, form_lists, viewer
from central.db.models import Organisation, Service, User
from central.db.types import utcnow
from central.errors import ApiError, forbidden
from central.ptv import service_name
from central.web.links import public_base
from contract.roles import Role

router = APIRouter(include_in_schema=False)
DESK_ROLES = (Role.OFFICIAL, Role.INTERPRETER)


def _roles_for(access: Access) -> list[str]:
    return [r for r in ROLES if r != Role.NATIONAL_ADMIN or access.may("national_admin.manage")]


def _user(access: Access, user_id: str) -> User:
    user = access.own(access.db.get(User, user_id), lambda u: u.org_id or "", "user")
    if user.role == Role.NATIONAL_ADMIN and not access.may("national_admin.manage"):
        raise forbidden("Only a national admin may change a national admin.")
    return user


@router.get("/console/people")
def people_page(request: Request, seen: Viewer = Depends(viewer("user.manage"))) -> Response:
    db = seen.access.db
    users = list(
        db.scalars(select(User).where(seen.access.org_filter(User.org_id)).order_by(User.email))
    )
    orgs = dict(db.execute(select(Organisation.id, Organisation.name)).all())
    tokens = {u.id: people.api_tokens(db, u.id) for u in users if u.role == Role.BOOKING_SYSTEM}
    invited = people.still_invited(db, [u.id for u in users])
    choices = seen.access.choices("orgs")
    db.commit()
    return render(
        request,
        seen.page,
        "people.html",
        users=users,
        orgs=orgs,
        tokens=tokens,
        invited=invited,
        org_choices=choices,
        roles=_roles_for(seen.access),
        token_days=people.API_TOKEN_DAYS,
        done=request.query_params.get("done"),
        me=seen.access.person.user_id,
    )


@router.post("/console/people")
def invite(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("user.manage")),
) -> Response:
    role = fields.get("role", "")
    org_id = None if role == Role.NATIONAL_ADMIN else (fields.get("org") or None)
    user, token = people.invite(seen.access, fields.get("email", ""), role, org_id)
    seen.access.db.commit()
    return _mail_invitation(request, seen, user, token)


def _mail_invitation(request: Request, seen: Viewer, user: User, token: str) -> Response:
    """Mailed where mail works; otherwise the admin gets the link to hand over themselves
    (in the console's own layout), instead of an error page and a user nobody can reach."""
    link = f"{public_base(request)}/console/invitation/{token}"
    text = (
        f"You have been invited to Palvelupiste as {user.role}.\n\n"
        f"Set your password here (the link works once, for 7 days):\n{link}\n"
    )
    settings = settings_of(request)
    try:
        mail.send(settings, user.email, "Invitation to Palvelupiste", text)
    except OSError as exc:
        response = render(
            request,
            seen.page,
            "invitation_link.html",
            user=user,
            link=link,
            mail_set_up=bool(settings.mail_host),
            why=str(exc),
        )
        response.headers["cache-control"] = "no-store"
        return response
    return RedirectResponse(f"/console/people?done=invited:{user.id}", status_code=303)


@router.post("/console/people/{user_id}/invitation")
def invite_again(
    user_id: str,
    request: Request,
    seen: Viewer = Depends(viewer("user.manage")),
) -> Response:
    user = _user(seen.access, user_id)
    token = people.new_invitation(seen.access.db, user, seen.access.person.user_id)
    seen.access.db.commit()
    return _mail_invitation(request, seen, user, token)


DISABLING = N_(
    "Disable this person? They are logged out at once and cannot log in until enabled again."
)
DISABLE = N_("Yes, disable")


@router.post("/console/people/{user_id}/disabled")
def set_user_disabled(
    user_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("user.manage")),
) -> Response:
    user = _user(seen.access, user_id)
    disabled = fields.get("disabled") == "1"
    if disabled and user.id == seen.access.person.user_id:
        raise ApiError(422, "invalid_input", "You cannot disable yourself.")
    if disabled and fields.get("confirmed") != "1":
        # Ends their sessions at once: asked first, naming whom (issue 33).
        return render(
            request,
            seen.page,
            "confirm.html",
            heading=user.email,
            alert=DISABLING,
            items=[],
            fields={"disabled": "1"},
            confirmed=1,
            dangerous=True,
            button=DISABLE,
            target=f"/console/people/{user.id}/disabled",
            back="/console/people",
        )
    set_disabled(seen.access.db, user, disabled)
    seen.access.db.commit()
    state = "disabled" if disabled else "enabled"
    return RedirectResponse(f"/console/people?done={state}:{user.id}", status_code=303)


@router.post("/console/people/{user_id}/tokens")
def new_token_page(
    user_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("user.manage")),
) -> Response:
    user = _user(seen.access, user_id)
    days = int(fields["days"]) if fields.get("days", "").isdigit() else 0
    token, expires_at = people.new_api_token(seen.access.db, user, fields.get("label", ""), days)
    seen.access.db.commit()
    response = render(
        request, seen.page, "api_token.html", user=user, token=token, expires_at=expires_at
    )
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/console/people/{user_id}/tokens/{hash_start}/revoke")
def revoke_token(
    user_id: str, hash_start: str, seen: Viewer = Depends(viewer("user.manage"))
) -> Response:
    user = _user(seen.access, user_id)
    if not people.revoke_api_token(seen.access.db, user.id, hash_start):
        raise ApiError(404, "not_found", "No such token of this user.")
    seen.access.db.commit()
    return RedirectResponse(f"/console/people?done=revoked:{user.id}", status_code=303)


# --- officials --------------------------------------------------------------------------


@router.get("/console/officials")
def officials_page(request: Request, seen: Viewer = Depends(viewer("official.manage"))) -> Response:
    db = seen.access.db
    users = list(
        db.scalars(
            select(User)
            .where(User.role.in_(DESK_ROLES), seen.access.org_filter(User.org_id))
            .order_by(User.email)
        )
    )
    profiles = {u.id: lifecycle.profile_of(db, u.id) for u in users}
    rows = db.execute(select(Service.id, Service.item).where(Service.withdrawn.is_(False)))
    services = {sid: service_name(item, seen.page.language) or sid for sid, item in rows}
    # Now: who is at their desk and what waits, for the organisation's supervisors.
    now = utcnow()
    settings = settings_of(request)
    presence = {u.id: lifecycle.presence_of(db, u.id, settings, now) for u in users}
    org_ids = {u.org_id for u in users if u.org_id} | (
        {seen.access.person.org_id} if seen.access.person.org_id else set()
    )
    waiting = [(org_id, row) for org_id in sorted(org_ids) for row in queue.waiting_now(db, org_id)]
    db.commit()
    return render(
        request,
        seen.page,
        "officials.html",
        users=users,
        profiles=profiles,
        services=sorted(services.items(), key=lambda s: s[1].lower()),
        service_names=services,
        presence=presence,
        waiting=waiting,
        done=request.query_params.get("done"),
    )


@router.post("/console/officials/{user_id}")
def save_official(
    user_id: str,
    fields: dict[str, list[str]] = Depends(form_lists),
    seen: Viewer = Depends(viewer("official.manage")),
) -> Response:
    user = seen.access.own(seen.access.db.get(User, user_id), lambda u: u.org_id or "", "user")
    languages = [c.strip() for c in ",".join(fields.get("languages", [])).split(",") if c.strip()]
    set_profile(seen.access, user, fields.get("service", []), languages)
    seen.access.db.commit()
    return RedirectResponse(f"/console/officials?done={user.id}", status_code=303)
