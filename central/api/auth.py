"""Login for people and systems, with throttling of repeated failures."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlalchemy.orm import Session

from central.api.schemas import errors
from central.db.models import AccessToken, LoginThrottle, User
from central.db.types import utcnow
from central.errors import ApiError
from central.policy import PERSON_TOKEN_PREFIX, get_session
from central.security import new_token, token_hash, verify_password
from central.settings import Settings

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    access_token: str
    role: str
    org_id: str | None
    expires_at: str


def _locked(throttle: LoginThrottle | None) -> int:
    """Seconds the address stays locked, 0 when it may try."""
    if throttle is None or throttle.locked_until is None:
        return 0
    remaining = (throttle.locked_until - utcnow()).total_seconds()
    return max(0, int(remaining + 0.999))


def _record_failure(db: Session, throttle: LoginThrottle | None, email: str, s: Settings) -> None:
    now = utcnow()
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0, last_failure_at=now)
        db.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    over = throttle.failures - s.login_free_failures
    if over >= 0:
        lock = min(s.login_lock_base_s * 2**over, s.login_lock_max_s)
        throttle.locked_until = now + timedelta(seconds=lock)


@router.post(
    "/auth/login",
    response_model=LoginResponse,
    responses=errors(401, 422, 429),
    summary="Log in with e-mail and password",
)
def login(
    body: LoginRequest, request: Request, db: Session = Depends(get_session)
) -> LoginResponse:
    settings: Settings = request.app.state.settings
    email = body.email.strip().lower()
    # Forget throttles of addresses quiet for a day, keeping the table small.
    db.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < utcnow() - timedelta(days=1))
    )
    throttle = db.get(LoginThrottle, email)
    wait = _locked(throttle)
    if wait:
        db.commit()
        raise ApiError(
            429,
            "too_many_attempts",
            f"Too many failed logins for this address; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    user = db.query(User).filter(User.email == email).one_or_none()
    if not verify_password(user.password_hash if user else None, body.password) or user is None:
        _record_failure(db, throttle, email, settings)
        db.commit()
        raise ApiError(401, "invalid_credentials", "The e-mail address or password is wrong.")
    if throttle is not None:
        db.delete(throttle)
    token = new_token(PERSON_TOKEN_PREFIX)
    expires_at = utcnow() + timedelta(seconds=settings.access_token_ttl_s)
    db.execute(delete(AccessToken).where(AccessToken.expires_at < utcnow()))
    db.add(AccessToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires_at))
    db.commit()
    return LoginResponse(
        access_token=token, role=user.role, org_id=user.org_id, expires_at=expires_at.isoformat()
    )
