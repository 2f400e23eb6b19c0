"""The few widgets every screen is built from.

KioskButton is the only thing a citizen presses. In speech mode its first
press reads it aloud and the second (within a few seconds) activates it, the
usual pattern for closed-functionality kiosks: a blind user explores by touch
with one finger and never needs a gesture.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from kivy.app import App
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp, mm, sp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from kiosk.ui import icons

CONFIRM_WINDOW_S = 5.0
# The top bar's words are body-sized: eight buttons fit a 1024-pixel-wide panel.
TOP_BAR_FONT = 22
# An icon is this much larger than its button's words; the words keep this margin
# inside the button (widgets.kv: text_size is the width less it).
ICON_SCALE = 1.15
ICON_GAP = dp(10)
TEXT_MARGIN = dp(16)
# A keyboard narrower than this puts space and erase on a row of their own.
NARROW_KEYBOARD = 760

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


class Heading(Label):
    pass


class SubHeading(Heading):
    """A section heading inside a screen (the service's sections)."""


class Body(Label):
    pass


class ListItem(BoxLayout):
    """One item of a list in a service's text: its marker (•, 1.) and its words, wrapped
    beside the marker."""

    marker = StringProperty("")
    text = StringProperty("")


class RichText(BoxLayout):
    """PTV's Markdown-like text as headings, paragraphs and lists (kiosk/rich_text.py)."""

    text = StringProperty("")

    def on_kv_post(self, base_widget: Any) -> None:
        self._build()

    def on_text(self, *_: Any) -> None:
        if self.canvas is not None:  # not while being made: on_kv_post builds then
            self._build()

    def _build(self) -> None:
        from kiosk.rich_text import blocks

        self.clear_widgets()
        for block in blocks(self.text):
            if block.kind == "heading":
                self.add_widget(SubHeading(text=block.text))
            elif block.kind == "paragraph":
                self.add_widget(Body(text=block.text))
            else:
                for marker, words in block.items:
                    self.add_widget(ListItem(marker=marker, text=words))


class OnScreenKeyboard(BoxLayout):
    """Keys for search (with å, ä, ö), booking codes or a PIN; emits `on_key`."""

    layout = OptionProperty("text", options=["text", "code", "pin"])
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

    def _width_changed(self, *_: Any) -> None:
        if (self.width < NARROW_KEYBOARD) != self._narrow:
            self._rebuild()

    def _build(self) -> None:
        self.clear_widgets()
        rows = {"text": TEXT_ROWS, "code": CODE_ROWS, "pin": PIN_ROWS}[self.layout]
        app = App.get_running_app()
        t = app.t if app is not None else (lambda msgid: msgid)
        key_height = (app.touch_min if app is not None else 48) * 1.25
        # Narrow (beside a list on a 7" panel): space and erase get a row of their own,
        # wide enough for their words.
        self._narrow = self.width < NARROW_KEYBOARD
        words_row = self._narrow and self.layout == "text"
        self.size_hint_y = None
        self.height = (len(rows) + words_row) * (key_height + self.spacing)
        for row in rows:
            line = BoxLayout(spacing="4dp", size_hint_y=None, height=key_height)
            for char in row:
                line.add_widget(self._key(char, char))
            if row is rows[-1]:
                if words_row:
                    self.add_widget(line)
                    line = BoxLayout(spacing="4dp", size_hint_y=None, height=key_height)
                # Words on keys are body-sized: "Mellanslag" must fit a key on a 7" panel.
                if self.layout == "text":
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
        key.bind(on_activate=lambda button: self.dispatch("on_key", button.key_value))
        return key

    def on_key(self, value: str) -> None:
        pass


class IdleWarning(ModalView):
    """'Are you still there?' with a big 'more time' button and a countdown."""

    seconds_left = StringProperty("")
    can_extend = BooleanProperty(True)


def _icon_room(font_size: float) -> float:
    """The room an icon will take left of a button's words (the glyph and a gap), for
    measuring before the button exists."""
    return font_size * ICON_SCALE + ICON_GAP


def _widest(pieces: list[str], font_size: float, bold: bool = False) -> float:
    """The rendered width of the widest of `pieces` (lines or words) in the UI's font."""
    from kivy.core.text import Label as CoreLabel

    measure = CoreLabel(font_size=font_size, font_name="Roboto", bold=bold)
    return max((measure.get_extents(piece)[0] for piece in pieces), default=0)


def _one_line_width(text: str, has_icon: bool, font_size: float) -> float:
    """The width a button needs to show `text` (and its icon) without wrapping."""
    icon_room = _icon_room(font_size) if has_icon and icons.available() else 0
    return _widest(text.split("\n"), font_size) + TEXT_MARGIN + icon_room


def language_label(app: Any) -> str:
    """'Kieli / Språk / Language': the word in every language, so anyone finds it."""
    return " / ".join(dict.fromkeys(app.t("Language", x) for x in app.languages))


class Chooser(ModalView):
    """A few big choices over the current screen, with a close button; the top bar's
    folded language and accessibility choices open one."""

    title = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        app.bind(
            language=self._refresh,
            large_text=self._refresh,
            high_contrast=self._refresh,
            speech_mode=self._refresh,
        )
        self.bind(
            on_dismiss=lambda *_: app.unbind(
                language=self._refresh,
                large_text=self._refresh,
                high_contrast=self._refresh,
                speech_mode=self._refresh,
            )
        )
        self._refresh()

    def choices(self) -> list[tuple[str, str, Any]]:
        """(text, icon, action) for each choice."""
        return []

    def _refresh(self, *_: Any) -> None:
        app = App.get_running_app()
        box = self.ids.choices
        box.clear_widgets()
        for text, icon, action in self.choices():
            button = KioskButton(text=text, icon=icon, style="quiet")
            button.bind(on_activate=lambda _b, action=action: action())
            box.add_widget(button)
        close = KioskButton(text=app.t("Close"), icon="close", style="accent")
        close.bind(on_activate=lambda _b: self.dismiss())
        box.add_widget(close)


class LanguageChooser(Chooser):
    def choices(self) -> list[tuple[str, str, Any]]:
        app = App.get_running_app()
        self.title = language_label(app)

        def choose(language: str) -> None:
            app.set_language(language)
            self.dismiss()

        return [
            (
                app.translations.names[x] + (" ✓" if x == app.language else ""),
                "",
                lambda x=x: choose(x),
            )
            for x in app.languages
        ]


class AccessibilityChooser(Chooser):
    def choices(self) -> list[tuple[str, str, Any]]:
        app = App.get_running_app()
        self.title = app.t("Accessibility")
        options = [
            ("large_text", app.t("Large text"), "format-size"),
            ("high_contrast", app.t("High contrast"), "contrast-circle"),
            ("speech_mode", app.t("Speech"), "text-to-speech"),
        ]
        return [
            (text + (" ✓" if getattr(app, key) else ""), icon, lambda key=key: app.toggle(key))
            for key, text, icon in options
        ]


class ButtonRow(GridLayout):
    """Buttons side by side, in as many rows as their words need: on a 7" panel, a
    portrait kiosk or in large text, a row of seven call controls becomes two rows
    of four instead of seven buttons with broken words."""

    unit = NumericProperty(1.5)  # each row's height in `app.row`s

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
        needs = [_button_need(b) for b in reversed(buttons)]  # children are last-first
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


def _button_need(button: KioskButton) -> float:
    """The narrowest a button can be: its longest word on a line, and its words on at
    most two lines."""
    longest = _widest(button.text.split(), button.font_size, button.bold)
    whole = _widest(button.text.split("\n"), button.font_size, button.bold)
    return max(longest, whole / 2) + TEXT_MARGIN + button.padding[0]


class TopBar(ButtonRow):
    """The bar over every citizen screen: home, languages, accessibility, finish.

    All eight buttons when their words fit on one line; otherwise (a 7" panel, a
    portrait kiosk, large text) the languages fold into one "Kieli / Språk / Language"
    button and the accessibility choices into one, each opening a chooser; if even those
    four do not fit (portrait, large text), they take two rows. It is built in Python
    because which buttons it has depends on measuring their words.
    """

    compact = BooleanProperty(False)

    def on_kv_post(self, base_widget: Any) -> None:
        from kivy.clock import Clock

        super().on_kv_post(base_widget)
        self._rebuild = Clock.create_trigger(lambda _dt: self._build())
        app = App.get_running_app()
        if app is not None:
            app.bind(language=self._rebuild, text_scale=self._rebuild)
        self.bind(width=self._rebuild)
        self._build()

    def _build(self) -> None:
        app = App.get_running_app()
        if app is None:
            return
        t = app.t
        full = [
            ("home", t("Home"), "home", "", app.go_home),
            *[
                (
                    f"lang_{x}",
                    x.upper(),
                    "",
                    app.translations.names[x],
                    lambda x=x: app.set_language(x),
                )
                for x in app.languages
            ],
            (
                "large_text",
                "A+" if not app.large_text else "A-",
                "",
                t("Large text"),
                lambda: app.toggle("large_text"),
            ),
            (
                "high_contrast",
                t("Contrast"),
                "",
                t("High contrast"),
                lambda: app.toggle("high_contrast"),
            ),
            ("speech_mode", t("Speech"), "", "", lambda: app.toggle("speech_mode")),
            ("finish", t("Finish"), "exit-to-app", "", app.finish),
        ]
        font_size = sp(TOP_BAR_FONT) * app.text_scale
        share = (self.width - self.spacing[0] * (len(full) - 1)) / len(full)
        needed = {key: _one_line_width(text, bool(icon), font_size) for key, text, icon, *_ in full}
        self.compact = max(needed.values()) > share
        buttons = full
        if self.compact:
            buttons = [
                full[0],
                (
                    "language",
                    language_label(app),
                    "translate",
                    "",
                    lambda: LanguageChooser().open(),
                ),
                (
                    "accessibility",
                    t("Accessibility"),
                    "wheelchair-accessibility",
                    "",
                    lambda: AccessibilityChooser().open(),
                ),
                full[-1],
            ]
        self.clear_widgets()
        for key, text, icon, speak_as, action in buttons:
            button = KioskButton(
                text=text,
                icon=icon,
                speak_as=speak_as,
                style="accent" if key == "finish" else "normal",
                font_base=TOP_BAR_FONT,
            )
            button.bar_key = key
            button.bind(on_activate=lambda _b, action=action: action())
            self.add_widget(button)
