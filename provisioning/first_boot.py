"""Zero-touch first boot: the enrolment file on the boot partition becomes credentials.

The installer (or the technician, with a laptop) writes
`palvelupiste-enrol.json` = {"central": "https://…", "token": "…"} onto the
boot partition. On first boot this enrols the kiosk and deletes the file,
leaving `palvelupiste-enrol.done` with the outcome but no token: a token is
single use, and a boot partition is readable by anyone holding the SD card.
If central cannot be reached the file stays, and the unit tries again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from provisioning.token_qr import EnrolmentTicket, NoTokenInImage, parse_ticket

DEFAULT_FILES = (
    Path("/boot/firmware/palvelupiste-enrol.json"),
    Path("/boot/palvelupiste-enrol.json"),
)


class EnrolmentFileError(ValueError):
    pass


@dataclass
class EnrolmentFile:
    path: Path
    ticket: EnrolmentTicket

    @classmethod
    def find(cls, candidates: tuple[Path, ...] = DEFAULT_FILES) -> EnrolmentFile | None:
        for path in candidates:
            if path.exists():
                return cls.read(path)
        return None

    @classmethod
    def read(cls, path: Path) -> EnrolmentFile:
        try:
            ticket = parse_ticket(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, NoTokenInImage) as exc:
            raise EnrolmentFileError(f"{path}: {exc}") from exc
        if not ticket.central:
            raise EnrolmentFileError(f'{path}: "central" (the server address) is missing')
        return cls(path, ticket)

    @property
    def done_path(self) -> Path:
        return self.path.with_suffix(".done")

    def forget_token(self, outcome: str) -> None:
        """Replace the file by a `.done` note without the token: the unit's condition is
        then false on later boots, and the technician can read what happened."""
        self.done_path.write_text(
            json.dumps({"central": self.ticket.central, "outcome": outcome}, indent=2) + "\n",
            encoding="utf-8",
        )
        self.path.unlink()
