"""The service catalogue: by organisation, or search-as-you-type on the on-screen keyboard.

A search result names the service's organisation under its name (the same service
name comes from Kela and from the city). The keyboard folds away while the citizen
browses an organisation's list, and starts folded in large text on a screen where it
would sit under the list and hide most of it; the search field or the keyboard button
brings it back."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk import catalogue
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import ListButton

MAX_RESULTS = 12


class CatalogueScreen(KioskScreen):
    typed = StringProperty("")
    category = StringProperty("")  # the organisation being browsed, "" for all
    keyboard_open = BooleanProperty(True)

    def prepare(self, **params: Any) -> None:
        self.typed = ""
        self.category = ""
        # Under the list (not beside it) large keys leave room for two rows of results.
        self.keyboard_open = self.app.short_screen or self.app.text_scale == 1.0
        self.refresh()

    def toggle_keyboard(self) -> None:
        self.keyboard_open = not self.keyboard_open

    def wipe(self) -> None:
        self.typed = ""
        self.category = ""
        self.ids.results.clear_widgets()

    def key(self, value: str) -> None:
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif value == "space":
            self.typed += " "
        elif len(self.typed) < 40:
            self.typed += value
        self.category = ""
        self.refresh()

    def on_kv_post(self, base_widget: Any) -> None:
        self.app.bind(language=lambda *_: self.refresh() if self.manager else None)

    def refresh(self) -> None:
        results = self.ids.results
        results.clear_widgets()
        language = self.app.language
        store = self.app.store
        if self.typed.strip():
            for item in catalogue.search(store, self.typed, limit=MAX_RESULTS):
                results.add_widget(self._service_button(item, language))
            if not results.children:
                results.add_widget(
                    ListButton(
                        text=self.app.t("No services found. Try another word.", language),
                        style="quiet",
                        disabled=True,
                    )
                )
            return
        groups = catalogue.categories(store)
        if self.category:
            for group in groups:
                if group.id == self.category:
                    for item in group.services[: MAX_RESULTS * 3]:
                        results.add_widget(self._service_button(item, language))
            return
        for group in groups:
            button = ListButton(
                style="normal",
                text=f"{group.name(language)} ({len(group.services)})",
                speak_as=group.name(language),
            )
            button.category = group.id
            button.bind(on_activate=lambda b: self.open_category(b.category))
            results.add_widget(button)

    def open_category(self, category: str) -> None:
        self.category = category
        self.keyboard_open = self.app.short_screen  # browsing: the list takes the room
        self.refresh()

    def _service_button(self, item: catalogue.Service, language: str) -> ListButton:
        text = item.name(language)
        if self.typed.strip():
            organisation = item.organisation(language)
            text = f"{text}\n{organisation}" if organisation else text
        button = ListButton(text=text, icon="file-document")
        button.service_id = item.id
        button.bind(on_activate=lambda b: self.open_service(b.service_id))
        return button

    def open_service(self, service_id: str) -> None:
        if self.typed.strip():
            self.app.record(
                "search", query=self.typed.strip(), results=len(self.ids.results.children)
            )
        self.app.go("service", service_id=service_id)
