"""Add new words of the console to its catalogues: `python -m devtools.console_words NEW.json`.

NEW.json maps each new English msgid to {"fi": …, "sv": …} (and "en" where the English
shown differs from the msgid); a plural (`ngettext`) is keyed by its singular and gives
[singular, plural] in each language. Words already translated are kept; the catalogues are
rewritten sorted by where the words appear. Without an argument it lists the words
that still lack a translation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

CONSOLE = Path(__file__).parents[1] / "central" / "console"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
Word = str | tuple[str, str]  # a msgid, or a plural's (singular, plural)


def shown_words() -> dict[Word, list[tuple[str, int]]]:
    """Every msgid the console shows, with where it appears."""
    words: dict[Word, list[tuple[str, int]]] = {}
    for filename, line, message, _c, _ctx in extract_from_dir(
        str(CONSOLE), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        if isinstance(message, tuple):
            message = (message[0], message[1])
        if message:
            words.setdefault(message, []).append((filename, line))
    return words


def _new_text(new: dict[str, dict[str, Any]], word: Word, language: str) -> Any:
    given = new.get(word[0] if isinstance(word, tuple) else word, {}).get(language)
    return tuple(given) if isinstance(word, tuple) and given else given


def update(new: dict[str, dict[str, Any]]) -> list[str]:
    words = shown_words()
    missing: list[str] = []
    for language in ("fi", "sv", "en"):
        path = CONSOLE / "locale" / f"{language}.po"
        with path.open("rb") as po:
            old = {m.id: m.string for m in read_po(po) if m.id}
        catalogue = Catalog(locale=language, project="Palvelupiste console", charset="utf-8")
        for word, places in words.items():
            text = old.get(word) or _new_text(new, word, language)
            if isinstance(text, tuple) and not all(text):
                text = None
            if not text and language == "en":
                text = word
            if not text:
                missing.append(f"{language}: {word}")
                continue
            catalogue.add(word, text, locations=places)
        with path.open("wb") as po:
            write_po(po, catalogue, width=100)
    return missing


if __name__ == "__main__":
    given = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    left = update(given)
    print("\n".join(left) or "every word is translated")
    sys.exit(1 if left else 0)
