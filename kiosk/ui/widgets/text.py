"""Text: headings, body text, list items and a service's rich text."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label


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
