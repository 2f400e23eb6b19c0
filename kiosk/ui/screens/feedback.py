"""The satisfaction question (1–5) at the end; then thanks, and the session ends."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty

from kiosk.ui.screens.base import KioskScreen

THANKS_S = 3.0


class FeedbackScreen(KioskScreen):
    answered = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.answered = False

    def answer(self, score: int | None) -> None:
        if self.answered:
            return
        if score is not None:
            self.app.record("satisfaction", score=score)
        self.answered = True
        Clock.schedule_once(lambda _dt: self.app.end_session("finished"), THANKS_S)

    def wipe(self) -> None:
        self.answered = False
