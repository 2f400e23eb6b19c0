"""One service: what it is, what to bring, opening hours, channels; print it or take a ticket."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from hardware.base import DeviceError
from kiosk import catalogue
from kiosk.catalogue import text_in
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import Body, Heading

DAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]  # PTV names days in English
CHANNEL_NAMES = {
    "electronic": N_("Online"),
    "phone": N_("By phone"),
    "service_location": N_("At a service point"),
    "remote_video": N_("Video call"),
    "printable_form": N_("Printable form"),
    "web_page": N_("Web page"),
}


class ServiceScreen(KioskScreen):
    service_id = StringProperty("")
    status = StringProperty("")

    def on_kv_post(self, base_widget: Any) -> None:
        self.app.bind(language=lambda *_: self.show_sections())

    def prepare(self, **params: Any) -> None:
        self.service_id = params.get("service_id", "")
        self.status = ""
        self.show_sections()
        self.app.record("service_viewed", service_id=self.service_id)

    def wipe(self) -> None:
        self.service_id = ""
        self.status = ""
        self.ids.sections.clear_widgets()

    def show_sections(self) -> None:
        box = self.ids.sections
        box.clear_widgets()
        for heading, text in self.sections(self.app.language, self.service_id):
            if heading:
                box.add_widget(Heading(text=heading, font_size="24sp"))
            box.add_widget(Body(text=text))

    def item(self) -> catalogue.Service | None:
        return catalogue.service(self.app.store, self.service_id) if self.service_id else None

    def sections(self, language: str, _service_id: str) -> list[tuple[str, str]]:
        """(heading, text) pairs shown and printed; empty sections are left out."""
        service = self.item()
        if service is None:
            return []
        t = self.app.t
        item = service.item
        bring = " ".join(
            part
            for part in (
                text_in(item.get("requirements"), language),
                text_in(item.get("instructions"), language),
            )
            if part
        )
        hours = []
        channels = []
        for channel in item.get("channels") or []:
            kind = t(CHANNEL_NAMES.get(channel.get("type"), N_("Other")), language)
            detail = (
                channel.get("phone") or channel.get("url") or text_in(channel.get("name"), language)
            )
            channels.append(f"{kind}: {detail}" if detail else kind)
            for slot in channel.get("hours") or []:
                if slot.get("closed"):
                    continue
                days = t(slot.get("day_from", ""), language)
                if slot.get("day_to") and slot["day_to"] != slot.get("day_from"):
                    days += "–" + t(slot["day_to"], language)
                hours.append(f"{days} {slot.get('from', '')}–{slot.get('to', '')}")
        out = [
            ("", service.summary(language)),
            (t("What to bring", language), bring),
            (t("Opening hours", language), "\n".join(dict.fromkeys(hours))),
            (t("How to get this service", language), "\n".join(channels)),
        ]
        return [(h, text) for h, text in out if text]

    def print_this(self) -> None:
        service = self.item()
        printer = self.app.device("printer")
        if service is None:
            return
        if printer is None:
            self.app.go("fault", device="printer", error=None)
            return
        language = self.app.language
        lines = []
        for heading, text in self.sections(language, self.service_id):
            if heading:
                lines.append(heading.upper())
            lines.extend(text.splitlines())
            lines.append("")
        self.status = self.app.t("Printing…", language)
        self.off_main_loop(
            lambda: printer.print_receipt(lines, title=service.name(language)), self._printed
        )

    def _printed(self, _done: None, error: DeviceError | None) -> None:
        if error is not None:
            self.app.go("fault", device="printer", error=error)
            return
        self.app.record("document_printed", what="service_info", service_id=self.service_id)
        self.status = self.app.t("Take your printout from the printer.", self.app.language)
