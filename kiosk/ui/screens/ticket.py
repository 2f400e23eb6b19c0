"""Queue tickets: a number per day from this kiosk, printed on the receipt printer.

If the printer cannot print, the number is shown on screen instead: the
citizen still gets their place in the queue.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from hardware.base import DeviceError
from kiosk import catalogue
from kiosk.queue_tickets import next_ticket
from kiosk.site_hours import open_at
from kiosk.site_time import now_at_site
from kiosk.ui.branding import today_text
from kiosk.ui.screens.base import KioskScreen


class TicketScreen(KioskScreen):
    number = StringProperty("")
    status = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.number = ""
        now = now_at_site(self.app.kiosk_config)
        if open_at(self.app.kiosk_config, now) is False:
            # Nobody calls numbers now: a ticket would only mislead (issue 33).
            t = self.app.t
            self.status = " ".join(
                x
                for x in (
                    t("The service point is closed now, so no queue number is given."),
                    today_text(t, self.app.kiosk_config, now.date()),
                )
                if x
            )
            return
        self.status = self.app.t("Printing your ticket…", self.app.language)
        service_id = params.get("service_id") or ""
        item = catalogue.service(self.app.store, service_id) if service_id else None
        printer = self.app.device("printer")
        number = next_ticket(self.app.store)
        if printer is None:
            self.app.go("fault", device="printer", error=None, ticket=number)
            return
        language = self.app.language
        lines = [
            item.name(language) if item else self.app.t("Customer service", language),
            now.strftime("%d.%m.%Y %H:%M"),
            "",
            self.app.t("Please wait until your number is shown.", language),
        ]
        self.off_main_loop(
            lambda: printer.print_receipt(lines, title=number),
            lambda _done, error: self._printed(number, service_id, error),
        )

    def _printed(self, number: str, service_id: str, error: DeviceError | None) -> None:
        self.app.record(
            "ticket_printed", number=number, service_id=service_id or None, printed=error is None
        )
        if error is not None:
            self.app.go("fault", device="printer", error=error, ticket=number)
            return
        self.number = number
        self.status = self.app.t("Take your ticket from the printer.", self.app.language)

    def wipe(self) -> None:
        self.number = ""
        self.status = ""
