"""A document the official shows, page by page (rendered by kiosk/call/documents.py),
with Print beside it."""

from __future__ import annotations

from typing import Any

import numpy as np
from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout


class DocumentPages(BoxLayout):
    """Fires `on_print(document_id, content)` when the citizen asks for a printout."""

    page_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_print")
        super().__init__(**kwargs)
        self.document_id = ""
        self.content = b""
        self.pages: list[np.ndarray] = []
        self.page = 0

    def show(self, document_id: str, content: bytes, pages: list[np.ndarray]) -> None:
        self.document_id, self.content, self.pages, self.page = document_id, content, pages, 0
        self._show_page()

    def turn(self, step: int) -> None:
        if self.pages:
            self.page = min(len(self.pages) - 1, max(0, self.page + step))
            self._show_page()

    def _show_page(self) -> None:
        self.ids.page.show(self.pages[self.page])
        self.page_text = (
            App.get_running_app()
            .t("Page {n} of {total}")
            .format(n=self.page + 1, total=len(self.pages))
        )

    def print(self) -> None:
        self.dispatch("on_print", self.document_id, self.content)

    def clear(self) -> None:
        self.document_id, self.content, self.pages, self.page = "", b"", [], 0
        self.page_text = ""
        self.ids.page.clear()

    def on_print(self, _document_id: str, _content: bytes) -> None:
        pass
