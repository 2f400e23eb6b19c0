"""Dialogs over a screen: the idle warning and the language and accessibility choosers."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk.ui.widgets.buttons import KioskButton


class IdleWarning(ModalView):
    """'Are you still there?' with a big 'more time' button and a countdown."""

    seconds_left = StringProperty("")
    can_extend = BooleanProperty(True)


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
