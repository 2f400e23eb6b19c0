"""The on-screen keyboard: letters for search and chat, an e-mail address, booking-code
letters, PIN digits."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import mm
from kivy.properties import BooleanProperty, OptionProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui.widgets.buttons import KioskButton

# A keyboard narrower than this puts space and erase on a row of their own.
NARROW_KEYBOARD = 760
# Letters for the search keyboard: Finnish/Swedish order with å, ä, ö.
TEXT_ROWS = [
    list("1234567890"),
    list("qwertyuiopå"),
    list("asdfghjklöä"),
    list("zxcvbnm-"),
]
# Chat: the letters, then punctuation; Shift makes the next letter a capital.
CHAT_ROWS = [
    list("1234567890"),
    list("qwertyuiopå"),
    list("asdfghjklöä"),
    list("zxcvbnm,.-"),
    list("?!:;'()@/€"),
]
# An e-mail address: letters, digits and what addresses have; four rows, so a 7" panel
# keeps room for the address above it.
EMAIL_ROWS = [
    list("1234567890"),
    list("qwertyuiop"),
    list("asdfghjkl@"),
    list("zxcvbnm._-"),
]
# Booking codes use no 0/O/1/I/L (contract/codes.py), so their keyboard has none either.
CODE_ROWS = [list("23456789"), list("ABCDEFGHJK"), list("MNPQRSTUVW"), list("XYZ")]
PIN_ROWS = [list("123"), list("456"), list("789"), list("0")]


class OnScreenKeyboard(BoxLayout):
    """Keys for search (with å, ä, ö), booking codes or a PIN; emits `on_key`."""

    layout = OptionProperty("text", options=["text", "chat", "code", "pin", "email"])
    shifted = BooleanProperty(False)  # chat: the next letter is a capital
    # A citizen's PIN: speech mode says where a key is, never its digit.
    secret = BooleanProperty(False)
    __events__ = ("on_key",)

    def on_kv_post(self, base_widget: Any) -> None:
        from kivy.clock import Clock

        self._narrow: bool | None = None
        self._rebuild = Clock.create_trigger(lambda _dt: self._build())
        self._build()
        app = App.get_running_app()
        if app is not None:
            app.bind(language=self._rebuild)
        self.bind(width=self._width_changed)

    def on_layout(self, *_: Any) -> None:
        self._build()

    def on_secret(self, *_: Any) -> None:
        self._build()

    def _width_changed(self, *_: Any) -> None:
        if (self.width < NARROW_KEYBOARD) != self._narrow:
            self._rebuild()

    def _build(self) -> None:
        self.clear_widgets()
        rows = {
            "text": TEXT_ROWS,
            "chat": CHAT_ROWS,
            "code": CODE_ROWS,
            "pin": PIN_ROWS,
            "email": EMAIL_ROWS,
        }[self.layout]
        self._letters: list[KioskButton] = []
        app = App.get_running_app()
        t = app.t if app is not None else (lambda msgid: msgid)
        key_height = (app.touch_min if app is not None else 48) * 1.25
        # Narrow (beside a list on a 7" panel): space and erase get a row of their own,
        # wide enough for their words.
        self._narrow = self.width < NARROW_KEYBOARD
        words = self.layout in ("text", "chat")
        # Chat's last row is full of punctuation: its word keys always get their own.
        # A narrow e-mail keyboard's last row is full too.
        words_row = (
            (self._narrow and words)
            or self.layout == "chat"
            or (self._narrow and self.layout == "email")
        )
        self.size_hint_y = None
        self.height = (len(rows) + words_row) * (key_height + self.spacing)
        for row_number, row in enumerate(rows, start=1):
            line = BoxLayout(spacing="4dp", size_hint_y=None, height=key_height)
            for column, char in enumerate(row, start=1):
                key = self._key(char, char.upper() if self.shifted else char)
                if char.isalpha():
                    self._letters.append(key)
                if self.secret:
                    key.speak_as = t("Row {row}, key {column}").format(
                        row=row_number, column=column
                    )
                line.add_widget(key)
            if row is rows[-1]:
                if words_row:
                    self.add_widget(line)
                    line = BoxLayout(spacing="4dp", size_hint_y=None, height=key_height)
                # Words on keys are body-sized: "Mellanslag" must fit a key on a 7" panel.
                if self.layout == "chat":
                    line.add_widget(self._key("shift", t("Capital"), width=2, words=True))
                if words:
                    line.add_widget(self._key("space", t("Space"), width=2.5, words=True))
                line.add_widget(self._key("backspace", t("Erase"), width=2, words=True))
            self.add_widget(line)

    def _key(self, value: str, label: str, width: float = 1, words: bool = False) -> KioskButton:
        # Keys may be as narrow as 9 mm (EN 301 549's minimum), not the 11 mm of other
        # buttons: eleven of them fit beside the results on a 7" panel.
        key = KioskButton(text=label, style="key", size_hint_x=width)
        key.size_hint_min_x = mm(9)
        if words:
            key.font_base = 22
        key.key_value = value
        key.bind(on_activate=lambda button: self._press(button.key_value))
        return key

    def _press(self, value: str) -> None:
        if value == "shift":
            self.shifted = not self.shifted
        elif self.shifted and value.isalpha() and len(value) == 1:
            self.shifted = False  # one capital, as a phone's keyboard does
            self.dispatch("on_key", value.upper())
        else:
            self.dispatch("on_key", value)

    def on_shifted(self, *_: Any) -> None:
        for key in getattr(self, "_letters", []):
            key.text = key.key_value.upper() if self.shifted else key.key_value

    def on_key(self, value: str) -> None:
        pass
