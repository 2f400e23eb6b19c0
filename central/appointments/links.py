"""Links that are their own credential: an id (a booking's, or for a calendar feed an
official's) with an HMAC under central's secret, one purpose each (prove the e-mail
address, manage the booking, read the feed). Nothing is stored for them; a link of one
purpose never works for another."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from central.db.models import Booking

PROVE = "prove"  # the mail that proves the address: confirms a held booking
MANAGE = "manage"  # see, cancel or change the booking
FEED = "calendar-feed"  # an official's calendar feed (the id is the official's)


def token_for(secret: bytes, purpose: str, named_id: str) -> str:
    mac = hmac.new(secret, f"appointment-{purpose}:{named_id}".encode(), hashlib.sha256)
    tag = base64.urlsafe_b64encode(mac.digest()[:18]).decode()
    return f"{named_id}.{tag}"


def id_of(secret: bytes, purpose: str, token: str) -> str | None:
    """The id a link of this purpose names, or None for a link that is not central's
    (any change to it, or a link of another purpose)."""
    found, _, _tag = token.partition(".")
    if not found or len(token) > 200:
        return None
    if not hmac.compare_digest(token_for(secret, purpose, found), token):
        return None
    return found


def booking_for(db: Session, secret: bytes, purpose: str, token: str) -> Booking | None:
    """The booking a link names (`id_of`)."""
    booking_id = id_of(secret, purpose, token)
    return db.get(Booking, booking_id) if booking_id else None
