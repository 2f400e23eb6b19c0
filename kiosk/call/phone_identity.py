"""The citizen identifies with their own phone during (or while queuing for) a call: the
kiosk shows central's QR code and short code, then asks central where it is. The kiosk
never sees the citizen's credentials or identity, only the name it may show."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contract import call_api
from contract.call_api import IdentificationMethod, PhoneStep
from contract.kiosk_api import BadAnswer, parse
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable
from kiosk.qr_code import qr_picture

ASK_TIMEOUT_S = (3.0, 10.0)  # central may ask the identity provider's discovery first


@dataclass(frozen=True)
class Shown:
    """What the screen shows: the QR's picture (grey, 0 or 255) and the short code."""

    handoff_id: str
    short_code: str
    qr: np.ndarray
    method: IdentificationMethod


def start(
    client: CentralClient, call_id: str, method: IdentificationMethod | None = None
) -> Shown | None:
    """A fresh QR for this call; None where central does not offer the phone route or
    cannot be reached (the screen then says so and offers the card)."""
    body = {"method": method.value} if method else {}
    try:
        handoff = parse(
            call_api.PhoneHandoff,
            client.json(
                "POST",
                f"/kiosk/calls/{call_id}/identification/phone",
                json=body,
                timeout=ASK_TIMEOUT_S,
            ),
        )
    except (CentralRejected, CentralUnavailable, BadAnswer):
        return None
    return Shown(
        handoff.handoff_id, handoff.short_code, qr_picture(handoff.address), handoff.method
    )


def progress(client: CentralClient, call_id: str, handoff_id: str) -> call_api.PhoneProgress:
    """Where the QR is; an unreachable central reads as still waiting (asked again)."""
    try:
        return parse(
            call_api.PhoneProgress,
            client.json("GET", f"/kiosk/calls/{call_id}/identification/phone/{handoff_id}"),
        )
    except (CentralUnavailable, BadAnswer):
        return call_api.PhoneProgress(step=PhoneStep.WAITING)
    except CentralRejected:
        return call_api.PhoneProgress(step=PhoneStep.EXPIRED)
