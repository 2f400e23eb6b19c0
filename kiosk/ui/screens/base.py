"""What every screen shares: being prepared when shown, wiped when a session ends,
and listing its visible texts for speech mode."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from hardware.base import DeviceError, HardwareFault

log = logging.getLogger("kiosk.ui")

T = TypeVar("T")


class KioskScreen(Screen):
    #: Device jobs started by `off_main_loop` whose answer has not been shown yet. Tests
    #: wait for none before judging a screen's layout, since the answer changes it.
    jobs_in_flight = 0

    @property
    def app(self) -> Any:
        return App.get_running_app()

    def prepare(self, **params: Any) -> None:
        """Called each time the screen is shown, with what the caller passed."""

    def wipe(self) -> None:
        """Forget everything of the citizen; called at every session end."""

    def off_main_loop(
        self, job: Callable[[], T], then: Callable[[T | None, DeviceError | None], None]
    ) -> None:
        """Device work takes seconds: run `job` in a thread, then `then(result, error)` back
        on the main loop, with the device's typed error (if any) instead of a result.

        Any other exception (a driver bug, a full disk) is logged and handed on as a
        HardwareFault, so the screen always leaves its busy state ("Printing…") and
        shows what still works.
        """

        def work() -> None:
            try:
                result, error = job(), None
            except DeviceError as exc:
                result, error = None, exc
            except Exception as exc:  # noqa: BLE001 - the screen must never stay busy
                log.exception("device work on %s failed unexpectedly", self.name)
                result, error = None, HardwareFault(f"unexpected error: {exc}")
            Clock.schedule_once(lambda _dt: finish(result, error))

        def finish(result: T | None, error: DeviceError | None) -> None:
            self.jobs_in_flight -= 1
            then(result, error)

        self.jobs_in_flight += 1
        threading.Thread(target=work, daemon=True).start()

    def spoken_elements(self) -> list[str]:
        """Visible texts top-to-bottom, left-to-right: what speech mode reads out."""
        found: list[tuple[float, float, str]] = []

        def walk(widget: Widget) -> None:
            if getattr(widget, "opacity", 1) == 0 or getattr(widget, "disabled", False):
                return
            if isinstance(widget, Label):
                text = widget.spoken_text() if hasattr(widget, "spoken_text") else widget.text
                if text.strip():
                    x, y = widget.to_window(widget.x, widget.top)
                    found.append((-round(y), x, text))
            for child in widget.children:
                walk(child)

        walk(self)
        return [text for _y, _x, text in sorted(found)]

    def texts(self) -> list[str]:
        """Every text on the screen, visible or not: tests check nothing personal stays."""
        out: list[str] = []

        def walk(widget: Widget) -> None:
            if isinstance(widget, Label) and widget.text:
                out.append(widget.text)
            for child in widget.children:
                walk(child)

        walk(self)
        return out
