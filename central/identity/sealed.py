"""A call's proved identity, kept one way for every route (ID card, Suomi.fi, FTN):
sealed with central's key and the call's id, so a row copied to another call does not
open; the call then records the level and method, never who."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from central.calls.documents import seal, unseal
from central.db.models import Call, CallIdentity
from contract.call_api import IdentificationLevel, IdentificationMethod


@dataclass(frozen=True)
class Person:
    """Who a route proved: a name and the identifier it carries (the personal identity
    code from Suomi.fi and FTN, the electronic identification number from an ID card)."""

    given_names: str
    surname: str
    hetu: str = ""
    satu: str = ""

    @property
    def shown_name(self) -> str:
        """What the kiosk may show: "Matti M." (first given name, surname's initial)."""
        first = self.given_names.split()[0] if self.given_names else ""
        return f"{first} {self.surname[:1]}.".strip()


def keep(
    db: Session,
    secret: bytes,
    call: Call,
    method: IdentificationMethod,
    person: Person,
    now: datetime,
) -> None:
    """Seals the person to the call, which is now strongly identified (committed)."""
    found = {"given_names": person.given_names, "surname": person.surname, "at": now.isoformat()}
    if person.hetu:
        found["hetu"] = person.hetu
    if person.satu:
        found["satu"] = person.satu
    sealed = seal(secret, call.id, json.dumps(found).encode())
    existing = db.get(CallIdentity, call.id)
    if existing is None:
        db.add(CallIdentity(call_id=call.id, method=method, sealed=sealed, created_at=now))
    else:
        existing.method, existing.sealed, existing.created_at = method, sealed, now
    call.identification = IdentificationLevel.STRONG
    call.identification_method = method
    call.identification_requested = None
    db.commit()


def identity_of(db: Session, secret: bytes, call: Call) -> dict[str, str] | None:
    """The call's identity, opened for its official (the caller audits the view)."""
    row = db.get(CallIdentity, call.id)
    if row is None:
        return None
    found: dict[str, str] = json.loads(unseal(secret, call.id, row.sealed))
    return {**found, "method": row.method.value}
