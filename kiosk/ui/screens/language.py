"""Language choice, with the accessibility options next to it."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskButton


class LanguageScreen(KioskScreen):
    def on_kv_post(self, base_widget: Any) -> None:
        for language in self.app.languages:
            button = KioskButton(text=self.app.translations.names[language])
            button.language = language
            button.bind(on_activate=lambda b: self.choose(b.language))
            self.ids.languages.add_widget(button)

    def choose(self, language: str) -> None:
        self.app.set_language(language)
        self.app.go("home")
