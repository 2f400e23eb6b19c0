"""The kiosk's line to central's video service: who can answer now, and new calls.

The UI reads the agent's credentials (same user, file 0600) to talk to central
itself: a call cannot wait for the agent's next sync.
"""

from __future__ import annotations

import logging
from pathlib import Path

from contract import call_api
from contract.kiosk_api import BadAnswer, parse
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable, Credentials

log = logging.getLogger("kiosk.call")
AVAILABILITY_TIMEOUT_S = (3.0, 5.0)


class VideoLine:
    def __init__(self, credentials_file: Path) -> None:
        self.credentials_file = credentials_file

    def client(self) -> CentralClient | None:
        """A client with the kiosk's current device token; None before enrolment."""
        try:
            creds = Credentials.load(self.credentials_file)
        except (OSError, ValueError, TypeError) as exc:
            log.info("no credentials for video calls: %s", exc)
            return None
        return CentralClient(creds.central, creds.device_token, insecure=creds.insecure)

    def availability(self, service_id: str, language: str) -> call_api.VideoAvailability | None:
        """Can someone take a call now? None: central cannot be asked (offline, not enrolled)."""
        client = self.client()
        if client is None:
            return None
        try:
            answer = client.json(
                "GET",
                "/kiosk/video/availability",
                params={"service_id": service_id, "language": language},
                timeout=AVAILABILITY_TIMEOUT_S,
            )
            return parse(call_api.VideoAvailability, answer)
        except (CentralUnavailable, CentralRejected, BadAnswer) as exc:
            log.info("video availability unknown: %s", exc)
            return None
