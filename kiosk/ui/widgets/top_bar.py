"""The bar at the top of every screen: home, language, accessibility, finish; compact
(language and accessibility as two choosers) when the words would not fit."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import sp
from kivy.properties import BooleanProperty

from kiosk.ui.widgets.buttons import ButtonRow, KioskButton, one_line_width
from kiosk.ui.widgets.dialogs import AccessibilityChooser, LanguageChooser, language_label

# The top bar's words are body-sized: eight buttons fit a 1024-pixel-wide panel.
TOP_BAR_FONT = 22


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
        needed = {key: one_line_width(text, bool(icon), font_size) for key, text, icon, *_ in full}
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
