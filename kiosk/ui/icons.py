"""Icons beside the buttons' words, from Material Design Icons as Debian packages it
(fonts-materialdesignicons-webfont): a maintained font, so no icon is drawn by hand.

The package's own stylesheet names each glyph (`.mdi-home:before { content: "\\F2DC" }`),
so the kiosk reads the code points from it rather than keeping a copy that could
drift from the font. Without the package, buttons show their words only.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

log = logging.getLogger("kiosk.ui")

PACKAGE = "fonts-materialdesignicons-webfont"
FONT = Path("/usr/share/fonts/truetype/materialdesignicons-webfont/materialdesignicons-webfont.ttf")
STYLESHEET = Path("/usr/share/fonts-materialdesignicons-webfont/css/materialdesignicons.css")
_RULE = re.compile(r'\.mdi-([a-z0-9-]+):before\s*\{\s*content:\s*"\\([0-9A-Fa-f]+)"')


@cache
def _glyphs(stylesheet: Path = STYLESHEET) -> dict[str, str]:
    try:
        text = stylesheet.read_text(encoding="utf-8")
    except OSError:
        log.warning("no icons: %s is not installed (%s missing)", PACKAGE, stylesheet)
        return {}
    return {name: chr(int(code, 16)) for name, code in _RULE.findall(text)}


def available() -> bool:
    return FONT.exists() and bool(_glyphs())


def glyph(name: str) -> str:
    """The character for icon `name` in FONT, or "" when the font lacks it."""
    if not name or not FONT.exists():
        return ""
    found = _glyphs().get(name, "")
    if not found:
        log.warning("no icon called %r in %s", name, PACKAGE)
    return found
