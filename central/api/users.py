"""People and systems, managed by admins: list, create, disable, reset a password.

Users are never deleted: their id is in commands and tokens they made, and
the history must keep saying who did what. `DELETE` disables instead, and
a disabled user's tokens stop working at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.access import people
from central.access.policy import Access, allowed
from central.access.security import hash_password
from central.api.auth import MAX_EMAIL
from central.api.schemas import errors
from central.db.models import AccessToken, User
from central.db.types import utcnow
from central.errors import ApiError, forbidden
from contract.roles import Role

router = APIRouter(tags=["users"])


class UserOut(BaseModel):
    id: str
    email: str
    role: str
    org_id: str | None
    disabled: bool


class UserList(BaseModel):
    items: list[UserOut]


class UserIn(BaseModel):
    email: str = Field(min_length=3, max_length=MAX_EMAIL)
    role: Role
    org_id: str | None = Field(default=None, max_length=64)
    password: str = Field(min_length=10, max_length=1024)


class UserPatch(BaseModel):
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role,
        org_id=user.org_id,
        disabled=user.disabled_at is not None,
    )


def _user(access: Access, user_id: str) -> User:
    return access.own(access.db.get(User, user_id), lambda u: u.org_id or "", "user")


def set_disabled(db: Session, user: User, disabled: bool) -> None:
    """Disabling ends every token of the user at once; enabling lets them log in again."""
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        db.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
    elif not disabled:
        user.disabled_at = None


@router.get("/users", response_model=UserList, responses=errors(401, 403))
def list_users(access: Access = Depends(allowed("user.manage"))) -> UserList:
    rows = access.db.scalars(
        select(User).where(access.org_filter(User.org_id)).order_by(User.email)
    )
    return UserList(items=[user_out(u) for u in rows])


@router.post(
    "/users", status_code=201, response_model=UserOut, responses=errors(401, 403, 409, 422)
)
def create_user(body: UserIn, access: Access = Depends(allowed("user.manage"))) -> UserOut:
    email, org_id = people.checked_new_user(access, body.email, body.role, body.org_id)
    user = User(
        email=email, password_hash=hash_password(body.password), role=body.role, org_id=org_id
    )
    access.db.add(user)
    access.db.commit()
    return user_out(user)


@router.patch("/users/{user_id}", response_model=UserOut, responses=errors(401, 403, 404, 422))
def patch_user(
    user_id: str, body: UserPatch, access: Access = Depends(allowed("user.manage"))
) -> UserOut:
    """Disable or enable a user, or set a new password (which ends their sessions)."""
    user = _user(access, user_id)
    if user.role == Role.NATIONAL_ADMIN and not access.may("national_admin.manage"):
        raise forbidden("Only a national admin may change a national admin.")
    if body.disabled is not None:
        if user.id == access.person.user_id and body.disabled:
            raise ApiError(422, "invalid_input", "You cannot disable yourself.")
        set_disabled(access.db, user, body.disabled)
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        access.db.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
    access.db.commit()
    return user_out(user)


@router.delete("/users/{user_id}", response_model=UserOut, responses=errors(401, 403, 404, 422))
def disable_user(user_id: str, access: Access = Depends(allowed("user.manage"))) -> UserOut:
    """'Delete' keeps the history: the user is disabled, not removed."""
    return patch_user(user_id, UserPatch(disabled=True), access)
