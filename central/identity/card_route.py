"""The ID card route at central: a fresh challenge for the kiosk's call, then the card's
certificate and signature checked (`fineid.verify`) and the identity sealed to the call.

A challenge is single use, lives `CHALLENGE_S`, and belongs to the kiosk and call that
asked: a proof for it from anywhere else, a second time, or too late gets the same
refusal, which tells nothing of why.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from sqlalchemy import update
from sqlalchemy.orm import Session

from central.db.engine import changed
from central.db.models import Call, IdentityChallenge
from central.errors import ApiError
from central.identity.fineid import CardIdentity, CardRefused, verify
from central.identity.revocation import Revocation
from central.identity.sealed import Person, keep
from central.settings import Settings
from contract.call_api import OPEN_CALL, IdentificationMethod

CHALLENGE_S = 120
CHALLENGE_BYTES = 32


@functools.cache
def _certificates(path: str, modified: float) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def certificates(path: str) -> list[x509.Certificate]:
    """A PEM bundle's certificates, read again when the file changes."""
    if not path:
        return []
    try:
        return list(_certificates(path, Path(path).stat().st_mtime))
    except (OSError, ValueError) as exc:
        raise ApiError(
            503, "identification_unavailable", f"The ID card's trust anchors cannot be read: {exc}"
        ) from exc


def new_challenge(db: Session, kiosk_id: str, call: Call, now: datetime) -> IdentityChallenge:
    if call.status not in OPEN_CALL:
        raise ApiError(409, "call_not_active", "Identification happens in a queued or active call.")
    challenge = IdentityChallenge(
        kiosk_id=kiosk_id,
        call_id=call.id,
        challenge=os.urandom(CHALLENGE_BYTES),
        expires_at=now + timedelta(seconds=CHALLENGE_S),
    )
    db.add(challenge)
    db.flush()
    return challenge


def _claim(
    db: Session, kiosk_id: str, call: Call, challenge_id: str, now: datetime
) -> IdentityChallenge:
    claimed = changed(
        db,
        update(IdentityChallenge)
        .where(
            IdentityChallenge.id == challenge_id,
            IdentityChallenge.kiosk_id == kiosk_id,
            IdentityChallenge.call_id == call.id,
            IdentityChallenge.used_at.is_(None),
            IdentityChallenge.expires_at > now,
        )
        .values(used_at=now),
    )
    found = db.get(IdentityChallenge, challenge_id) if claimed == 1 else None
    if found is None:
        raise ApiError(
            409,
            "challenge_spent",
            "This challenge is used, expired or not this kiosk's: ask for a new one.",
        )
    return found


def prove(
    db: Session,
    settings: Settings,
    secret: bytes,
    kiosk_id: str,
    call: Call,
    challenge_id: str,
    certificate: bytes,
    signature: bytes,
    now: datetime,
) -> CardIdentity:
    """The card's identity, sealed to the call, which is now strongly identified."""
    anchors = certificates(settings.fineid_trust_anchors)
    if not anchors:
        raise ApiError(503, "identification_unavailable", "Central is not set up for ID cards.")
    challenge = _claim(db, kiosk_id, call, challenge_id, now)
    db.commit()  # spent even if what follows fails: a challenge is tried once
    try:
        identity = verify(
            certificate,
            signature,
            challenge.challenge,
            anchors,
            certificates(settings.fineid_ca_certificates),
            Revocation(
                ocsp_url=settings.fineid_ocsp_url or None,
                timeout_s=settings.fineid_check_timeout_s,
                now=now,
            ),
            now,
        )
    except CardRefused as exc:
        raise ApiError(422, "card_refused", str(exc)) from exc
    keep(
        db,
        secret,
        call,
        IdentificationMethod.FINEID,
        Person(identity.given_names, identity.surname, satu=identity.satu),
        now,
    )
    return identity
