"""Language choice, with the accessibility options next to it.

Its heading is in every language the site offers and the current language is ticked:
whoever walks up finds their own language, whatever the last citizen chose."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskButton


class LanguageScreen(KioskScreen):
    def on_kv_post(self, base_widget: Any) -> None:
        self._buttons: list[KioskButton] = []
        for language in self.app.languages:
            button = KioskButton()
            button.language = language
            button.bind(on_activate=lambda b: self.choose(b.language))
            self.ids.languages.add_widget(button)
            self._buttons.append(button)
        self.app.bind(language=lambda *_: self._mark())
        self._mark()

    def heading(self) -> str:
        """'Valitse kieli / Välj språk / Choose your language'."""
        return " / ".join(
            dict.fromkeys(self.app.t("Choose your language", x) for x in self.app.languages)
        )

    def _mark(self) -> None:
        for button in self._buttons:
            name = self.app.translations.names[button.language]
            button.text = name + (" ✓" if button.language == self.app.language else "")

    def choose(self, language: str) -> None:
        self.app.set_language(language)
        self.app.go("home")
