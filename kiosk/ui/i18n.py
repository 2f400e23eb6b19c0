"""Translations from gettext .po files, read directly (no compile step) and switched live.

msgids are the English texts. A language is available when its .po file is
in the locale directory; its own name comes from the `X-Language-Name` header,
so adding a language is adding one file.
"""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).parent / "locale"


# Languages PTV has content in but the UI has no translation of yet: a site that lists
# one in its `languages` offers it; services are then shown in it where PTV has the text,
# and the UI's own words in the language named here. Each name is the language's own.
CONTENT_ONLY = {
    "se": ("Davvisámegiella", "fi"),
    "smn": ("Anarâškielâ", "fi"),
    "sms": ("Nuõrttsääʹmǩiõll", "fi"),
}


class Translations:
    """Each language's .po file is read the first time one of its texts is wanted:
    start-up then reads only the language of the first screen."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self.files = {path.stem: path for path in sorted(locale_dir.glob("*.po"))}
        self._catalogs: dict[str, dict[str, str]] = {}
        self._names: dict[str, str] = {}

    def _load(self, language: str) -> dict[str, str]:
        if language not in self._catalogs:
            path = self.files.get(language)
            if path is None:
                self._catalogs[language], self._names[language] = {}, ""
                return self._catalogs[language]
            po = polib.pofile(str(path))
            self._catalogs[language] = {
                entry.msgid: entry.msgstr for entry in po if entry.msgstr and not entry.obsolete
            }
            self._names[language] = po.metadata.get("X-Language-Name", language)
        return self._catalogs[language]

    @property
    def languages(self) -> list[str]:
        return list(self.files)

    @property
    def names(self) -> dict[str, str]:
        """Each language's name in itself, for the language buttons."""
        for language in self.files:
            self._load(language)
        own = {language: self._names[language] for language in self.files}
        return {language: name for language, (name, _) in CONTENT_ONLY.items()} | own

    def ui_language(self, language: str) -> str:
        """The language the UI's own words are shown in for `language`."""
        if language not in self.files and language in CONTENT_ONLY:
            return CONTENT_ONLY[language][1]
        return language

    def text(self, msgid: str, language: str) -> str:
        return self._load(self.ui_language(language)).get(msgid) or msgid

    def missing(self, language: str, msgids: list[str]) -> list[str]:
        """msgids with no translation: a test keeps every shipped language complete."""
        catalog = self._load(language)
        return [m for m in msgids if m not in catalog]


def N_(msgid: str) -> str:  # noqa: N802 - gettext's conventional name
    """Marks a text in a table for translation; it is translated where it is shown."""
    return msgid


SOURCE_DIR = Path(__file__).parent


def source_msgids(source_dir: Path = SOURCE_DIR) -> list[str]:
    """Every text the UI translates: literal arguments of t and N_ in its .py and .kv files,
    found by Babel's Python extractor (as the console's are; kv rules are Python enough)."""
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        str(source_dir),
        method_map=[("**.py", "python"), ("**.kv", "python")],
        keywords={"t": None, "N_": None},
    )
    return sorted({m if isinstance(m, str) else m[0] for _f, _l, m, _c, _x in found})
