"""Who may do what: authentication, roles and tenancy, in one place.

Every endpoint declares the action it performs; the dependency here checks
the caller's role for that action and hands back an `Access` whose loaders
are the only way endpoints fetch organisation-owned rows. A loader refuses
a row of another organisation, so no endpoint has to remember to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, bindparam, select, true
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central.access.browser_session import request_token
from central.access.security import token_hash
from central.db.models import AccessToken, Booking, Command, Kiosk, Organisation, Site, User
from central.errors import ApiError, forbidden, not_found
from contract.roles import Role

ROLES = tuple(Role)

NATIONAL = frozenset({Role.NATIONAL_ADMIN})
ADMINS = frozenset({Role.NATIONAL_ADMIN, Role.ORG_ADMIN})
FLEET = frozenset({Role.NATIONAL_ADMIN, Role.ORG_ADMIN, Role.TECHNICIAN})

# action -> roles allowed to perform it (within their own organisation,
# except national_admin who spans all).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "organisation.create": NATIONAL,
    "site.create": ADMINS,
    "enrolment_token.create": FLEET,
    "kiosk.read": FLEET,
    "kiosk.retire": ADMINS,
    "kiosk.manage": ADMINS,
    "deployment.manage": ADMINS,
    "deployment.read": FLEET,
    "user.manage": ADMINS,
    "login_lock.clear": ADMINS,
    "retention.write": ADMINS,
    "command.create": FLEET,
    "command.read": FLEET,
    "catalogue.import": NATIONAL,
    "catalogue.sync": NATIONAL,
    # Every site's overlay is the national admin's; one site's, that site's admins'.
    "catalogue.overlay": ADMINS,
    "site.catalogue.write": ADMINS,
    "site.config.write": ADMINS,
    "booking.write": frozenset({Role.NATIONAL_ADMIN, Role.ORG_ADMIN, Role.BOOKING_SYSTEM}),
    "booking.read": ADMINS,  # the console's list of a day's bookings
    "stats.read": ADMINS,
    "official.manage": ADMINS,
    "audit.read": ADMINS,
    "alert.read": FLEET,
    "alert.handle": FLEET,  # acknowledge or silence an alert of their own organisation
    "alerting.manage": ADMINS,
    "desk.use": frozenset({Role.OFFICIAL, Role.INTERPRETER}),
    # Video appointment calendars and absences: an admin's for their organisation's
    # officials, an official's for their own (central/api/appointments.py).
    "calendar.manage": frozenset({Role.NATIONAL_ADMIN, Role.ORG_ADMIN, Role.OFFICIAL}),
    # Beyond "command.create": the commands that change a kiosk's service (restart,
    # reboot, maintenance, update); a technician sends TECHNICIAN_COMMANDS only.
    "command.any": ADMINS,
    # Agreements the caller's organisation is a party to (central/agreements/).
    "agreement.manage": ADMINS,
    "agreement.read": ADMINS,
    # Payments (central/payments/): an organisation's merchant account, a site's prices,
    # refunds; reading the payments made to the organisation or at its sites.
    "payment.manage": ADMINS,
    "payment.read": ADMINS,
    # The national directory of organisations any official may invite an expert from.
    "expert_directory.manage": NATIONAL,
    # A national admin's own account (disable it, set its password, create one).
    "national_admin.manage": NATIONAL,
}


def may(role: str, action: str) -> bool:
    """The one answer to "may this role do this": routes (through `allowed`), pages
    deciding what to offer, and the rules below all ask here."""
    return role in PERMISSIONS[action]


def may_send(role: str, command_type: str) -> bool:
    """A command of this type, from someone of this role."""
    return may(role, "command.any") or (
        may(role, "command.create") and command_type in TECHNICIAN_COMMANDS
    )


# Commands a technician may send; the rest change a kiosk's service and need an admin.
TECHNICIAN_COMMANDS = frozenset({"self_test", "print_test_page", "screenshot", "sync_now"})

DEVICE_TOKEN_PREFIX = "dev"
PERSON_TOKEN_PREFIX = "usr"


@dataclass(frozen=True)
class Person:
    user_id: str
    role: str
    org_id: str | None


@dataclass(frozen=True)
class Device:
    kiosk_id: str
    site_id: str
    org_id: str
    # None for tokens given before tokens expired (migration 0003): rotate at once.
    token_expires_at: datetime | None = None


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request.

    Opening a session does no I/O, so this runs on the event loop and saves a
    thread hop per request; only a session left mid-transaction (an error, or
    a read without commit) is rolled back in the thread pool.
    """
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction() and session.get_bind().dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            # SQLite rolls back locally in microseconds, and must not wait for
            # a pool thread: it may hold the process's SQLite lock (engine.py).
            session.close()


