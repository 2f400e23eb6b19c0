"""Drives the real KioskApp in a real window under Xvfb, with simulated touches.

Touches go through Kivy's own input path (UnitTestTouch → the window → the
widgets' hit tests), so a button that is covered, too small or off-screen
cannot be pressed here either. Each test runs forked: a Kivy window can be
made once per process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from devtools.kiosk_state import make_state
from kiosk.ui.cli import configure_kivy

SCREENSHOTS = Path(
    os.environ.get("UI_SCREENSHOTS", Path(__file__).parents[1] / "test-artifacts" / "ui")
)
SIM_DEVICES = {"printer": "sim", "scanner": "sim", "camera": "sim", "gpio": "sim"}


class UiDriver:
    def __init__(
        self,
        tmp_path: Path,
        devices: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        size: tuple[int, int] = (1280, 800),
    ) -> None:
        self.state_dir = tmp_path / "state"
        self.store, self.bookings = make_state(self.state_dir, config)
        configure_kivy(self.state_dir, size, fullscreen=False)
        from kivy.base import _runTouchApp_prepare

        from kiosk.ui.app import KioskApp
        from kiosk.ui.settings import UiSettings

        self.speech_dir = tmp_path / "speech"
        self.app = KioskApp(
            UiSettings(
                self.state_dir,
                fullscreen=False,
                speech_wav_dir=self.speech_dir,
                devices=SIM_DEVICES if devices is None else devices,
            )
        )
        self.offset = 0.0  # added to the session's clock: idle timeouts without waiting
        self.app.session.clock = lambda: time.monotonic() + self.offset
        self.app._run_prepare()
        _runTouchApp_prepare()
        self.pump(0.3)

    # --- time ---------------------------------------------------------------------------

    def pump(self, seconds: float = 0.1) -> None:
        from kivy.base import EventLoop

        deadline = time.monotonic() + seconds
        while True:
            EventLoop.idle()
            if time.monotonic() >= deadline:
                return

    def wait_until(self, condition: Callable[[], object], seconds: float = 15.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(0.05)
            if condition():
                return True
        return False

    def opened(self, kind: str, seconds: float = 45.0) -> Any:
        """The device of `kind` once the UI has opened it (devices open after the first
        frame, so a test that asks at once may get None on a slow machine)."""
        if not self.wait_until(lambda: self.app.device(kind) is not None, seconds):
            raise AssertionError(f"the UI did not open its {kind} in {seconds:.0f} s")
        return self.app.device(kind)

    def advance(self, seconds: float) -> None:
        """Let the session's clock jump ahead, then let the UI notice."""
        self.offset += seconds
        self.pump(0.7)

    # --- looking ------------------------------------------------------------------------

    @property
    def screen(self) -> str:
        return self.app.manager.current

    def _roots(self) -> list[Any]:
        from kivy.core.window import Window
        from kivy.uix.modalview import ModalView

        modals = [w for w in Window.children if isinstance(w, ModalView)]
        return modals or [self.app.manager.current_screen]

    def every_screen(self) -> Iterator[str]:
        """Shows each screen in turn (with a service for those that show one) and
        yields its name while it is up."""
        from kiosk.ui.app import SCREENS

        for name in SCREENS:
            if name in ("technician", "technician_pin", "maintenance", "attract"):
                self.app.go(name)
            else:
                self.app.go(name, service_id=self.bookings[0].service_id)
            # Device work (the ticket's printing) changes the screen when it ends: judge the
            # screen after it, not while its answer may land mid-check (a fresh-clone run
            # saw the ticket's words pushed off the window by a number printed meanwhile).
            screen = self.app.manager.current_screen

            def done(screen: Any = screen) -> bool:
                return not getattr(screen, "jobs_in_flight", 0)

            self.wait_until(done)
            self.settle()
            yield name

    def settle(self, seconds: float = 5.0) -> None:
        """Pump until nothing on screen moves between two frames: bars and rows that
        measure their words lay themselves out again a frame or two after a change.
        Three still frames in a row, not two: a label's texture (and the size hint it
        feeds) is remade a frame late, and on a loaded machine two frames could agree
        in between (a fresh-clone run saw a ticket's words still where the previous
        citizen's number had pushed them)."""
        last = None
        still = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(0.03)
            now = [(tuple(w.pos), tuple(w.size)) for root in self._roots() for w in root.walk()]
            still = still + 1 if now == last else 0
            if still >= 2:
                return
            last = now

    def every_view(self) -> Iterator[str]:
        """Every screen as `every_screen`, each phase of the call screen, and each modal
        (the idle warning, the language and accessibility choosers) over the home screen."""
        from kiosk.ui.widgets import AccessibilityChooser, IdleWarning, LanguageChooser

        for name in self.every_screen():
            yield name
            if name == "call":
                call = self.app.loaded["call"]
                for phase in ("waiting", "in_call", "chat", "document", "scan_check", "ended"):
                    call.phase = phase
                    self.settle()
                    yield f"call:{phase}"
                call.phase = "check"
            if name == "appointment":
                yield from self._appointment_views()
        self.app.go("home")
        for kind in (IdleWarning, LanguageChooser, AccessibilityChooser):
            modal = kind()
            modal.open()
            self.pump(0.3)
            self.settle()
            yield kind.__name__
            modal.dismiss()
            self.pump(0.1)

    def _appointment_views(self) -> Iterator[str]:
        """The booking screen's phases, filled as central would fill them: a month of days,
        a day of times, a booked appointment with its code."""
        from datetime import UTC, date, datetime, timedelta

        from contract.appointments import FreeTime, KioskAppointment, KioskFreeTimes, VisitPlace

        screen = self.app.loaded["appointment"]
        today = date.today()
        start = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
        times = [
            FreeTime(
                (start + timedelta(minutes=30 * n)).isoformat(),
                (start + timedelta(minutes=30 * n + 30)).isoformat(),
            )
            for n in range(16)
        ]
        days = [(today + timedelta(days=n)).isoformat() for n in range(22)]
        free = KioskFreeTimes(days, days[0], times)
        screen.offered = {VisitPlace.SERVICE_POINT: free, VisitPlace.HOME: free}
        screen.starts_at, screen.email, screen.interpreter = (
            times[3].starts_at,
            "maija.virtanen@example.fi",
            "ar",
        )
        screen.result = KioskAppointment(
            "b-1",
            "WN6C-H4PM",
            screen.service_id,
            times[3].starts_at,
            times[3].ends_at,
            VisitPlace.SERVICE_POINT,
            "Yhteispalvelupiste Järvenpää",
            "https://x/book/m/1",
        )
        for phase in (
            "place",
            "days",
            "times",
            "details",
            "interpreter",
            "email",
            "code",
            "found",
            "cancel_sure",
            "done",
            "problem",
        ):
            if phase == "problem":
                screen.problem("offline")
            else:
                screen.show(phase)
            self.settle()
            yield f"appointment:{phase}"
        screen.wipe()

    def buttons(self) -> list[Any]:
        from kiosk.ui.widgets import KioskButton

        found: list[Any] = []

        def walk(widget: Any) -> None:
            if getattr(widget, "opacity", 1) == 0:
                return
            if isinstance(widget, KioskButton) and not widget.disabled:
                found.append(widget)
            for child in widget.children:
                walk(child)

        for root in self._roots():
            walk(root)
        return found

    def find(self, text: str, seconds: float = 5.0) -> Any:
        """The button showing `text`, waiting for it a little: a bar or row that measures
        its words lays itself out again a frame after the screen appears. A choice's tick
        (" ✓", the current one) is not part of its name."""

        def match() -> Any:
            for button in self.buttons():
                shown = button.text.removesuffix(" ✓")
                if shown == text or shown.split("\n")[0] == text:
                    return button
            return None

        if match() is None:
            self.wait_until(lambda: match() is not None, seconds)
        found = match()
        if found is None:
            labels = [b.text for b in self.buttons()]
            raise AssertionError(f"no button {text!r} on {self.screen}; there are {labels}")
        return found

    def texts(self) -> str:
        return "\n".join(self.app.manager.current_screen.texts())

    def cut_texts(self) -> list[str]:
        """Every visible label whose text does not fit: its texture larger than its box,
        a word broken across lines, or the box outside the window (outside a scroll
        view). Each as 'screen: text (why)'; empty when everything fits."""
        from kivy.core.window import Window
        from kivy.uix.label import Label
        from kivy.uix.scrollview import ScrollView

        problems: list[str] = []

        def check(label: Any, scrolled: bool) -> None:
            text = label.text.strip()
            if not text or label.markup:
                return
            label.texture_update()
            tw, th = label.texture_size
            why = []
            if tw > label.width + 1 or th > label.height + 1:
                why.append(f"text {tw:.0f}×{th:.0f} in a box {label.width:.0f}×{label.height:.0f}")
            lines = [
                "".join(word.text for word in line.words)
                for line in (getattr(label._label, "_cached_lines", None) or [])
            ]
            broken = [w for w in text.split() if lines and not any(w in line for line in lines)]
            if broken:
                why.append(f"word broken: {broken[0]}")
            if not scrolled:
                x, y = label.to_window(label.x, label.y)
                right, top = label.to_window(label.right, label.top)
                if x < -1 or y < -1 or right > Window.width + 1 or top > Window.height + 1:
                    why.append(f"box ({x:.0f},{y:.0f})–({right:.0f},{top:.0f}) off the window")
            for icon in label.canvas.after.get_group("icon"):
                if not hasattr(icon, "pos"):
                    continue
                (ix, iy), (iw, ih) = icon.pos, icon.size
                if (
                    ix < label.x - 1
                    or ix + iw > label.right + 1
                    or abs(iy + ih / 2 - label.center_y) > 2
                ):
                    why.append(f"icon at ({ix:.0f},{iy:.0f}) outside or off-centre")
            if why:
                problems.append(f"{self.screen}: {text[:40]!r} ({'; '.join(why)})")

        def walk(widget: Any, scrolled: bool) -> None:
            if getattr(widget, "opacity", 1) == 0:
                return
            if isinstance(widget, Label):
                check(widget, scrolled)
            if isinstance(widget, ScrollView) and widget.height < self.app.row * 1.4 - 1:
                problems.append(
                    f"{self.screen}: a scrolling list {widget.height:.0f} px tall shows "
                    f"less than one row ({self.app.row * 1.4:.0f} px)"
                )
            for child in widget.children:
                walk(child, scrolled or isinstance(widget, ScrollView))

        for root in self._roots():
            walk(root, False)
        return problems

    def resize(self, width: int, height: int) -> None:
        """The window at another size (a 7\" panel, a portrait kiosk), laid out again."""
        from kivy.core.window import Window

        Window.size = (width, height)
        self.wait_until(lambda: tuple(Window.size) == (width, height), 5)
        self.pump(0.3)

    # --- touching -----------------------------------------------------------------------

    def tap_at(self, x: float, y: float, hold_s: float = 0.05) -> None:
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(hold_s)
        touch.touch_up()
        self.pump(0.1)

    def tap(self, target: str | Any) -> None:
        # The screen settles first: a bar or row that measures its words may lay out
        # (or rebuild its buttons) a frame after a change, and a finger would wait too.
        self.settle()
        widget = self.find(target) if isinstance(target, str) else target
        self._settle(widget)
        self.tap_at(*widget.to_window(*widget.center))

    def _settle(self, widget: Any) -> None:
        """Wait until the widget stops moving: a list whose buttons grow to fit their
        words lays out over a frame or two, and a touch must land where a finger would."""
        last = None
        for _ in range(40):
            now = (tuple(widget.to_window(*widget.pos)), tuple(widget.size))
            if now == last:
                return
            last = now
            self.pump(0.05)

    def type(self, text: str) -> None:
        """Taps the on-screen keyboard's keys. The keys are looked up again for each one:
        a keyboard rebuilds itself when its width or the language changes."""
        from kiosk.ui.widgets import OnScreenKeyboard

        def keys() -> dict[str, Any]:
            keyboards = [
                w for w in self.app.manager.current_screen.walk() if isinstance(w, OnScreenKeyboard)
            ]
            return {
                str(getattr(b, "key_value", "")): b
                for row in keyboards[0].children
                for b in row.children
            }

        for char in text:
            self.settle()
            self.tap(keys()["space" if char == " " else char])

    def screenshot(self, name: str) -> Path:
        from kivy.core.window import Window

        (SCREENSHOTS / name).parent.mkdir(parents=True, exist_ok=True)
        self.pump(0.2)
        taken = Path(Window.screenshot(name=str(SCREENSHOTS / f"{name}-%(counter)s.png")))
        target = SCREENSHOTS / f"{name}.png"
        taken.replace(target)
        return target

    def outbox(self, type_: str | None = None) -> list[tuple[str, str | None, dict[str, Any]]]:
        import json

        rows = self.store.db.execute("SELECT type, session_id, data FROM outbox ORDER BY seq")
        return [(t, s, json.loads(d)) for t, s, d in rows.fetchall() if type_ in (None, t)]

    def stop(self) -> None:
        self.app.stop()
