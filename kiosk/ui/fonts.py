"""Which font shows a text: Roboto (Kivy's own) where it has every letter, DejaVu Sans
where it does not.

Roboto covers Finnish, Swedish and English and the Northern and Inari Sámi letters of
Latin Extended-A (á č đ ŋ š ŧ ž), but not Skolt Sámi's ʹ ǩ ǧ ǥ ʒ ǯ (Latin Extended-B and
the modifier letters): those would be drawn as empty boxes. DejaVu Sans has them all
(Debian's fonts-dejavu-core; Kivy ships its regular face too). Choosing per text keeps the
UI's look, and its measured layouts, where Roboto can draw the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import kivy
from kivy.core.text import LabelBase

ROBOTO = "Roboto"
WIDE = "PalvelupisteWide"  # DejaVu Sans, registered below
_SYSTEM = Path("/usr/share/fonts/truetype/dejavu")
_KIVY = Path(kivy.__file__).parent / "data" / "fonts" / "DejaVuSans.ttf"

# Roboto is safe up to the end of Latin Extended-A, and for punctuation, currency signs
# and the arrows the UI uses; anything else goes to DejaVu Sans.
_NEEDS_WIDE = re.compile(r"[^\u0000-\u017f\u2000-\u20cf\u2190-\u21ff]")


def _register() -> None:
    regular = _SYSTEM / "DejaVuSans.ttf"
    bold = _SYSTEM / "DejaVuSans-Bold.ttf"
    if not regular.exists():
        regular = bold = _KIVY
    LabelBase.register(
        WIDE, fn_regular=str(regular), fn_bold=str(bold if bold.exists() else regular)
    )


_register()


def font_for(text: str) -> str:
    """The font for a label's text (kv: `font_name: fonts.font_for(self.text)`)."""
    return WIDE if _NEEDS_WIDE.search(text or "") else ROBOTO
