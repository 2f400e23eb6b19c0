"""The call's chat: the official's video beside the conversation so far (the citizen
still sees who they write to), what the others are writing now, the line the citizen
types on the on-screen keyboard, and Send. Each key also goes out at once as
real-time text (EN 301 549 6.2: text as it is typed, beside the voice)."""

from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.call.live_text import LINE_END, typed_change

MAX_TYPED = 500


class CallChat(BoxLayout):
    """Fires `on_typing(characters)` as keys are pressed and `on_send(text)` on Send."""

    lines = StringProperty("")
    live_line = StringProperty("")
    typed = StringProperty("")
    peer_texture = ObjectProperty(None, allownone=True)  # the official's picture, shared

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_typing")
        self.register_event_type("on_send")
        super().__init__(**kwargs)

    def key(self, value: str) -> None:
        before = self.typed
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif value == "space":
            self.typed += " "
        elif len(self.typed) < MAX_TYPED:
            self.typed += value
        if self.typed != before:
            self.dispatch("on_typing", typed_change(before, self.typed))

    def send(self) -> None:
        self.dispatch("on_typing", LINE_END)
        text = self.typed.strip()
        if text:
            self.dispatch("on_send", text)
            self.typed = ""

    def clear(self) -> None:
        self.lines = self.live_line = self.typed = ""

    def on_typing(self, _characters: str) -> None:
        pass

    def on_send(self, _text: str) -> None:
        pass
