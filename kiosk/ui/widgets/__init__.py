"""The widgets every screen is built from, one module per family. Importing this package
registers them all with Kivy's Factory, so kv rules can name them."""

from kiosk.ui.widgets.buttons import ButtonRow, KioskButton, ListButton
from kiosk.ui.widgets.chat import CallChat
from kiosk.ui.widgets.dialogs import (
    AccessibilityChooser,
    Chooser,
    IdleWarning,
    LanguageChooser,
    language_label,
)
from kiosk.ui.widgets.document import DocumentPages
from kiosk.ui.widgets.keyboard import OnScreenKeyboard
from kiosk.ui.widgets.text import Body, Heading, ListItem, RichText, SubHeading
from kiosk.ui.widgets.top_bar import TopBar
from kiosk.ui.widgets.video import CallVideo, VideoTile

__all__ = [
    "AccessibilityChooser",
    "Body",
    "ButtonRow",
    "CallChat",
    "CallVideo",
    "DocumentPages",
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
    "VideoTile",
    "language_label",
]
