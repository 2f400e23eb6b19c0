"""One service: what it is, what to bring, opening hours, channels; print it or take a ticket."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from contract.payments import PaymentPurpose, PriceKind, euros
from hardware.base import DeviceError
from kiosk import catalogue
from kiosk.catalogue import text_in
from kiosk.payments import Checkout, PaymentError
from kiosk.rich_text import plain_lines
from kiosk.site_time import now_at_site
from kiosk.ui import service_text
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import RichText, SubHeading

VIDEO_NOW = N_(
    "An official can take a video call now. In the queue: {queue}, estimated wait about {minutes} min."  # noqa: E501
)


class ServiceScreen(KioskScreen):
    service_id = StringProperty("")
    status = StringProperty("")
    # "": no video channel; checking | available | unavailable
    video = StringProperty("")
    video_text = StringProperty("")
    # Central answered that someone serves it by video here: a time can be booked.
    bookable = BooleanProperty(False)
    # The service's fee at this service point, as the price list says ("" if none).
    fee_text = StringProperty("")

    def on_status(self, *_: Any) -> None:
        """A new status ("Take the printout…") is at the top of the details: show it."""
        if "details" in self.ids:
            self.ids.details.scroll_y = 1

    def on_kv_post(self, base_widget: Any) -> None:
        self.app.bind(language=lambda *_: self.show_sections())

    def prepare(self, **params: Any) -> None:
        self.service_id = params.get("service_id", "")
        self.status = ""
        self.video = self.video_text = ""
        self.bookable = False
        self.fee_text = ""
        self._fee: Any = None
        self.show_sections()
        self.ids.details.scroll_y = 1  # from the top, not where the last citizen left it
        self.app.record("service_viewed", service_id=self.service_id)
        self.ask_video()
        self.ask_fee()

    def wipe(self) -> None:
        self.service_id = ""
        self.status = ""
        self.video = self.video_text = ""
        self.bookable = False
        self.fee_text = ""
        self._fee = None
        self.ids.sections.clear_widgets()
        self.ids.details.scroll_y = 1

    def ask_video(self) -> None:
        """A service with a video channel: can someone who serves it in the citizen's
        language take a call now? Asked off the main loop (the network may be slow)."""
        service = self.item()
        if service is None or not service.item.get("remote_video"):
            return
        if not self.app.kiosk_config.remote_calls:
            return
        self.video = "checking"
        service_id, language = self.service_id, self.app.language
        self.off_main_loop(
            lambda: self.app.video.line.availability(service_id, language),
            lambda answer, _e: self._video_answer(service_id, answer),
        )

    def ask_fee(self) -> None:
        """Whether the service has a fee here that can be paid at the kiosk (asked off
        the main loop; offline, no button)."""
        if self.app.device("printer") is None:
            return  # a payment needs its receipt
        service_id = self.service_id
        checkout = Checkout(self.app.video.line.client)

        def ask() -> Any:
            try:
                return checkout.price_of(PriceKind.SERVICE, service_id)
            except PaymentError:
                return None

        self.off_main_loop(ask, lambda price, _e: self._fee_answer(service_id, price))

    def _fee_answer(self, service_id: str, price: Any) -> None:
        if service_id != self.service_id or price is None:
            return
        self._fee = price
        self.fee_text = self.app.t("Pay the fee ({amount})").format(
            amount=euros(price.amount_cents)
        )

    def pay_fee(self) -> None:
        price = self._fee
        if price is None:
            return
        self.app.go(
            "payment",
            purpose=PaymentPurpose.SERVICE_FEE.value,
            service_id=self.service_id,
            amount_cents=price.amount_cents,
            vat_basis_points=price.vat_basis_points,
        )

    def _video_answer(self, service_id: str, answer: Any) -> None:
        if service_id != self.service_id:
            return  # the citizen moved on
        t = self.app.t
        self.bookable = answer is not None and answer.served
        if answer is not None and answer.available:
            self.video = "available"
            minutes = max(1, round(answer.estimated_wait_s / 60))
            if answer.estimated_wait_s < 60:
                self.video_text = t("An official can take a video call now.")
            else:
                now = t(VIDEO_NOW)
                self.video_text = now.format(queue=answer.queue_length, minutes=minutes)
            return
        self.video = "unavailable"
        service = self.item()
        language, now = self.app.language, now_at_site(self.app.kiosk_config).replace(tzinfo=None)
        if answer is not None and not answer.served:
            # No agreement lets anyone serve it by video here: how else to reach it.
            channels = (service.item.get("channels") or []) if service else []
            other = [
                line
                for channel in channels
                if channel.get("type") != "remote_video"
                for line in service_text.channel_lines(channel, language, t)
            ]
            self.video_text = " ".join(
                [t("This service is not served by video at this service point.")]
                + (
                    [t("You can reach it like this:"), "; ".join(dict.fromkeys(other)) + "."]
                    if other
                    else []
                )
            )
            return
        parts = [t("Nobody can take a video call for this service right now.")]
        for channel in (service.item.get("channels") or []) if service else []:
            if channel.get("type") == "remote_video" and channel.get("hours"):
                hours = service_text.week_line(channel["hours"], now, language, t)
                parts.append(t("Video service hours:") + " " + hours)
            if channel.get("type") == "phone" and channel.get("phone"):
                parts.append(t("You can call {phone}.").format(phone=channel["phone"]))
        parts.append(t("You can also book a time for a video appointment."))
        self.video_text = " ".join(parts)

    def show_sections(self) -> None:
        box = self.ids.sections
        box.clear_widgets()
        for heading, text in self.sections(self.app.language, self.service_id):
            if heading:
                box.add_widget(SubHeading(text=heading))
            box.add_widget(RichText(text=text))

    def item(self) -> catalogue.Service | None:
        return catalogue.service(self.app.store, self.service_id) if self.service_id else None

    def sections(self, language: str, _service_id: str) -> list[tuple[str, str]]:
        """(heading, text) pairs shown and printed, texts in PTV's Markdown-like form;
        empty sections are left out."""
        service = self.item()
        if service is None:
            return []
        t = self.app.t
        item = service.item
        bring = "\n\n".join(
            part
            for part in (
                text_in(item.get("requirements"), language),
                text_in(item.get("instructions"), language),
            )
            if part
        )
        now = now_at_site(self.app.kiosk_config).replace(tzinfo=None)
        hours: list[str] = []
        channels: list[str] = []

        def say(msgid: str) -> str:
            return t(msgid, language)

        for channel in item.get("channels") or []:
            channels.extend(service_text.channel_lines(channel, language, say))
            if not channel.get("hours") or channel.get("type") == "remote_video":
                continue
            name = text_in(channel.get("name"), language) or say(
                service_text.CHANNEL_NAMES.get(channel.get("type", ""), N_("Other"))
            )
            today = service_text.today_line(channel["hours"], now, language, say)
            listing = service_text.week_line(channel["hours"], now, language, say)
            hours.append(f"{name}: " + ". ".join(x for x in (today, listing) if x))
        out = [
            ("", service.summary(language)),
            ("", text_in(item.get("description"), language)),
            (t("What to bring", language), bring),
            (t("Opening hours", language), "\n".join(f"* {h}" for h in dict.fromkeys(hours))),
            (
                t("How to get this service", language),
                "\n".join(f"* {c}" for c in dict.fromkeys(channels)),
            ),
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
            lines.extend(plain_lines(text))
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
