"""Paying at the kiosk by the citizen's own phone (Suomi.fi Payments).

Phases: `confirm` (what is paid for, the amount and the VAT in it: nothing is charged
before the citizen says so), `working`, then by phone `qr` (the provider's address as a
QR code; the kiosk asks central twice a second how it stands) or by card `card` (the
terminal asks for the card and the PIN; kiosk/card_payment.py journals every step),
then `paid` (the receipt is printed) or `unpaid` (declined, failed, cancelled or
expired: the screen says nothing was charged), or `problem` (central, the provider or
the terminal cannot be reached). Leaving, or the session ending,
gives an open payment up through central, which asks the provider once more first: a
payment made a moment ago is then recorded as paid, never dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.properties import StringProperty

from contract.device_states import FAULTS
from contract.payments import (
    KioskPayment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    euros,
)
from hardware.base import DeviceError
from hardware.terminal.nexo import TerminalBusy
from kiosk import catalogue
from kiosk.card_payment import CardPayments, Settled
from kiosk.payments import Checkout, PaymentError
from kiosk.qr_code import qr_picture
from kiosk.site_time import clock_at_site, now_at_site
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskButton
from kiosk.ui.widgets.video import VideoTile  # noqa: F401 - registers the QR's tile for kv

POLL_S = 0.5
PROBLEMS = {
    "offline": N_("Paying is not possible right now. Nothing was charged."),
    "unavailable": N_("Payment by phone is not available right now. Nothing was charged."),
    "unpriced": N_("This has no price here. Nothing was charged."),
    "refused": N_("This did not work. Nothing was charged."),
}
DECLINED = {
    "Refusal": N_("The card was declined. Nothing was charged."),
    "Cancel": N_("The payment was cancelled on the terminal. Nothing was charged."),
    "Aborted": N_("The payment was cancelled. Nothing was charged."),
    "Busy": N_("The card terminal is busy. Please try again in a moment."),
}
TERMINAL_DOWN = N_(
    "The card terminal is not working right now. Nothing was charged. You can pay by phone."
)
UNPAID = {
    PaymentStatus.FAILED: N_("The payment did not go through. Nothing was charged."),
    PaymentStatus.CANCELLED: N_("The payment was cancelled. Nothing was charged."),
    PaymentStatus.EXPIRED: N_("The time to pay ran out. Nothing was charged."),
}
WHAT = {
    "print_page": N_("A4 page, printed"),
    "copy_page": N_("A4 page, copied"),
}


class PaymentScreen(KioskScreen):
    phase = StringProperty("confirm")  # confirm | working | qr | paid | unpaid | problem
    heading = StringProperty("")
    summary = StringProperty("")  # what is paid for, the amount and the VAT
    message = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._poll: Any = None
        self._asking = False
        self._forget()

    @property
    def checkout(self) -> Checkout:
        return Checkout(self.app.video.line.client)

    def _forget(self) -> None:
        self.purpose = PaymentPurpose.SERVICE_FEE
        self.service_id = ""
        self.pages = 0
        self.amount_cents = 0
        self.vat_basis_points = 0
        self.payment: KioskPayment | None = None
        self.after = ""
        self.copies = ""
        self.summary = ""
        self.message = ""

    # -- coming and going -----------------------------------------------------------

    def prepare(self, **params: Any) -> None:
        """`purpose`, and `service_id` (a fee) or `pages`; `amount_cents` and
        `vat_basis_points` as the price list says, shown before anything is charged."""
        self._stop_polling()
        self._forget()
        self.purpose = PaymentPurpose(params.get("purpose", PaymentPurpose.SERVICE_FEE))
        self.service_id = params.get("service_id", "")
        self.pages = int(params.get("pages", 0))
        self.amount_cents = int(params.get("amount_cents", 0))
        self.vat_basis_points = int(params.get("vat_basis_points", 0))
        self.after = str(params.get("after", ""))  # "copies": the scan screen prints them
        self.heading = self.app.t("Payment")
        self.summary = self._what_text()
        self.show("confirm")

    def on_leave(self, *_: Any) -> None:
        self.app.session.hold(False)
        self._stop_polling()
        self._give_up_quietly()

    def wipe(self) -> None:
        self._stop_polling()
        self._give_up_quietly()
        self._forget()
        self.phase = "confirm"
        if "qr" in self.ids:
            self.ids.qr.clear()

    def _give_up_quietly(self) -> None:
        """An open payment left behind is given up (central asks the provider first). A
        card payment is the terminal's and the journal's to settle, never given up here."""
        payment = self.payment
        if payment is None or payment.status not in (PaymentStatus.OPEN, PaymentStatus.PENDING):
            return
        if payment.method == PaymentMethod.CARD_TERMINAL:
            return
        checkout, payment_id = self.checkout, payment.id
        self.off_main_loop(lambda: _quietly(lambda: checkout.give_up(payment_id)), _ignore)

    # -- paying -----------------------------------------------------------------------

    def pay(self) -> None:
        """By the citizen's phone: opened at central (and the provider), then the QR."""
        self._open(PaymentMethod.PHONE)

    def pay_by_card(self) -> None:
        """By the kiosk's card terminal: opened at central, then the terminal asks."""
        self._open(PaymentMethod.CARD_TERMINAL)

    def _open(self, method: PaymentMethod) -> None:
        self.message = self.app.t("Opening the payment…")
        self.show("working")
        checkout, purpose, language = self.checkout, self.purpose, self.app.language
        what: dict[str, Any] = (
            {"service_id": self.service_id}
            if self.purpose == PaymentPurpose.SERVICE_FEE
            else {"pages": self.pages}
        )
        what["method"] = method.value
        self.off_main_loop(
            lambda: _quietly(lambda: checkout.start(purpose, language, **what)), self._opened
        )

    def _opened(self, answer: Any, _error: DeviceError | None) -> None:
        if self.phase != "working":
            return  # the citizen left
        if not isinstance(answer, KioskPayment):
            self.problem(answer.kind if isinstance(answer, PaymentError) else "offline")
            return
        self.payment = answer
        record_payment(self.app, "payment_started", answer)
        self.summary = self._lines_text(answer)
        if answer.method == PaymentMethod.CARD_TERMINAL:
            self.message = self.app.t(
                "Insert or tap your card on the card terminal and follow its instructions."
            )
            self.show("card")
            cards = self.card_payments()
            self.off_main_loop(lambda: cards.pay(answer), self._card_settled)
            return
        self.ids.qr.show(np.dstack([qr_picture(answer.pay_url)] * 3))
        self.message = self.app.t(
            "Scan the code with your phone's camera and pay there. The receipt prints here."
        )
        self.show("qr")
        self._poll = Clock.schedule_interval(lambda _dt: self._ask(), POLL_S)

    def _ask(self) -> None:
        payment = self.payment
        if payment is None or self._asking or self.phase != "qr":
            return
        self._asking = True
        checkout = self.checkout
        expired = _past(payment.expires_at)
        job = (
            (lambda: checkout.give_up(payment.id))
            if expired
            else (lambda: checkout.status(payment.id))
        )
        self.off_main_loop(lambda: _quietly(job), self._answered)

    def _answered(self, answer: Any, _error: DeviceError | None) -> None:
        self._asking = False
        if self.phase != "qr" or not isinstance(answer, KioskPayment):
            return  # no answer this time: asked again in half a second
        self.payment = answer
        if answer.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            self._paid(answer)
        elif answer.status in UNPAID:
            self._unpaid(answer, answer.status)

    def cancel(self) -> None:
        """The citizen declines while the QR is shown: central asks the provider first."""
        payment = self.payment
        if payment is None:
            self.app.finish()
            return
        self._stop_polling()
        self.message = self.app.t("Cancelling…")
        self.show("working")
        checkout = self.checkout
        self.off_main_loop(
            lambda: _quietly(lambda: checkout.give_up(payment.id)), self._cancel_answered
        )

    def _cancel_answered(self, answer: Any, _error: DeviceError | None) -> None:
        if self.phase != "working":
            return
        if not isinstance(answer, KioskPayment):
            self.problem("offline")
            return
        self.payment = answer
        if answer.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            self._paid(answer)  # paid a moment ago: the receipt, not a lost payment
        else:
            self._unpaid(answer, PaymentStatus.CANCELLED)

    def _paid(self, made: KioskPayment) -> None:
        self._stop_polling()
        self.ids.qr.clear()
        record_payment(self.app, "payment_completed", made)
        self.summary = self._lines_text(made)
        self.show("paid")
        self._print_receipt(made)
        if self.after == "copies" and "scan" in self.app.loaded:
            self.app.loaded["scan"].print_copies(self._copies_printed)

    def _copies_printed(self, error: DeviceError | None) -> None:
        """The copies paid for: on paper, or said plainly that they are not (the payment
        is recorded; the organisation refunds it from the console)."""
        if self.phase != "paid":
            return
        self.copies = (
            self.app.t("Take your copies from the A4 printer.")
            if error is None
            else self.app.t("The copies could not be printed. Keep the receipt for a refund.")
        )
        self.message = f"{self.message}\n{self.copies}".strip()

    def _unpaid(self, made: KioskPayment, status: PaymentStatus) -> None:
        self._stop_polling()
        self.ids.qr.clear()
        self.app.record(
            "payment_failed",
            method=made.method.value,
            purpose=made.purpose.value,
            outcome=status.value,
        )
        self.message = self.app.t(UNPAID.get(status, UNPAID[PaymentStatus.FAILED]))
        self.show("unpaid")

    def problem(self, kind: str) -> None:
        self._stop_polling()
        self.app.record("payment_failed", method="phone", purpose=self.purpose.value, outcome=kind)
        self.message = self.app.t(PROBLEMS.get(kind, PROBLEMS["refused"]))
        self.show("problem")

    def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None

    # -- by card ------------------------------------------------------------------------

    def terminal_works(self) -> bool:
        terminal = self.app.device("payment_terminal")
        return terminal is not None and terminal.state not in FAULTS

    def card_payments(self) -> CardPayments:
        return CardPayments(self.app.store, self.app.device("payment_terminal"), self.checkout)

    def _card_settled(self, settled: Settled | None, error: DeviceError | None) -> None:
        if self.phase not in ("card", "working") or self.payment is None:
            return
        if isinstance(error, TerminalBusy):
            # The answer was lost while the terminal is still at it: ask again shortly.
            self.message = self.app.t("Checking the payment with the card terminal…")
            cards, entry_id = self.card_payments(), self.payment.id
            Clock.schedule_once(
                lambda _dt: self.off_main_loop(lambda: cards.settle(entry_id), self._card_settled),
                2,
            )
            return
        if settled is None:
            self.app.record(
                "payment_failed",
                method="card_terminal",
                purpose=self.purpose.value,
                outcome="terminal_offline",
            )
            self.message = self.app.t(TERMINAL_DOWN)
            self.show("problem")
            return
        if settled.approved:
            self._paid(self.payment)
            return
        self.app.record(
            "payment_failed",
            method="card_terminal",
            purpose=self.purpose.value,
            outcome=(settled.condition or "declined").lower()[:20],
        )
        self.message = self.app.t(DECLINED.get(settled.condition, DECLINED["Refusal"]))
        self.show("unpaid")

    def cancel_card(self) -> None:
        """The citizen pressed Cancel on the screen: the terminal stops; the payment's own
        answer (Aborted, or approved if the card got there first) ends the phase."""
        payment = self.payment
        if payment is None:
            return
        self.message = self.app.t("Cancelling…")
        cards = self.card_payments()
        self.off_main_loop(lambda: cards.abort(payment.id), _ignore)

    # -- the receipt ------------------------------------------------------------------

    def _print_receipt(self, made: KioskPayment) -> None:
        printer = self.app.device("printer")
        if printer is None:
            self.message = self.app.t("Paid. The receipt number is {number}.").format(
                number=made.receipt_number
            )
            return
        lines = receipt_lines(self.app, made)
        self.message = self.app.t("Paid. Printing your receipt…")
        self.off_main_loop(
            lambda: printer.print_receipt(lines, title=self.app.t("Receipt")), self._printed
        )

    def _printed(self, _done: Any, error: DeviceError | None) -> None:
        if self.phase != "paid" or self.payment is None:
            return
        if error is not None:
            self.message = self.app.t(
                "Paid. The receipt could not be printed: its number is {number}."
            ).format(number=self.payment.receipt_number)
        else:
            self.message = self.app.t("Paid. Take your receipt from the printer.")
        if self.copies:
            self.message = f"{self.message}\n{self.copies}"

    # -- what is shown ------------------------------------------------------------------

    def show(self, phase: str) -> None:
        self.phase = phase
        # Time to react: while the citizen pays on their phone or at the terminal, the
        # session does not time out (the payment's own expiry and the terminal's bound it).
        self.app.session.hold(phase in ("working", "qr", "card"))
        if phase == "confirm":
            self.message = self.app.t("Nothing is charged before you choose to pay.")
            if self.app.device("payment_terminal") is not None and not self.terminal_works():
                self.message += " " + self.app.t(
                    "The card terminal is not working right now: you can pay by phone."
                )
        if "actions" not in self.ids:
            return
        row = self.ids.actions
        row.clear_widgets()
        for text, icon, style, action in self._actions(phase):
            button = KioskButton(text=self.app.t(text), icon=icon, style=style)
            button.bind(on_activate=lambda _b, act=action: act())
            row.add_widget(button)

    def _actions(self, phase: str) -> list[tuple[str, str, str, Any]]:
        back = (N_("Back"), "arrow-left", "quiet")
        finish = (N_("Done"), "check", "accent", self.app.finish)
        if phase == "confirm":
            by_card = (
                [(N_("Pay by card"), "credit-card", "accent", self.pay_by_card)]
                if self.terminal_works()
                else []
            )
            return [
                (*back, self._back),
                *by_card,
                (N_("Pay by phone"), "cellphone", "accent", self.pay),
            ]
        if phase == "qr":
            return [(N_("Cancel the payment"), "close", "quiet", self.cancel)]
        if phase == "card":
            return [(N_("Cancel the payment"), "close", "quiet", self.cancel_card)]
        if phase in ("unpaid", "problem"):
            return [(*back, self._back), finish]
        if phase == "paid":
            return [finish]
        return []

    def _back(self) -> None:
        if self.service_id:
            self.app.go("service", service_id=self.service_id)
        else:
            self.app.go("home")

    def _what_text(self) -> str:
        t = self.app.t
        page = "print_page" if self.purpose == PaymentPurpose.PRINT else "copy_page"
        what = (
            describe(self.app, self.service_id)
            if self.purpose == PaymentPurpose.SERVICE_FEE
            else f"{self.pages} × {t(WHAT[page])}"
        )
        return "\n".join(
            [
                what,
                t("To pay: {amount}").format(amount=euros(self.amount_cents)),
                t("VAT {rate} % included").format(rate=_rate(self.vat_basis_points)),
            ]
        )

    def _lines_text(self, made: KioskPayment) -> str:
        t = self.app.t
        parts = [f"{describe(self.app, x.description)}: {euros(x.total_cents)}" for x in made.lines]
        parts.append(t("To pay: {amount}").format(amount=euros(made.amount_cents)))
        parts.append(t("VAT in total: {amount}").format(amount=euros(made.vat_cents)))
        return "\n".join(parts)


