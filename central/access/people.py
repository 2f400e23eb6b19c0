"""People and systems, the one way: who may make whom, invitations by mail, systems' API
tokens. The API (central/api/users.py) and the console both come here."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.access.policy import PERSON_TOKEN_PREFIX, ROLES, Access
from central.access.security import hash_password, new_token, token_hash
from central.db.models import AccessToken, Invitation, User
from central.db.types import utcnow
from central.errors import ApiError, forbidden
from contract.roles import Role

MAX_EMAIL = 320
INVITATION_TTL = timedelta(days=7)
INVITATION_PREFIX = "inv"
API_TOKEN_DAYS = (30, 90, 365)
MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    """One spelling per address; may grow (e.g. 'İ' lowers to two characters)."""
    return email.strip().lower()


def checked_new_user(
    access: Access, email: str, role: str, org_id: str | None
) -> tuple[str, str | None]:
    """(email, organisation) of a user the caller may create, or the refusal."""
    if role not in ROLES:
        raise ApiError(422, "invalid_input", f"role must be one of {', '.join(ROLES)}.")
    if role == Role.NATIONAL_ADMIN:
        if not access.is_national:
            raise forbidden("Only a national admin may create another.")
        if org_id:
            raise ApiError(422, "invalid_input", "A national_admin belongs to no organisation.")
    else:
        org_id = org_id or access.person.org_id
        if org_id is None:
            raise ApiError(422, "invalid_input", f"A {role} needs an org_id.")
        org = access.org(org_id)
        if role == Role.INTERPRETER and not org.interpretation_service:
            raise ApiError(
                422,
                "invalid_input",
                "Interpreters belong to interpretation services: the national admin marks "
                "an organisation as one (PATCH /organisations/{id}).",
            )
    email = normalise_email(email)
    if len(email) > MAX_EMAIL or "@" not in email:
        raise ApiError(422, "invalid_input", "email: give an e-mail address.")
    if access.db.scalar(select(User.id).where(User.email == email)):
        raise ApiError(409, "conflict", "A user with this e-mail address exists already.")
    return email, org_id


def invite(access: Access, email: str, role: str, org_id: str | None) -> tuple[User, str]:
    """A user who cannot log in until they set a password through the mailed link."""
    email, org_id = checked_new_user(access, email, role, org_id)
    user = User(
        email=email,
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=role,
        org_id=org_id,
    )
    access.db.add(user)
    access.db.flush()
    return user, new_invitation(access.db, user, access.person.user_id)


def still_invited(db: Session, user_ids: list[str]) -> set[str]:
    """Who has an invitation out and never accepted one: "invited", not "active"."""
    if not user_ids:
        return set()
    rows = db.execute(
        select(Invitation.user_id, Invitation.used_at).where(Invitation.user_id.in_(user_ids))
    ).all()
    accepted = {user_id for user_id, used_at in rows if used_at is not None}
    return {user_id for user_id, _used in rows} - accepted


def new_invitation(db: Session, user: User, invited_by: str | None) -> str:
    """A fresh link for the user; earlier unused ones stop working."""
    db.execute(
        delete(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    )
    token = new_token(INVITATION_PREFIX)
    db.add(
        Invitation(
            token_hash=token_hash(token),
            user_id=user.id,
            invited_by=invited_by,
            expires_at=utcnow() + INVITATION_TTL,
        )
    )
    return token


def open_invitation(db: Session, token: str) -> tuple[Invitation, User] | None:
    invitation = db.get(Invitation, token_hash(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    user = db.get(User, invitation.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return invitation, user


def accept(db: Session, token: str, password: str) -> User:
    """Set the invited user's password; the link is used up."""
    found = open_invitation(db, token)
    if found is None:
        raise ApiError(
            410, "gone", "This invitation has been used or has expired; ask for a new one."
        )
    if len(password) < MIN_PASSWORD:
        raise ApiError(
            422, "invalid_input", f"The password needs at least {MIN_PASSWORD} characters."
        )
    invitation, user = found
    user.password_hash = hash_password(password[:1024])
    invitation.used_at = utcnow()
    return user


def new_api_token(db: Session, user: User, label: str, days: int) -> tuple[str, datetime]:
    """A system's long-lived token (a booking system's); shown once, only its hash is kept."""
    if user.role != Role.BOOKING_SYSTEM:
        raise ApiError(422, "invalid_input", "API tokens are for systems (booking_system users).")
    if days not in API_TOKEN_DAYS:
        raise ApiError(422, "invalid_input", "Choose how long the token is valid from the list.")
    token = new_token(PERSON_TOKEN_PREFIX)
    expires_at = utcnow() + timedelta(days=days)
    db.add(
        AccessToken(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=expires_at,
            label=(label.strip() or "API token")[:100],
        )
    )
    return token, expires_at


def api_tokens(db: Session, user_id: str) -> list[AccessToken]:
    return list(
        db.scalars(
            select(AccessToken)
            .where(AccessToken.user_id == user_id, AccessToken.label.is_not(None))
            .order_by(AccessToken.created_at)
        )
    )


def revoke_api_token(db: Session, user_id: str, hash_start: str) -> bool:
    """Revoked by the start of its hash (the console never has the token itself)."""
    for token in api_tokens(db, user_id):
        if len(hash_start) >= 12 and token.token_hash.startswith(hash_start):
            db.delete(token)
            return True
    return False
