"""Add new words of the console to its catalogues: `python -m devtools.console_words NEW.json`.

NEW.json maps each new English msgid to {"fi": …, "sv": …} (and "en" where the English
shown differs from the msgid). Words already translated are kept; the catalogues are
rewritten sorted by where the words appear. Without an argument it lists the words
that still lack a translation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

CONSOLE = Path(__file__).parents[1] / "central" / "console"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def shown_words() -> dict[str, list[tuple[str, int]]]:
    """Every msgid the console shows, with where it appears."""
    words: dict[str, list[tuple[str, int]]] = {}
    for filename, line, message, _c, _ctx in extract_from_dir(
        str(CONSOLE), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        if isinstance(message, str) and message:
            words.setdefault(message, []).append((filename, line))
    return words


def update(new: dict[str, dict[str, str]]) -> list[str]:
    words = shown_words()
    missing: list[str] = []
    for language in ("fi", "sv", "en"):
        path = CONSOLE / "locale" / f"{language}.po"
        with path.open("rb") as po:
            old = {m.id: m.string for m in read_po(po) if m.id}
        catalogue = Catalog(locale=language, project="Palvelupiste console", charset="utf-8")
        for word, places in words.items():
            text = old.get(word) or new.get(word, {}).get(language)
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
