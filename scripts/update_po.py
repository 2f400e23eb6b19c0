"""Add every text the UI translates to each kiosk/ui/locale/*.po, keeping what is translated.

Run after adding or changing a t("…")/N_("…") text; then fill in the empty msgstr
entries (English gets the msgid itself). tests/kiosk/ui/test_text.py fails while any is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kiosk.ui.i18n import LOCALE_DIR, source_msgids  # noqa: E402


def main() -> None:
    wanted = source_msgids()
    for path in sorted(LOCALE_DIR.glob("*.po")):
        po = polib.pofile(str(path))
        have = {entry.msgid for entry in po}
        for msgid in wanted:
            if msgid not in have:
                po.append(polib.POEntry(msgid=msgid, msgstr=msgid if path.stem == "en" else ""))
        for entry in po:
            entry.obsolete = entry.msgid not in wanted
        po.save(str(path))
        empty = [e.msgid for e in po if not e.msgstr and not e.obsolete]
        print(f"{path.name}: {len(wanted)} texts, {len(empty)} untranslated {empty}")


if __name__ == "__main__":
    main()
