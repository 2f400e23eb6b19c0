"""The links in appointment mails: a booking's id with an HMAC under central's secret,
one purpose each (prove the e-mail address, manage the booking). Nothing is stored for
them; a link of one purpose never works for the other."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from central.db.models import Booking

PROVE = "prove"  # the mail that proves the address: confirms a held booking
MANAGE = "manage"  # see, cancel or change the booking


def token_for(secret: bytes, purpose: str, booking_id: str) -> str:
    mac = hmac.new(secret, f"appointment-{purpose}:{booking_id}".encode(), hashlib.sha256)
    tag = base64.urlsafe_b64encode(mac.digest()[:18]).decode()
    return f"{booking_id}.{tag}"


def booking_for(db: Session, secret: bytes, purpose: str, token: str) -> Booking | None:
    """The booking a link names, or None for a link that is not central's (any change to
    it, or a link of another purpose)."""
    booking_id, _, _tag = token.partition(".")
    if not booking_id or len(token) > 200:
        return None
    if not hmac.compare_digest(token_for(secret, purpose, booking_id), token):
        return None
    return db.get(Booking, booking_id)
