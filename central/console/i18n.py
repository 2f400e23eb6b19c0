"""The console's words in fi, sv and en: gettext catalogues (Babel), one per language.

The catalogues are `locale/<lang>.po`, English msgids; they are compiled in
memory at start, so no build step makes .mo files. A missing translation
shows the English text (tests/console/test_console_catalogues.py keeps the
catalogues complete).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from central.desk import strings as desk_strings

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = desk_strings.LANGUAGES


@cache
def translations(language: str) -> Translations:
    with (LOCALE / f"{language}.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def pick_language(asked: str | None, cookie: str | None, accept_language: str) -> str:
    """?lang= first, then the remembered choice, then as the desk picks (the browser's list)."""
    chosen = next((c for c in (asked, cookie) if c in LANGUAGES), None)
    return desk_strings.pick_language(chosen, accept_language)
