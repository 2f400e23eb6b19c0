"""The few widgets every screen is built from.

KioskButton is the only thing a citizen presses. In speech mode its first
press reads it aloud and the second (within a few seconds) activates it, the
usual pattern for closed-functionality kiosks: a blind user explores by touch
with one finger and never needs a gesture.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

CONFIRM_WINDOW_S = 5.0

# Letters for the search keyboard: Finnish/Swedish order with å, ä, ö.
TEXT_ROWS = [
    list("1234567890"),
    list("qwertyuiopå"),
    list("asdfghjklöä"),
    list("zxcvbnm-"),
]
# Booking codes use no 0/O/1/I/L (contract/codes.py), so their keyboard has none either.
CODE_ROWS = [list("23456789"), list("ABCDEFGHJK"), list("MNPQRSTUVW"), list("XYZ")]
PIN_ROWS = [list("123"), list("456"), list("789"), list("0")]


class KioskButton(ButtonBehavior, Label):
    """A large, themed, speech-aware button; screens listen to `on_activate`."""

    speak_as = StringProperty("")
    style = OptionProperty("normal", options=["normal", "accent", "quiet", "key"])
    __events__ = ("on_activate",)

    def __init__(self, **kwargs: Any) -> None:
        self._armed_at = 0.0
        super().__init__(**kwargs)

    def spoken_text(self) -> str:
        return self.speak_as or self.text

    def on_release(self) -> None:
        app = App.get_running_app()
        if app is not None and getattr(app, "speech_mode", False):
            now = time.monotonic()
            if now - self._armed_at > CONFIRM_WINDOW_S:
                self._armed_at = now
                app.speak(self.spoken_text())
                return
            self._armed_at = 0.0
        self.dispatch("on_activate")

    def on_activate(self) -> None:
        pass


class Heading(Label):
    pass


class Body(Label):
    pass


class OnScreenKeyboard(BoxLayout):
    """Keys for search (with å, ä, ö), booking codes or a PIN; emits `on_key`."""

    layout = OptionProperty("text", options=["text", "code", "pin"])
    __events__ = ("on_key",)

    def on_kv_post(self, base_widget: Any) -> None:
        self._build()
        app = App.get_running_app()
        if app is not None:
            app.bind(language=lambda *_: self._build())

    def on_layout(self, *_: Any) -> None:
        self._build()

    def _build(self) -> None:
        self.clear_widgets()
        rows = {"text": TEXT_ROWS, "code": CODE_ROWS, "pin": PIN_ROWS}[self.layout]
        app = App.get_running_app()
        t = app.t if app is not None else (lambda msgid: msgid)
        key_height = (app.touch_min if app is not None else 48) * 1.25
        self.size_hint_y = None
        self.height = len(rows) * (key_height + self.spacing)
        for row in rows:
            line = BoxLayout(spacing="4dp", size_hint_y=None, height=key_height)
            for char in row:
                line.add_widget(self._key(char, char))
            if row is rows[-1]:
                if self.layout == "text":
                    line.add_widget(self._key("space", t("Space"), width=2))
                line.add_widget(self._key("backspace", t("Erase"), width=1.5))
            self.add_widget(line)

    def _key(self, value: str, label: str, width: float = 1) -> KioskButton:
        key = KioskButton(text=label, style="key", size_hint_x=width)
        key.key_value = value
        key.bind(on_activate=lambda button: self.dispatch("on_key", button.key_value))
        return key

    def on_key(self, value: str) -> None:
        pass


class IdleWarning(ModalView):
    """'Are you still there?' with a big 'more time' button and a countdown."""

    seconds_left = StringProperty("")
    can_extend = BooleanProperty(True)
