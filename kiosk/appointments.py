"""The kiosk's line to central's appointment calendars: free times, booking, and a
booking found, changed or cancelled by its code. Asked from the UI (off the main loop):
a citizen standing at the kiosk cannot wait for the agent's next sync."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract import appointments as contract
from contract.appointments import VisitPlace
from contract.kiosk_api import BadAnswer, parse
from kiosk import central_line

TIMEOUT_S = (3.0, 10.0)  # connect, read: a search over a month's calendars included
KINDS = {"slot_taken": "taken", "not_found": "unknown", "too_many_tries": "refused"}


class AppointmentError(Exception):
    """Why central could not do it, in a word the screen turns into a sentence:
    offline (no answer), taken (someone was quicker), unknown (no such code), refused."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class AppointmentLine:
    """`client` gives a client with the kiosk's current token (None before enrolment)."""

    client: Any  # Callable[[], CentralClient | None]

    def _ask(self, method: str, path: str, **kw: Any) -> Any:
        return central_line.ask(
            self.client,
            method,
            f"/kiosk/appointments{path}",
            TIMEOUT_S,
            KINDS,
            AppointmentError,
            **kw,
        )

    def free(
        self, service_id: str, language: str, place: VisitPlace, day: str | None = None
    ) -> contract.KioskFreeTimes:
        params = {"service_id": service_id, "language": language, "place": place.value}
        if day:
            params["day"] = day
        return self._parsed(contract.KioskFreeTimes, self._ask("GET", "/free", params=params))

    def book(self, **body: Any) -> contract.KioskAppointment:
        return self._parsed(contract.KioskAppointment, self._ask("POST", "", json=body))

    def find(self, code: str, ui_language: str) -> contract.KioskAppointment:
        answer = self._ask("POST", "/find", json={"code": code, "ui_language": ui_language})
        return self._parsed(contract.KioskAppointment, answer)

    def change(self, code: str, starts_at: str, ui_language: str) -> contract.KioskAppointment:
        body = {"code": code, "starts_at": starts_at, "ui_language": ui_language}
        return self._parsed(contract.KioskAppointment, self._ask("POST", "/change", json=body))

    def cancel(self, code: str) -> None:
        self._ask("POST", "/cancel", json={"code": code})

    @staticmethod
    def _parsed(kind: type[Any], answer: Any) -> Any:
        try:
            return parse(kind, answer)
        except BadAnswer as exc:
            raise AppointmentError("offline", f"unexpected answer: {exc}") from exc
