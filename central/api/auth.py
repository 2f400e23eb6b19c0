"""Login, logout and passwords for people and systems, with throttling of guesses.

A password check (argon2, ~150 ms) never runs inside a database transaction:
on SQLite a transaction holds the process's write lock, and a login flood
would stall every kiosk's heartbeat behind it. At most
`password_checks_at_once` run at a time; the rest wait briefly, then get 429.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.access import login_throttle, people
from central.access.policy import (
    PERSON_TOKEN_PREFIX,
    Access,
    allowed,
    bearer_token,
    signed_in,
)
from central.access.security import hash_password, new_token, token_hash, verify_password
from central.api.deps import SessionDep, password_checkers_of, settings_of
from central.api.schemas import Done, errors
from central.db.models import AccessToken, User
from central.db.types import utcnow
from central.errors import ApiError
from central.settings import Settings

router = APIRouter(tags=["auth"])

MAX_EMAIL = 320
# How long a login waits for a free password checker before it is told to come back.
CHECKER_WAIT_S = 5.0


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=MAX_EMAIL)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    access_token: str
    role: str
    org_id: str | None
    expires_at: str


normalise_email = people.normalise_email


def client_address(request: Request) -> str:
    """The caller's address; behind a reverse proxy uvicorn's --proxy-headers sets it."""
    return request.client.host if request.client else "unknown"


def password_checkers(request: Request) -> threading.BoundedSemaphore:
    return password_checkers_of(request)


def _too_many(wait: int, message: str) -> ApiError:
    return ApiError(429, "too_many_attempts", message, headers={"Retry-After": str(wait)})


def _check_password(request: Request, password_hash: str | None, password: str) -> bool:
    checkers = password_checkers(request)
    if not checkers.acquire(timeout=CHECKER_WAIT_S):
        raise _too_many(1, "Central is checking many passwords right now; try again shortly.")
    try:
        return verify_password(password_hash, password)
    finally:
        checkers.release()


@router.post(
    "/auth/login",
    response_model=LoginResponse,
    responses=errors(401, 422, 429),
    summary="Log in with e-mail and password",
)
def login(
    body: LoginRequest, request: Request, response: Response, db: SessionDep
) -> LoginResponse:
    response.headers["Cache-Control"] = "no-store"
    settings: Settings = settings_of(request)
    email = normalise_email(body.email)[:MAX_EMAIL]
    keys = login_throttle.keys_for(email, client_address(request), settings)
    wait = login_throttle.reserve_attempt(db, keys, settings)
    user = None if wait else db.scalar(select(User).where(User.email == email))
    db.commit()  # the counts are in before the slow check; no transaction spans it
    if wait:
        raise _too_many(wait, f"Too many failed logins; try again in {wait} s.")
    if not _check_password(request, user.password_hash if user else None, body.password):
        login_throttle.record_failure(db, keys, settings)
        db.commit()
        raise ApiError(401, "invalid_credentials", "The e-mail address or password is wrong.")
    assert user is not None
    login_throttle.forgive_attempt(db, keys)
    if user.disabled_at is not None:
        db.commit()
        raise ApiError(401, "account_disabled", "This account is disabled; ask an admin.")
    token, expires_at = new_session(db, user.id, settings)
    db.commit()
    return LoginResponse(
        access_token=token, role=user.role, org_id=user.org_id, expires_at=expires_at.isoformat()
    )


def new_session(db: Session, user_id: str, settings: Settings) -> tuple[str, datetime]:
    """A person's access token (login, or a console invitation just accepted); expired
    tokens are swept at the same time. The caller commits."""
    token = new_token(PERSON_TOKEN_PREFIX)
    expires_at = utcnow() + timedelta(seconds=settings.access_token_ttl_s)
    db.execute(delete(AccessToken).where(AccessToken.expires_at < utcnow()))
    db.add(AccessToken(token_hash=token_hash(token), user_id=user_id, expires_at=expires_at))
    return token, expires_at


@router.post("/auth/logout", response_model=Done, responses=errors(401, 403))
def logout(request: Request, access: Access = Depends(signed_in)) -> Done:
    """End this token at once; other sessions of the same person stay."""
    access.db.execute(
        delete(AccessToken).where(AccessToken.token_hash == token_hash(bearer_token(request)))
    )
    access.db.commit()
    return Done(status="logged_out")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)


@router.post("/auth/password", response_model=Done, responses=errors(401, 403, 422, 429))
def change_password(
    body: PasswordChange, request: Request, access: Access = Depends(signed_in)
) -> Done:
    """Change one's own password; every other token of this person stops working.

    Guesses of the current password count as failed logins of the account (the same
    throttle): a stolen token must not become a way to find the password."""
    settings: Settings = settings_of(request)
    user = access.db.get(User, access.person.user_id)
    assert user is not None
    keys = login_throttle.keys_for(user.email, client_address(request), settings)
    wait = login_throttle.reserve_attempt(access.db, keys, settings)
    access.db.commit()  # the count is in before the slow check
    if wait:
        raise _too_many(wait, f"Too many wrong passwords; try again in {wait} s.")
    if not _check_password(request, user.password_hash, body.current_password):
        login_throttle.record_failure(access.db, keys, settings)
        access.db.commit()
        raise ApiError(401, "invalid_credentials", "The current password is wrong.")
    login_throttle.forgive_attempt(access.db, keys)
    user.password_hash = hash_password(body.new_password)
    current = token_hash(bearer_token(request))
    access.db.execute(
        delete(AccessToken).where(AccessToken.user_id == user.id, AccessToken.token_hash != current)
    )
    access.db.commit()
    return Done(status="password_changed")


@router.delete("/auth/login-locks", responses=errors(401, 403, 404, 422))
def clear_login_locks(
    email: str | None = Query(default=None, max_length=MAX_EMAIL),
    address: str | None = Query(default=None, max_length=64),
    access: Access = Depends(allowed("login_lock.clear")),
) -> dict[str, int]:
    """Let a locked-out person in again: by account, by address, or both (national: any)."""
    if not email and not address:
        raise ApiError(422, "invalid_input", "Name an email, an address, or both.")
    if email:
        email = normalise_email(email)
        user = access.db.scalar(select(User).where(User.email == email))
        if user is None:
            raise ApiError(404, "not_found", "No user with that e-mail address exists.")
        access.own(user, lambda u: u.org_id or "", "user")
    if address and not access.is_national:
        raise ApiError(403, "forbidden", "Only a national admin may clear an address's lock.")
    removed = login_throttle.clear(access.db, email, address)
    access.db.commit()
    return {"cleared": removed}
