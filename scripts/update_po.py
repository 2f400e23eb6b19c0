"""Add every text the UI translates to each kiosk/ui/locale/*.po, keeping what is translated.

Run from the checkout as `.venv/bin/python -m scripts.update_po` after adding or changing
a t("…")/N_("…") text (Babel's extractor finds them, kiosk/ui/i18n.py); then fill in the
empty msgstr entries (English gets the msgid itself).
It fails tests/kiosk/ui/test_parts.py (every UI text translated) while any is empty.
"""

from __future__ import annotations

import polib

from kiosk.ui.i18n import LOCALE_DIR, source_msgids


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
