"""The widgets every screen is built from, one module per family. Importing this package
registers them with Kivy's Factory, so kv rules can name them. The call's parts
(`video`, `chat`, `document`) are registered by the call screen's module when it is
first shown: they bring numpy, which the first frame does not need."""

from kiosk.ui.widgets.buttons import ButtonRow, KioskButton, ListButton
from kiosk.ui.widgets.dialogs import (
    AccessibilityChooser,
    Chooser,
    IdleWarning,
    LanguageChooser,
    language_label,
)
from kiosk.ui.widgets.keyboard import OnScreenKeyboard
from kiosk.ui.widgets.text import Body, Heading, ListItem, RichText, SubHeading
from kiosk.ui.widgets.top_bar import TopBar

__all__ = [
    "AccessibilityChooser",
    "Body",
    "ButtonRow",
    "Chooser",
    "Heading",
    "IdleWarning",
    "KioskButton",
    "LanguageChooser",
    "ListButton",
    "ListItem",
    "OnScreenKeyboard",
    "RichText",
    "SubHeading",
    "TopBar",
    "language_label",
]
