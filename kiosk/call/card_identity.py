"""The citizen identifies with their ID card during a call: the card's certificate is
read, central gives a challenge for this call, the card signs it after PIN1, central
checks the proof. The PIN goes to the card only; the kiosk keeps neither the PIN nor
the certificate, and learns from central only the name it may show."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from contract import call_api
from contract.identification import challenge_digest
from contract.kiosk_api import BadAnswer, parse
from hardware.base import DeviceError
from hardware.cardreader import fineid
from hardware.cardreader.pcsc import CardRemoved, CardSession
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable

IDENTIFY_TIMEOUT_S = (3.0, 15.0)  # central asks the OCSP responder before it answers

Session = Callable[[], AbstractContextManager[CardSession]]


def pin_tries_left(session: Session) -> int:
    with session() as send:
        return fineid.pin_tries_left(send)


def identify(
    client: CentralClient, session: Session, call_id: str, pin: str | None
) -> call_api.Identified:
    """The whole proof in one card session; `pin` None: typed on the reader's own PIN
    pad. Raises fineid.WrongPin / PinBlocked /
    CardError (the card), CardRemoved (pulled half way), CentralRejected (refused at
    central, with its reason) or CentralUnavailable."""
    with session() as send:
        der = fineid.read_certificate(send)
        elliptic = isinstance(
            x509.load_der_x509_certificate(der).public_key(), ec.EllipticCurvePublicKey
        )
        challenge = parse(
            call_api.CardChallenge,
            client.json("POST", f"/kiosk/calls/{call_id}/identification/challenge", json={}),
        )
        digest = challenge_digest(base64.b64decode(challenge.challenge), elliptic)
        pad = send.pin_pad() if pin is None else None
        signature = fineid.sign(send, pin, digest, elliptic, pad)
    answer = client.json(
        "POST",
        f"/kiosk/calls/{call_id}/identification/card",
        json={
            "challenge_id": challenge.challenge_id,
            "certificate": base64.b64encode(der).decode(),
            "signature": base64.b64encode(signature).decode(),
        },
        timeout=IDENTIFY_TIMEOUT_S,
    )
    return parse(call_api.Identified, answer)


@dataclass(frozen=True)
class Outcome:
    """What the screen says after an attempt: `kind` is one of identified, wrong_pin,
    pin_blocked, pin_cancelled (on the reader's PIN pad), card_removed, card_error,
    refused (central said no), unavailable;
    `shown_name` once identified, `tries_left` after a wrong PIN."""

    kind: str
    shown_name: str = ""
    tries_left: int = 0


def attempt(client: CentralClient, session: Session, call_id: str, pin: str | None) -> Outcome:
    """`identify`, with every way it can end as an Outcome (never an exception): the
    screen must always leave its busy state."""
    try:
        done = identify(client, session, call_id, pin)
    except fineid.WrongPin as exc:
        return Outcome("wrong_pin", tries_left=exc.tries_left)
    except fineid.PinBlocked:
        return Outcome("pin_blocked")
    except CardRemoved:
        return Outcome("card_removed")
    except fineid.CardError as exc:
        return Outcome("pin_cancelled" if exc.reason == "pin_cancelled" else "card_error")
    except CentralRejected:
        return Outcome("refused")
    except (CentralUnavailable, BadAnswer, DeviceError):
        return Outcome("unavailable")
    return Outcome("identified", shown_name=done.shown_name)
