"""Identification by the citizen's own phone, across devices (the IETF OAuth working
group's advice on cross-device flows): the kiosk shows a QR code whose address is single
use, opens within `OPEN_S` and belongs to that kiosk's call; the phone shows the service
point's name and a short code the kiosk shows too, then goes to the identity provider;
its answer is sealed to that call only (sealed.py), and the kiosk that showed the code
learns "identified: Matti M." when it asks. A second scan, a late one, or another kiosk
asking gets nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from central.db.engine import changed
from central.db.models import Call, PhoneIdentification
from central.errors import ApiError
from central.identity.eid.broker import Broker, Refused
from central.identity.sealed import Person, identity_of, keep
from contract.call_api import OPEN_CALL, IdentificationLevel, IdentificationMethod, PhoneStep

OPEN_S = 120  # the QR's address opens within this
FINISH_S = 600  # then the citizen has this long at the identity provider
DONE_S = OPEN_S + FINISH_S  # after this, nothing can arrive for a QR: retention drops it
CODE_LETTERS = "ACEFHJKLMNPRTUVWXY34679"  # nothing mistaken for another on a small screen
CODE_LENGTH = 4
CODES_PER_CALL = 20  # a kiosk asking for more is broken or worse; rows stay bounded


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new(
    db: Session,
    kiosk_id: str,
    call: Call,
    method: IdentificationMethod,
    now: datetime,
    back: str | None = None,
) -> tuple[PhoneIdentification, str]:
    """A fresh QR for this kiosk's active call; earlier unopened ones of the call expire."""
    if call.status not in OPEN_CALL:
        raise ApiError(409, "call_not_active", "Identification happens in a queued or active call.")
    if call.identification == IdentificationLevel.STRONG:
        raise ApiError(409, "strongly_identified", "The citizen is strongly identified.")
    given = db.scalar(select(func.count()).where(PhoneIdentification.call_id == call.id))
    if (given or 0) >= CODES_PER_CALL:
        raise ApiError(
            409, "too_many_codes", "This call has had enough codes: identify another way."
        )
    db.execute(
        update(PhoneIdentification)
        .where(
            PhoneIdentification.call_id == call.id,
            PhoneIdentification.step == PhoneStep.WAITING,
        )
        .values(step=PhoneStep.EXPIRED)
    )
    token = secrets.token_urlsafe(32)
    row = PhoneIdentification(
        kiosk_id=kiosk_id,
        call_id=call.id,
        method=method,
        token_hash=_hash(token),
        short_code="".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH)),
        step=PhoneStep.WAITING,
        expires_at=now + timedelta(seconds=OPEN_S),
        # On the same device (a visit from home): where the citizen goes back afterwards.
        memo=json.dumps({"back": back} if back else {}),
    )
    db.add(row)
    db.flush()
    return row, token


def _current_step(row: PhoneIdentification, now: datetime) -> PhoneStep:
    if row.step == PhoneStep.WAITING and row.expires_at <= now:
        return PhoneStep.EXPIRED
    if (
        row.step == PhoneStep.OPENED
        and row.opened_at
        and row.opened_at + timedelta(seconds=FINISH_S) <= now
    ):
        return PhoneStep.EXPIRED
    return row.step


def for_kiosk(
    db: Session, secret: bytes, kiosk_id: str, call: Call, handoff_id: str, now: datetime
) -> tuple[PhoneStep, str]:
    """Where the kiosk's own QR is, and the name the kiosk may show once identified."""
    row = db.get(PhoneIdentification, handoff_id)
    if row is None or row.kiosk_id != kiosk_id or row.call_id != call.id:
        raise ApiError(404, "not_found", "No such identification for this kiosk's call.")
    step = _current_step(row, now)
    shown = ""
    if step == PhoneStep.IDENTIFIED:
        found = identity_of(db, secret, call)
        if found:
            shown = Person(found["given_names"], found["surname"]).shown_name
    return step, shown


def waiting(db: Session, token: str, now: datetime) -> PhoneIdentification | None:
    """The QR's handoff while its address may still be opened (the phone's first page)."""
    row = db.query(PhoneIdentification).filter_by(token_hash=_hash(token)).one_or_none()
    if row is None or _current_step(row, now) != PhoneStep.WAITING:
        return None
    return row


def open_at_provider(db: Session, token: str, broker: Broker, now: datetime) -> str:
    """Spends the QR's address (once, in time) and sends the phone to the provider."""
    claimed = changed(
        db,
        update(PhoneIdentification)
        .where(
            PhoneIdentification.token_hash == _hash(token),
            PhoneIdentification.step == PhoneStep.WAITING,
            PhoneIdentification.expires_at > now,
            PhoneIdentification.method == broker.method,
        )
        .values(step=PhoneStep.OPENED, opened_at=now),
    )
    if claimed != 1:
        db.rollback()
        raise ApiError(
            410, "code_spent", "This code is used or has expired: ask the kiosk for a new one."
        )
    row = db.query(PhoneIdentification).filter_by(token_hash=_hash(token)).one()
    begun = broker.begin(row.id, now)
    row.memo = json.dumps({**json.loads(row.memo or "{}"), **begun.memo})
    db.commit()
    return begun.redirect_to


def finish(
    db: Session,
    secret: bytes,
    handoff_id: str,
    answer: Mapping[str, str],
    broker: Broker,
    now: datetime,
) -> Person:
    """The provider's answer for `handoff_id`: taken once; proved, the person is sealed
    to the handoff's call. Raises Refused (the handoff is then refused, for good)."""
    row = db.get(PhoneIdentification, handoff_id)
    if row is None or row.method != broker.method:
        raise Refused("This identification is not known here: start again at the kiosk.")
    claimed = changed(
        db,
        update(PhoneIdentification)
        .where(
            PhoneIdentification.id == handoff_id,
            PhoneIdentification.step == PhoneStep.OPENED,
            PhoneIdentification.finished_at.is_(None),
            PhoneIdentification.opened_at > now - timedelta(seconds=FINISH_S),
        )
        .values(finished_at=now),
    )
    db.commit()
    db.refresh(row)
    if claimed != 1:
        raise Refused("This identification is finished or has expired: start again at the kiosk.")
    call = db.get(Call, row.call_id)
    try:
        if call is None or call.status not in OPEN_CALL:
            raise Refused("The call has ended: nothing was kept.")
        proved = broker.finish(answer, json.loads(row.memo), now)
    except Refused as exc:
        row.step, row.refusal = PhoneStep.REFUSED, str(exc)[:200]
        db.commit()
        raise
    row.step = PhoneStep.IDENTIFIED
    back = json.loads(row.memo or "{}").get("back")
    row.memo = json.dumps({"logout": proved.session} | ({"back": back} if back else {}))
    keep(db, secret, call, broker.method, proved.person, now)
    return proved.person


def logout_session(db: Session, handoff_id: str) -> dict[str, str]:
    """What ending the provider session needs (SAML's transient name id, session index)."""
    row = db.get(PhoneIdentification, handoff_id)
    if row is None or row.step != PhoneStep.IDENTIFIED:
        return {}
    found: dict[str, str] = json.loads(row.memo).get("logout", {})
    return found


def back_of(db: Session, handoff_id: str) -> str:
    """Where a same-device identification returns to ("" for a kiosk's QR): only ever
    a visit's own page, so the address can lead nowhere else."""
    row = db.get(PhoneIdentification, handoff_id)
    back = str(json.loads(row.memo or "{}").get("back") or "") if row else ""
    return back if back.startswith("/visit/") and "//" not in back else ""
