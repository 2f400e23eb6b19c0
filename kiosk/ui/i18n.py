"""Translations from gettext .po files, read directly (no compile step) and switched live.

msgids are the English texts. A language is available when its .po file is
in the locale directory; its own name comes from the `X-Language-Name` header,
so adding a language is adding one file.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).parent / "locale"


class Translations:
    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self.catalogs: dict[str, dict[str, str]] = {}
        self.names: dict[str, str] = {}
        for po_path in sorted(locale_dir.glob("*.po")):
            po = polib.pofile(str(po_path))
            language = po_path.stem
            self.catalogs[language] = {
                entry.msgid: entry.msgstr for entry in po if entry.msgstr and not entry.obsolete
            }
            self.names[language] = po.metadata.get("X-Language-Name", language)

    @property
    def languages(self) -> list[str]:
        return list(self.catalogs)

    def text(self, msgid: str, language: str) -> str:
        return self.catalogs.get(language, {}).get(msgid) or msgid

    def missing(self, language: str, msgids: list[str]) -> list[str]:
        """msgids with no translation: a test keeps every shipped language complete."""
        catalog = self.catalogs.get(language, {})
        return [m for m in msgids if m not in catalog]


def N_(msgid: str) -> str:  # noqa: N802 - gettext's conventional name
    """Marks a text in a table for translation; it is translated where it is shown."""
    return msgid


_MARKED = re.compile(r'\b(?:t|N_)\(\s*"((?:[^"\\]|\\.)+)"')
SOURCE_DIR = Path(__file__).parent


def source_msgids(source_dir: Path = SOURCE_DIR) -> list[str]:
    """Every text the UI translates: literal arguments of t and N_ in its .py and .kv files."""
    found: set[str] = set()
    for path in [*source_dir.rglob("*.py"), *source_dir.rglob("*.kv")]:
        found.update(m.group(1) for m in _MARKED.finditer(path.read_text(encoding="utf-8")))
    return sorted(found)
