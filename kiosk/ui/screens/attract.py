"""The attract screen: wakes on a touch or the presence sensor.

A short touch starts a session. Pressing and holding for three seconds starts
one with speech guidance, so a person who cannot see the screen can begin
without finding a button. Five taps in the top-left corner open the
technician's PIN entry.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import NumericProperty

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.technician_corner import TechnicianCorner

LONG_PRESS_S = 3.0
CYCLE_S = 4.0


class AttractScreen(KioskScreen):
    cycle = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.corner = TechnicianCorner()
        self._press: Any = None
        self._long_fired = False

    def on_enter(self, *_: Any) -> None:
        self._cycler = Clock.schedule_interval(lambda _dt: self._next_language(), CYCLE_S)
        self.app.refresh_video_now()

    def on_leave(self, *_: Any) -> None:
        self._cycler.cancel()

    def _next_language(self) -> None:
        self.cycle = (self.cycle + 1) % max(1, len(self.app.languages))

    def cycle_language(self, cycle: int) -> str:
        languages = self.app.languages
        return languages[cycle % len(languages)] if languages else "en"

    def greet(self) -> None:
        """Someone walked up: tell them, by voice too, how to start with speech."""
        language = self.app.default_language
        self.app.speaker.say(
            self.app.t("Touch the screen to start.", language)
            + " "
            + self.app.t("For speech guidance, press and hold the screen for 3 seconds.", language),
            language,
        )

    def on_touch_down(self, touch: Any) -> bool:
        if self.corner.tap(self, touch):
            if self.corner.opened:
                self.app.go("technician_pin")
            return True
        self._long_fired = False
        self._press = Clock.schedule_once(lambda _dt: self._long_press(), LONG_PRESS_S)
        return True

    def _long_press(self) -> None:
        self._long_fired = True
        self.app.start_speech_mode()

    def on_touch_up(self, touch: Any) -> bool:
        if self._press is not None:
            self._press.cancel()
            self._press = None
            if not self._long_fired and self.app.manager.current == self.name:
                self.app.start_session()
                self.app.go("language")
        return True
