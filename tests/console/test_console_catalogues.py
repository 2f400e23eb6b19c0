"""Every word the console shows has a translation in fi, sv and en (Babel's own extractor)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

CONSOLE = Path(__file__).parents[2] / "central" / "console"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def shown_words() -> set[str]:
    found = extract_from_dir(
        str(CONSOLE),
        METHODS,
        keywords={"_": None, "gettext": None, "N_": None},
        options_map=OPTIONS,
    )
    return {message for _file, _line, message, _comments, _context in found if message}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_catalogue_translates_every_word(language):
    with (CONSOLE / "locale" / f"{language}.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {m.id for m in catalogue if m.id and m.string}
    words = shown_words()
    assert len(words) > 80
    assert sorted(words - translated) == []
