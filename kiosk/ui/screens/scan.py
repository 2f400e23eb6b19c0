"""Document scanning with a preview of each page, into the session's scratch directory
(deleted with the session); the scanned pages copied on the A4 printer, paid first where
the site prices copies (the payment screen), free where it does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from contract.payments import PaymentPurpose, PriceKind, euros
from hardware.base import DeviceError
from kiosk.payments import Checkout, PaymentError, Price
from kiosk.ui.screens.base import KioskScreen


class ScanScreen(KioskScreen):
    pages = NumericProperty(0)
    busy = BooleanProperty(False)
    status = StringProperty("")
    preview = StringProperty("")
    copy_text = StringProperty("")  # "Copy on paper (1,20 €)"; "" where no copy is offered

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pages: list[Path] = []  # the scanned pages' files, in the session's scratch
        self._copy_price: Price | None = None
        self._copy_priced = False

    def prepare(self, **params: Any) -> None:
        if self.app.device("scanner") is None:
            self.app.go("fault", device="scanner", error=None)
            return
        if self.app.device("a4_printer") is not None and not self._copy_priced:
            checkout = Checkout(self.app.video.line.client)

            def ask() -> Any:
                try:
                    return checkout.price_of(PriceKind.COPY_PAGE) or "free"
                except PaymentError:
                    return None

            self.off_main_loop(ask, self._priced)
        self._offer_copy()

    def _priced(self, price: Any, _error: DeviceError | None) -> None:
        if price is None:
            return  # central is away: no copy is sold now
        self._copy_priced = True
        self._copy_price = price if isinstance(price, Price) else None
        self._offer_copy()

    def _offer_copy(self) -> None:
        t = self.app.t
        if not self.pages or not self._copy_priced:
            self.copy_text = ""
        elif self._copy_price is None:
            self.copy_text = t("Copy on paper (free)")
        else:
            amount = euros(self.pages * self._copy_price.amount_cents)
            self.copy_text = t("Copy on paper ({amount})").format(amount=amount)

    def copy(self) -> None:
        """Paid first where copies are priced; the payment screen prints them once paid."""
        price = self._copy_price
        if not self.pages or self.busy:
            return
        if price is None:
            self.print_copies()
            return
        self.app.go(
            "payment",
            purpose=PaymentPurpose.COPY.value,
            pages=self.pages,
            amount_cents=self.pages * price.amount_cents,
            vat_basis_points=price.vat_basis_points,
            after="copies",
        )

    def print_copies(self, done: Any = None) -> None:
        """Every scanned page on the A4 printer, off the main loop; `done(error)` after."""
        printer = self.app.device("a4_printer")
        pages = list(self._pages)
        if printer is None or not pages:
            return
        self.status = self.app.t("Printing your copies…")

        def run() -> int:
            for page in pages:
                printer.print_file(page)
            return len(pages)

        def printed(count: int | None, error: DeviceError | None) -> None:
            if error is None:
                self.app.record("document_printed", pages=count or 0)
            self.status = (
                self.app.t("Take your copies from the printer.")
                if error is None
                else self.app.t("The copies could not be printed.")
            )
            if done is not None:
                done(error)

        self.off_main_loop(run, printed)

    def wipe(self) -> None:
        self.pages = 0
        self.busy = False
        self.status = ""
        self.preview = ""
        self.copy_text = ""
        self._pages = []
        self._copy_price = None
        self._copy_priced = False

    def scan(self) -> None:
        scanner = self.app.device("scanner")
        scratch = self.app.session.scratch
        if scanner is None or scratch is None or self.busy:
            return
        self.busy = True
        self.status = self.app.t("Scanning… this takes a few seconds.", self.app.language)
        into = scratch / f"scan-{self.pages + 1}"
        self.off_main_loop(lambda: scanner.scan(into, resolution=75), self._scanned)

    def _scanned(self, pages: list[Path] | None, error: DeviceError | None) -> None:
        self.busy = False
        if not self.app.session.active:
            return  # the session ended while scanning; its directory is gone
        if error is not None:
            self.app.go("fault", device="scanner", error=error)
            return
        pages = pages or []
        self._pages.extend(pages)
        self.pages += len(pages)
        self._offer_copy()
        self.preview = str(pages[-1]) if pages else ""
        self.app.record("document_scanned", pages=len(pages))
        self.status = self.app.t("{pages} pages scanned.", self.app.language).format(
            pages=self.pages
        )