def receipt_lines(app: Any, made: KioskPayment) -> list[str]:
    """The receipt: who was paid, its number, each line with its VAT, the totals, how,
    when (the site's time). Nothing of who paid, nothing of the card."""
    t = app.t
    config = app.kiosk_config
    now = now_at_site(config)
    lines = [made.organisation, t("Receipt number: {number}").format(number=made.receipt_number)]
    for x in made.lines:
        lines.append(describe(app, x.description))
        lines.append(f"  {x.units} × {euros(x.unit_cents)} = {euros(x.total_cents)}")
        lines.append(
            "  "
            + t("VAT {rate} %: {amount}").format(
                rate=_rate(x.vat_basis_points), amount=euros(x.vat_cents)
            )
        )
    lines.append(t("Total: {amount}").format(amount=euros(made.amount_cents)))
    lines.append(t("VAT in total: {amount}").format(amount=euros(made.vat_cents)))
    lines.append(
        t("Paid by card")
        if made.method == PaymentMethod.CARD_TERMINAL
        else t("Paid by phone (Suomi.fi Payments)")
    )
    lines.append(f"{now.day}.{now.month}.{now.year} {clock_at_site(now, config)}")
    return lines


def record_payment(app: Any, event: str, made: KioskPayment) -> None:
    """`payment_started` or `payment_completed`: how, for what and how much; never who,
    never the receipt's number."""
    app.record(
        event,
        method=made.method.value,
        purpose=made.purpose.value,
        amount_cents=made.amount_cents,
    )


def describe(app: Any, description: str) -> str:
    """A receipt line's description in words: a page kind, or the service's name."""
    if description in WHAT:
        return str(app.t(WHAT[description]))
    item = catalogue.service(app.store, description)
    return item.name(app.language) if item else description


def _ignore(_answer: Any, _error: DeviceError | None) -> None:
    """Nothing to show: the citizen has gone."""


def _quietly(job: Any) -> Any:
    try:
        return job()
    except PaymentError as exc:
        return exc


def _past(moment: str) -> bool:
    try:
        return datetime.fromisoformat(moment) <= datetime.now(datetime.fromisoformat(moment).tzinfo)
    except ValueError:
        return False


def _rate(basis_points: int) -> str:
    return f"{basis_points / 100:g}".replace(".", ",")
