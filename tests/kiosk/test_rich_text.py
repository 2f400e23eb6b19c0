"""PTV's Markdown-like descriptions as blocks, and texts in the reader's language with
fallbacks chosen at display time."""

from __future__ import annotations

from kiosk.catalogue import fallbacks, language_of, text_in
from kiosk.rich_text import Block, blocks, plain_lines

TEXT = """# Hakeminen

Voit hakea, jos
* asut **vuokralla**
- tulosi ovat pienet
  ja säännölliset

1. Täytä hakemus.
2) Liitä liitteet.
Kela lähettää päätöksen.
Se tulee postitse."""


def test_headings_lists_and_paragraphs():
    assert blocks(TEXT) == [
        Block("heading", "Hakeminen"),
        Block("paragraph", "Voit hakea, jos"),
        Block(
            "bullets", items=[("•", "asut vuokralla"), ("•", "tulosi ovat pienet ja säännölliset")]
        ),
        Block("numbered", items=[("1.", "Täytä hakemus."), ("2.", "Liitä liitteet.")]),
        Block("paragraph", "Kela lähettää päätöksen.\nSe tulee postitse."),
    ]


def test_plain_lines_for_the_printer():
    assert plain_lines(TEXT)[:5] == ["HAKEMINEN", "", "Voit hakea, jos", "", "• asut vuokralla"]
    assert blocks("") == [] and plain_lines("Yksi rivi.") == ["Yksi rivi."]


def test_fallbacks_are_chosen_at_display_time():
    names = {"fi": "Kriisipuhelin", "sv": "Kristelefon"}
    assert fallbacks("sms") == ("sms", "fi", "sv", "en", "und")
    assert fallbacks("sv") == ("sv", "fi", "en", "und")
    assert text_in(names, "sms") == "Kriisipuhelin" and language_of(names, "sms") == "fi"
    assert text_in(names, "en") == "Kriisipuhelin"
    assert text_in({"sv": "Kristelefon"}, "en") == "Kristelefon"
    assert text_in({"und": "Polisen"}, "fi") == "Polisen"
    assert text_in({"se": "Sámediggi"}, "fi") == "Sámediggi"  # any, never an empty label
    assert text_in({}, "fi") == "" and language_of(None, "fi") is None
