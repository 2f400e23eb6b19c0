"""Every word the console shows has a translation in fi, sv and en (Babel's own extractor)."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from devtools.console_words import CONSOLE, shown_words

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_catalogue_translates_every_word(language):
    with (CONSOLE / "locale" / f"{language}.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {m.id for m in catalogue if m.id and m.string}
    words = set(shown_words())
    assert len(words) > 80
    assert sorted(words - translated) == []