def unauthorized(code: str, message: str) -> ApiError:
    """A 401 that tells the client which scheme to use, as HTTP asks."""
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def missing_token() -> ApiError:
    return unauthorized(
        "unauthorized", "Send 'Authorization: Bearer <token>'; log in to get a token."
    )


def bearer_token(request: Request) -> str:
    """The caller's token: the bearer header, or on console pages the session cookie."""
    token = request_token(request.url.path, dict(request.headers.raw))
    if token is None:
        raise missing_token()
    return token


def _unknown_token() -> ApiError:
    return unauthorized("unauthorized", "The token is unknown or has expired; log in again.")


M = TypeVar("M")


class Access:
    """A person's view of the data: loaders that enforce the organisation boundary."""

    def __init__(self, person: Person, db: Session) -> None:
        self.person = person
        self.db = db

    @property
    def is_national(self) -> bool:
        return self.person.role == Role.NATIONAL_ADMIN

    def may(self, action: str) -> bool:
        return may(self.person.role, action)

    def may_touch_org(self, org_id: str) -> bool:
        return self.is_national or self.person.org_id == org_id

    def own(self, row: M | None, org_id: Callable[[M], str], what: str) -> M:
        if row is None:
            raise not_found(what)
        if not self.may_touch_org(org_id(row)):
            raise forbidden(f"This {what} belongs to another organisation.")
        return row

    def org(self, org_id: str) -> Organisation:
        return self.own(self.db.get(Organisation, org_id), lambda o: o.id, "organisation")

    def site(self, site_id: str) -> Site:
        return self.own(self.db.get(Site, site_id), lambda s: s.org_id, "site")

    def kiosk(self, kiosk_id: str) -> Kiosk:
        return self.own(self.db.get(Kiosk, kiosk_id), lambda k: k.org_id, "kiosk")

    def booking(self, booking_id: str) -> Booking:
        return self.own(self.db.get(Booking, booking_id), lambda b: b.org_id, "booking")

    def command(self, kiosk: Kiosk, command_id: str) -> Command:
        command = self.db.get(Command, command_id)
        if command is None or command.kiosk_id != kiosk.id:
            raise not_found("command")
        return command

    def choices(self, kind: str) -> list[tuple[str, str]]:
        """(id, name) of the organisations, sites or kiosks the caller may see, by name: what
        a form offers to choose from."""
        model: Any
        model, org_column = {
            "orgs": (Organisation, Organisation.id),
            "sites": (Site, Site.org_id),
            "kiosks": (Kiosk, Kiosk.org_id),
        }[kind]
        rows = self.db.execute(
            select(model.id, model.name).where(self.org_filter(org_column)).order_by(model.name)
        )
        return [(str(i), str(n)) for i, n in rows.all()]

    def org_filter(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause limiting a listing to what the caller may see."""
        return true() if self.is_national else column == self.person.org_id


def authenticate_person(request: Request, db: Session) -> Person:
    token = bearer_token(request)
    if token.startswith(DEVICE_TOKEN_PREFIX + "_"):
        raise forbidden("A kiosk's device token only works on /api/v1/kiosk/*.")
    return authenticate_token(db, token)


def authenticate_token(db: Session, token: str) -> Person:
    """The person a bearer token belongs to, or 401; ends the read transaction."""
    row = person_for_token(db, token)
    db.commit()  # end the read: no transaction may span two thread-pool hops
    if row is None:
        raise _unknown_token()
    return row


def person_for_token(db: Session, token: str) -> Person | None:
    """The person a live token belongs to; disabled users' tokens are dead too."""
    # The whole user, not its columns, held by the session (whose identity map holds
    # objects only weakly): an endpoint's own `db.get(User, …)` of the caller then costs
    # no second statement.
    row = db.execute(
        select(User, AccessToken.expires_at)
        .join(AccessToken, AccessToken.user_id == User.id)
        .where(AccessToken.token_hash == token_hash(token))
    ).first()
    if row is None or row.expires_at <= datetime.now(UTC) or row.User.disabled_at is not None:
        return None
    db.info["caller"] = row.User
    return Person(user_id=row.User.id, role=row.User.role, org_id=row.User.org_id)


def allowed(action: str) -> Callable[..., Access]:
    """Dependency: the caller is a person whose role may perform `action`."""
    if action not in PERMISSIONS:
        raise KeyError(f"no permission named {action}")  # a typo fails at import, not later

    def dependency(request: Request, db: Session = Depends(get_session)) -> Access:
        person = authenticate_person(request, db)
        if not may(person.role, action):
            raise forbidden(f"Your role ({person.role}) may not do this.")
        return Access(person, db)

    dependency.__name__ = f"allowed_{action.replace('.', '_')}"
    return dependency


def signed_in(request: Request, db: Session = Depends(get_session)) -> Access:
    """Dependency: any person or system with a live token (their own account's actions)."""
    return Access(authenticate_person(request, db), db)


async def device_token(request: Request) -> str:
    """Dependency: the bearer token of a kiosk request, checked for shape only.

    Async because it does no I/O: a sync dependency would cost a thread hop.
    """
    return _device_token_of(request)


def _device_token_of(request: Request) -> str:
    token = bearer_token(request)
    if not token.startswith(DEVICE_TOKEN_PREFIX + "_"):
        raise forbidden("Only a kiosk's device token works on /api/v1/kiosk/*.")
    return token


def authenticate_device(request: Request, db: Session = Depends(get_session)) -> Device:
    """Dependency for /api/v1/kiosk/*: only a kiosk's own device token gets in."""
    return device_for_token(db, _device_token_of(request))


_KIOSK_BY_TOKEN = select(
    Kiosk.id,
    Kiosk.site_id,
    Kiosk.org_id,
    Kiosk.device_token_expires_at,
    Kiosk.retired_at,
    Kiosk.device_token_hash,
    Kiosk.previous_token_until,
).where(
    (Kiosk.device_token_hash == bindparam("token_hash"))
    | (Kiosk.previous_token_hash == bindparam("token_hash"))
)


def device_for_token(db: Session, token: str, end_read: bool = True) -> Device:
    """The kiosk a device token belongs to; the one place device tokens are verified.

    `end_read` ends the read transaction, as a dependency must: no transaction
    may span two thread-pool hops (see db/engine.py on SQLite).
    """
    hashed = token_hash(token)
    row = db.connection().execute(_KIOSK_BY_TOKEN, {"token_hash": hashed}).first()
    if end_read:
        db.commit()
    if row is None or row.retired_at is not None:
        raise _unknown_token()
    if row.device_token_hash != hashed:  # the token a rotation replaced
        until = row.previous_token_until
        if until is None or until <= datetime.now(UTC):
            raise _unknown_token()
    expires_at = row.device_token_expires_at
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise unauthorized(
            "token_expired", "This kiosk's device token has expired; enrol the kiosk again."
        )
    return Device(row.id, row.site_id, row.org_id, expires_at)
