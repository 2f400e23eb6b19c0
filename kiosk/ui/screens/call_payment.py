"""The call screen's payment: the official asks the citizen to pay (a certificate's fee,
say), or the citizen prints a document the official shows where the site prices printed
pages; the call screen shows the amount, the VAT and the reason in a panel of its own
while the call goes on. The citizen pays by phone (the QR code in the panel) or by the
kiosk's card terminal, or declines; nothing is charged before they accept. A mixin of
`CallScreen`, as `CallIdentification` is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from contract.device_states import FAULTS
from contract.payments import (
    KioskPayment,
    PaymentAsk,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    euros,
)
from hardware.base import DeviceError
from kiosk.card_payment import CardPayments, Settled
from kiosk.payments import Checkout, PaymentError
from kiosk.qr_code import qr_picture
from kiosk.ui.i18n import N_
from kiosk.ui.screens.payment import receipt_lines, record_payment

POLL_S = 0.5
PAID = (PaymentStatus.PAID, PaymentStatus.REFUNDED)
UNPAID = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)


class CallPayment:
    """Expects the host screen's `app`, `phase`, `note` and `off_main_loop`."""

    pay_text = StringProperty("")
    paying = BooleanProperty(False)  # a payment is under way: its buttons wait
    pay_qr_shown = BooleanProperty(False)
    card_works = BooleanProperty(False)

    app: Any
    phase: str
    note: str
    ids: Any
    off_main_loop: Any

    def _pay_reset(self) -> None:
        self._asked: PaymentAsk | None = None
        self._answered: set[str] = set()
        self._payment: KioskPayment | None = None
        self._pay_poll: Any = None
        self._prints: tuple[int, Any] | None = None  # (pages, then): paying to print
        self._pay_return = "in_call"
        self.pay_text = ""
        self.paying = self.pay_qr_shown = False

    @property
    def _checkout(self) -> Checkout:
        return Checkout(self.app.video.line.client)

    def asked_to_pay(self, asked: PaymentAsk | None) -> None:
        """From each view: a new request opens the panel (once per request)."""
        if asked is None or asked.payment_id in self._answered:
            return
        if self.phase not in ("in_call", "chat"):
            return
        self._answered.add(asked.payment_id)
        self._asked = asked
        t = self.app.t
        terminal = self.app.device("payment_terminal")
        self.card_works = terminal is not None and terminal.state not in FAULTS
        rate = f"{asked.vat_basis_points / 100:g}".replace(".", ",")
        self.pay_text = "\n".join(
            [
                t("Your official asks you to pay:"),
                f"{asked.reason}: {euros(asked.amount_cents)}",
                t("VAT {rate} % included").format(rate=rate),
                t("Nothing is charged before you choose to pay."),
            ]
        )
        self.pay_qr_shown = self.paying = False
        self.phase = "pay"

    def ask_to_pay_for_prints(
        self, pages: int, unit_cents: int, vat_basis_points: int, then: Any
    ) -> None:
        """Printing a document the official shows, where the site prices printed pages:
        paid first (by phone or card), then `then()` prints; not paying prints nothing."""
        t = self.app.t
        self._asked = None
        self._prints = (pages, then)
        self._pay_return = "document"
        terminal = self.app.device("payment_terminal")
        self.card_works = terminal is not None and terminal.state not in FAULTS
        rate = f"{vat_basis_points / 100:g}".replace(".", ",")
        self.pay_text = "\n".join(
            [
                t("Printing costs {amount} ({pages} pages).").format(
                    amount=euros(pages * unit_cents), pages=pages
                ),
                t("VAT {rate} % included").format(rate=rate),
                t("Nothing is charged before you choose to pay."),
            ]
        )
        self.pay_qr_shown = self.paying = False
        self.phase = "pay"

    def pay_by_phone(self) -> None:
        self._accept("phone")

    def pay_by_card(self) -> None:
        self._accept("card_terminal")

    def _accept(self, method: str) -> None:
        asked, prints = self._asked, self._prints
        if (asked is None and prints is None) or self.paying:
            return
        self.paying = True
        checkout, language = self._checkout, self.app.language

        def accept() -> Any:
            try:
                if prints is not None:
                    return checkout.start(
                        PaymentPurpose.PRINT, language, pages=prints[0], method=method
                    )
                assert asked is not None
                return checkout.accept(asked.payment_id, method, language)
            except PaymentError as exc:
                return exc

        self.off_main_loop(accept, self._accepted)

    def _accepted(self, answer: Any, _error: DeviceError | None) -> None:
        if self.phase != "pay":
            return
        if not isinstance(answer, KioskPayment):
            self._pay_done(self.app.t("Paying is not possible right now. Nothing was charged."))
            return
        self._payment = answer
        record_payment(self.app, "payment_started", answer)
        if answer.method == PaymentMethod.CARD_TERMINAL:
            self.pay_text = self.app.t(
                "Insert or tap your card on the card terminal and follow its instructions."
            )
            cards = CardPayments(
                self.app.store, self.app.device("payment_terminal"), self._checkout
            )
            self.off_main_loop(lambda: cards.pay(answer), self._card_settled)
            return
        self.ids.pay_qr.show(np.dstack([qr_picture(answer.pay_url)] * 3))
        self.pay_qr_shown = True
        self.pay_text = self.app.t(
            "Scan the code with your phone's camera and pay there. The receipt prints here."
        )
        self._pay_poll = Clock.schedule_interval(lambda _dt: self._ask_paid(), POLL_S)

    def _ask_paid(self) -> None:
        payment = self._payment
        if payment is None or self.phase != "pay":
            self._stop_pay_poll()
            return
        checkout = self._checkout

        def ask() -> Any:
            try:
                return checkout.status(payment.id)
            except PaymentError:
                return None

        self.off_main_loop(ask, self._phone_answered)

    def _phone_answered(self, answer: Any, _error: DeviceError | None) -> None:
        if not isinstance(answer, KioskPayment) or self.phase != "pay":
            return
        if answer.status in PAID:
            self._paid(answer)
        elif answer.status in UNPAID:
            self._unpaid(answer.method.value, answer.status.value)

    def _card_settled(self, settled: Settled | None, error: DeviceError | None) -> None:
        if self.phase != "pay" or self._payment is None:
            return
        if settled is not None and settled.approved:
            self._paid(self._payment)
        else:
            outcome = settled.condition if settled else "terminal_offline"
            self._unpaid("card_terminal", (outcome or "declined").lower()[:20])

    def decline_payment(self) -> None:
        """The citizen does not pay (or stops paying by phone): central asks the
        provider first, so a payment made a moment ago is still recorded as paid."""
        self._stop_pay_poll()
        asked, payment = self._asked, self._payment
        target = payment.id if payment is not None else (asked.payment_id if asked else "")
        if not target:
            self._pay_done("")  # nothing opened yet: nothing to give up
            return
        checkout = self._checkout

        def give_up() -> Any:
            try:
                return checkout.give_up(target)
            except PaymentError:
                return None

        self.off_main_loop(give_up, self._declined)

    def _declined(self, answer: Any, _error: DeviceError | None) -> None:
        if isinstance(answer, KioskPayment) and answer.status in PAID:
            self._paid(answer)
            return
        self._unpaid("phone", "cancelled")

    def _paid(self, made: KioskPayment) -> None:
        self._stop_pay_poll()
        record_payment(self.app, "payment_completed", made)
        printer = self.app.device("printer")
        if printer is not None:
            lines = receipt_lines(self.app, made)
            title = self.app.t("Receipt")
            self.off_main_loop(lambda: printer.print_receipt(lines, title=title), _ignore)
        then = self._prints[1] if self._prints else None
        self._pay_done(self.app.t("Paid. Take your receipt from the printer."))
        if then is not None:
            then()

    def _unpaid(self, method: str, outcome: str) -> None:
        self._stop_pay_poll()
        self.app.record("payment_failed", method=method, purpose="call_request", outcome=outcome)
        self._pay_done(self.app.t(UNPAID_WORDS.get(outcome, UNPAID_WORDS["failed"])))

    def _pay_done(self, note: str) -> None:
        self._stop_pay_poll()
        if "pay_qr" in self.ids:
            self.ids.pay_qr.clear()
        self.pay_qr_shown = self.paying = False
        self._asked = self._payment = None
        self._prints = None
        if note:
            self.note = note
        self.phase, self._pay_return = self._pay_return, "in_call"

    def _stop_pay_poll(self) -> None:
        if self._pay_poll is not None:
            self._pay_poll.cancel()
            self._pay_poll = None


UNPAID_WORDS = {
    "cancelled": N_("You did not pay. Nothing was charged."),
    "refusal": N_("The card was declined. Nothing was charged."),
    "failed": N_("The payment did not go through. Nothing was charged."),
    "expired": N_("The time to pay ran out. Nothing was charged."),
}


def _ignore(_answer: Any, _error: DeviceError | None) -> None:
    """The receipt is a copy: the payment is recorded either way."""
