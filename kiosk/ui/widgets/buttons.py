"""The button a citizen presses (speech-aware: in speech mode the first press reads it
aloud, the second activates it), and the rows that size buttons to their words."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from kivy.app import App
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.ui import icons

CONFIRM_WINDOW_S = 5.0
# An icon is this much larger than its button's words; the words keep this margin
# inside the button (widgets.kv: text_size is the width less it).
ICON_SCALE = 1.15
ICON_GAP = dp(10)
TEXT_MARGIN = dp(16)


class KioskButton(ButtonBehavior, Label):
    """A large, themed, speech-aware button; screens listen to `on_activate`.

    `icon` names a Material Design icon (kiosk/ui/icons.py) drawn just left of the
    words; the words keep their place in `text`, so speech and tests read them as before.
    """

    speak_as = StringProperty("")
    style = OptionProperty("normal", options=["normal", "accent", "quiet", "key"])
    icon = StringProperty("")
    # The font size in sp before large text scales it; 0 for the style's own size.
    font_base = NumericProperty(0)
    __events__ = ("on_activate",)

    def __init__(self, **kwargs: Any) -> None:
        self._armed_at = 0.0
        self._icon_texture: Any = None
        super().__init__(**kwargs)
        self.bind(icon=self._new_icon, font_size=self._new_icon)
        self.bind(
            texture=self._place_icon,
            pos=self._place_icon,
            size=self._place_icon,
            color=self._place_icon,
        )
        self._new_icon()

    def _new_icon(self, *_: Any) -> None:
        character = icons.glyph(self.icon)
        self._icon_texture = _icon_texture(character, round(self.font_size * ICON_SCALE))
        room = self._icon_texture.width + ICON_GAP if self._icon_texture is not None else 0
        self.padding = [room, 0, 0, 0]
        self._place_icon()

    def _place_icon(self, *_: Any) -> None:
        """The icon sits left of the widest line, the two centred together."""
        self.canvas.after.remove_group("icon")
        icon = self._icon_texture
        if icon is None or self.texture is None:
            return
        lines = getattr(self._label, "_cached_lines", None) or []
        text_w = max((line.w for line in lines), default=0)
        texture_w = self.texture.width
        room = self.padding[0]
        text_left = self.center_x - texture_w / 2 + room + (texture_w - room - text_w) / 2
        if self.halign == "left":
            text_left = self.center_x - texture_w / 2 + room
        with self.canvas.after:
            Color(rgba=self.color, group="icon")
            Rectangle(
                texture=icon,
                pos=(round(text_left - room), round(self.center_y - icon.height / 2)),
                size=icon.size,
                group="icon",
            )

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


@lru_cache(maxsize=64)
def _icon_texture(character: str, size: int) -> Any:
    """One texture per icon and size (a few dozen at most), shared by every button."""
    if not character:
        return None
    from kivy.core.text import Label as CoreLabel

    label = CoreLabel(text=character, font_name=str(icons.FONT), font_size=size)
    label.refresh()
    return label.texture


class ListButton(KioskButton):
    """A button in a list whose words may take several lines (an organisation's long
    name): it grows to fit them instead of cutting them."""


class ButtonRow(GridLayout):
    """Buttons side by side, in as many rows as their words need: on a 7" panel, a
    portrait kiosk or in large text, a row of seven call controls becomes two rows
    of four instead of seven buttons with broken words."""

    unit = NumericProperty(1.5)  # each row's height in `app.row`s
    # Each button's words on one line, in more rows if need be ("Scan a document" over
    # two lines beside one-word buttons reads as two buttons): the call's controls.
    one_line = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cols", 1)  # until its buttons are measured
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget: Any) -> None:
        from kivy.clock import Clock

        self._arrange_soon = Clock.create_trigger(lambda _dt: self._arrange())
        app = App.get_running_app()
        app.bind(language=self._arrange_soon, text_scale=self._arrange_soon, row=self._arrange_soon)
        self.bind(width=self._arrange_soon, children=self._arrange_soon)
        self.size_hint_y = None
        self._arrange()

    def _arrange(self) -> None:
        app = App.get_running_app()
        buttons = [b for b in self.children if isinstance(b, KioskButton)]
        if not buttons or app is None:
            return
        # children are last-first
        needs = [_button_need(b, self.one_line, self.width) for b in reversed(buttons)]
        cols = len(buttons)
        while cols > 1:
            widest = [max(needs[j::cols]) for j in range(cols)]
            if sum(widest) + self.spacing[0] * (cols - 1) <= self.width:
                break
            cols -= 1
        rows = -(-len(buttons) // cols)
        self.cols = cols
        # Each column at least what its words need; the rest of the width shared out.
        self.cols_minimum = {j: max(needs[j::cols]) for j in range(cols)} if cols > 1 else {}
        self.row_default_height = app.row * self.unit
        self.row_force_default = True
        self.height = rows * self.row_default_height + (rows - 1) * self.spacing[1]


def offer(button: KioskButton, offered: bool) -> None:
    """Takes a button out of its row where what it does cannot be done here (Print
    without an A4 printer, Mute without a microphone), and puts it back where it was:
    a disabled button a citizen cannot use is only noise."""
    home = getattr(button, "_row_home", None)
    if not offered and button.parent is not None:
        row = button.parent
        button._row_home = (row, row.children.index(button))
        row.remove_widget(button)
    elif offered and button.parent is None and home is not None:
        row, index = home
        row.add_widget(button, index=min(index, len(row.children)))


def _button_need(button: KioskButton, one_line: bool = False, room: float = 0) -> float:
    """The narrowest a button can be: its longest word on a line, and its words on at
    most two lines; or, `one_line`, all its words on one line where that fits in `room`."""
    if one_line:
        whole = one_line_width(button.text, bool(button.icon), button.font_size)
        if whole <= room:
            return whole
    longest = _widest(button.text.split(), button.font_size, button.bold)
    whole = _widest(button.text.split("\n"), button.font_size, button.bold)
    return max(longest, whole / 2) + TEXT_MARGIN + button.padding[0]


def _icon_room(font_size: float) -> float:
    """The room an icon will take left of a button's words (the glyph and a gap), for
    measuring before the button exists."""
    return font_size * ICON_SCALE + ICON_GAP


def _widest(pieces: list[str], font_size: float, bold: bool = False) -> float:
    """The rendered width of the widest of `pieces` (lines or words) in the UI's font."""
    from kivy.core.text import Label as CoreLabel

    measure = CoreLabel(font_size=font_size, font_name="Roboto", bold=bold)
    return max((measure.get_extents(piece)[0] for piece in pieces), default=0)


def one_line_width(text: str, has_icon: bool, font_size: float) -> float:
    """The width a button needs to show `text` (and its icon) without wrapping."""
    icon_room = _icon_room(font_size) if has_icon and icons.available() else 0
    return _widest(text.split("\n"), font_size) + TEXT_MARGIN + icon_room
