"""Document scanning with a preview of each page, into the session's scratch directory
(deleted with the session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from hardware.base import DeviceError
from kiosk.ui.screens.base import KioskScreen


class ScanScreen(KioskScreen):
    pages = NumericProperty(0)
    busy = BooleanProperty(False)
    status = StringProperty("")
    preview = StringProperty("")

    def prepare(self, **params: Any) -> None:
        if self.app.device("scanner") is None:
            self.app.go("fault", device="scanner", error=None)

    def wipe(self) -> None:
        self.pages = 0
        self.busy = False
        self.status = ""
        self.preview = ""

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
        self.pages += len(pages)
        self.preview = str(pages[-1]) if pages else ""
        self.app.record("document_scanned", pages=len(pages))
        self.status = self.app.t("{pages} pages scanned.", self.app.language).format(
            pages=self.pages
        )
