"""Admins say what each official serves (services and languages) and which languages each
interpreter interprets; the desk uses them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.access.policy import Access, allowed
from central.api.deps import settings_of
from central.api.schemas import errors
from central.calls import lifecycle
from central.db.models import Service, User
from central.db.types import utcnow
from central.errors import ApiError, not_found
from contract.roles import Role

router = APIRouter(tags=["officials"])

DESK_ROLES = (Role.OFFICIAL, Role.INTERPRETER)

ServiceId = Annotated[str, Field(min_length=1, max_length=64)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class OfficialIn(BaseModel):
    services: list[ServiceId] = Field(max_length=500)
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)


class OfficialOut(BaseModel):
    user_id: str
    email: str
    role: str
    org_id: str | None
    services: list[str]
    languages: list[str]
    presence: str


class OfficialList(BaseModel):
    items: list[OfficialOut]


def _out(access: Access, user: User, request: Request) -> OfficialOut:
    profile = lifecycle.profile_of(access.db, user.id)
    return OfficialOut(
        user_id=user.id,
        email=user.email,
        role=user.role,
        org_id=user.org_id,
        services=list(profile.services or []),
        languages=list(profile.languages or []),
        presence=lifecycle.presence_of(access.db, user.id, settings_of(request), utcnow()),
    )


@router.get("/officials", response_model=OfficialList, responses=errors(401, 403))
def list_officials(
    request: Request, access: Access = Depends(allowed("official.manage"))
) -> OfficialList:
    users = access.db.scalars(
        select(User)
        .where(User.role.in_(DESK_ROLES), access.org_filter(User.org_id))
        .order_by(User.email)
    )
    items = [_out(access, user, request) for user in users]
    access.db.commit()
    return OfficialList(items=items)


def set_profile(access: Access, user: User, services: list[str], languages: list[str]) -> None:
    """What an official serves and speaks (an interpreter: interprets); the caller commits."""
    if user.role not in DESK_ROLES:
        raise ApiError(422, "invalid_input", "This user is not an official or an interpreter.")
    if user.role == Role.INTERPRETER and services:
        raise ApiError(422, "invalid_input", "Interpreters serve no services: send [].")
    unknown = [s for s in services if access.db.get(Service, s) is None]
    if unknown:
        raise not_found(f"service ({', '.join(unknown[:5])})")
    if not languages or any(len(code) != 2 or not code.isalpha() for code in languages):
        raise ApiError(422, "invalid_input", "Give at least one language as a two-letter code.")
    profile = lifecycle.profile_of(access.db, user.id)
    profile.services = sorted(set(services))
    profile.languages = sorted({code.lower() for code in languages})


@router.put(
    "/officials/{user_id}", response_model=OfficialOut, responses=errors(401, 403, 404, 422)
)
def put_official(
    user_id: str,
    body: OfficialIn,
    request: Request,
    access: Access = Depends(allowed("official.manage")),
) -> OfficialOut:
    """Set the services an official serves and the languages they speak; for an
    interpreter, the languages they interpret (no services)."""
    user = access.own(access.db.get(User, user_id), lambda u: u.org_id or "", "user")
    set_profile(access, user, body.services, body.languages)
    access.db.commit()
    return _out(access, user, request)
