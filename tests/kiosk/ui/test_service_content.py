"""A service's PTV content on the real service screen under Xvfb: a Sámi service in Skolt
Sámi with every letter drawn (not as empty boxes), Markdown as lists, phones without the
fax, today's hours; screenshots in test-artifacts/ui/."""

from __future__ import annotations

import pytest

from devtools.builders import kiosk_services
from devtools.ui_driver import UiDriver
from tests.support.own_process import in_own_process

pytestmark = pytest.mark.slow

SAMI_LETTERS = "ŋŧđžčʹǧǩǥʒǯšâäåõŊŦĐŽČǦǨǤƷǮŠÂÄÅÕáÁ"
SAMI_CONFIG = {"languages": ["fi", "se", "smn", "sms", "sv", "en"], "default_language": "fi"}


def service_id(name_fi: str) -> str:
    return next(s["id"] for s in kiosk_services() if s["name"].get("fi") == name_fi)


def _pixels(text: str, font: str) -> bytes:
    from kivy.core.text import Label as CoreLabel

    label = CoreLabel(text=text, font_name=font, font_size=48)
    label.refresh()
    return bytes(label.texture.pixels)


def missing_glyphs(font: str, letters: str) -> list[str]:
    """Letters the font draws as its 'no glyph' box: each is compared with the rendering
    of a code point no font has (U+0378 is unassigned)."""
    box = _pixels("\u0378", font)
    return [c for c in letters if _pixels(c, font) == box]


@in_own_process
def test_skolt_sami_is_shown_with_every_letter(tmp_path):
    from kivy.uix.label import Label

    from kiosk.ui import fonts

    ui = UiDriver(tmp_path, config=SAMI_CONFIG)
    # The check itself works: Roboto lacks Skolt Sámi's letters, DejaVu Sans has them all.
    assert set(missing_glyphs(fonts.ROBOTO, "ʹǧǩǥʒǯ")) == set("ʹǧǩǥʒǯ")
    assert missing_glyphs(fonts.WIDE, SAMI_LETTERS) == []
    assert "sms" in ui.app.languages and ui.app.translations.names["sms"] == "Nuõrttsääʹmǩiõll"

    ui.tap_at(640, 400)
    ui.tap("Nuõrttsääʹmǩiõll")
    assert ui.app.language == "sms"
    ui.app.go("service", service_id=service_id("Saamenkielinen asiointiapu"))
    assert ui.wait_until(lambda: "Sääʹmǩiõllsaž äʹšštõõttâmveʹǩǩ" in ui.texts())
    labels = [w for w in ui.app.manager.current_screen.walk() if isinstance(w, Label)]
    sami = [w for w in labels if any(c in w.text for c in "ʹǩǧ")]
    assert sami and all(w.font_name == fonts.WIDE for w in sami)
    assert "Sääʹmteʹǧǧ" in ui.texts() or "Sääʹmkulttuurkõõskõs Sajos" in ui.texts()
    # The UI's own words are Finnish: there is no Skolt Sámi translation of them yet.
    assert "Takaisin" in ui.texts()
    ui.screenshot("service-skolt-sami")
    # Northern Sámi has its own text; Inari Sámi too; a Finnish-only service falls back.
    ui.app.set_language("se")
    assert ui.wait_until(lambda: "Sámegiel áššehanbeaivvit" in ui.texts())
    ui.screenshot("service-northern-sami")
    ui.stop()


@in_own_process
def test_markdown_phones_and_hours_on_the_service_screen(tmp_path):
    from kiosk.ui.widgets import ListItem

    ui = UiDriver(tmp_path)
    ui.tap_at(640, 400)
    ui.tap("Suomi")
    ui.app.go("service", service_id=service_id("Yleinen asumistuki"))
    assert ui.wait_until(lambda: "Voit saada asumistukea, jos" in ui.texts())
    items = [w for w in ui.app.manager.current_screen.walk() if isinstance(w, ListItem)]
    shown = [(i.marker, i.text) for i in items]
    assert ("•", "asut vuokralla tai omistusasunnossa") in shown
    assert ("1.", "Täytä hakemus verkossa tai lomakkeella AT 1.") in shown
    assert "* " not in ui.texts()  # the markup is never shown
    assert any("AT1.pdf" in text for _, text in shown)  # the printable form, in Finnish
    assert not any("AT1r.pdf" in text for _, text in shown)  # not the Swedish one
    ui.screenshot("service-markdown")

    ui.app.go("service", service_id=service_id("Kriisipuhelin"))
    assert ui.wait_until(lambda: "0925250111" in ui.texts())
    texts = ui.texts()
    assert "0925250112" not in texts  # the Swedish line, for a Finnish reader
    assert "Tekstiviesti: +358 401234999" in texts
    assert "ympäri vuorokauden" in texts
    ui.app.set_language("sv")
    assert ui.wait_until(lambda: "0925250112" in ui.texts())

    fax_service = next(
        s
        for s in kiosk_services()
        if any(p["type"] == "fax" for c in s["channels"] for p in c["phones"])
    )
    ui.app.set_language("fi")
    ui.app.go("service", service_id=fax_service["id"])
    assert ui.wait_until(lambda: "Puhelin:" in ui.texts())
    assert "295123999" not in ui.texts()  # a fax is never shown as a phone
    ui.app.go("service", service_id=service_id("Passin hakeminen"))
    assert ui.wait_until(lambda: "tänään" in ui.texts())
    assert "Seutulantie" in ui.texts() and "04400 JÄRVENPÄÄ" in ui.texts()
    ui.screenshot("service-hours")
    ui.stop()


@in_own_process
def test_a_service_opens_at_its_top_whatever_the_last_citizen_scrolled_to(tmp_path):
    """Issue 33: a service page opened at the previous citizen's scroll position."""
    ui = UiDriver(tmp_path)
    ui.tap_at(640, 400)
    ui.tap("Suomi")
    ui.app.go("service", service_id=service_id("Yleinen asumistuki"))
    assert ui.wait_until(lambda: "Voit saada asumistukea, jos" in ui.texts())
    details = ui.app.manager.current_screen.ids.details
    details.scroll_y = 0  # the citizen read to the end
    ui.pump(0.2)
    ui.app.end_session("finished")
    ui.app.start_session()
    ui.app.set_language("fi")
    ui.app.go("service", service_id=service_id("Yleinen asumistuki"))
    assert ui.wait_until(lambda: "Voit saada asumistukea, jos" in ui.texts())
    assert details.scroll_y == 1
    ui.app.go("home")
    details.scroll_y = 0.3
    ui.app.go("service", service_id=service_id("Passin hakeminen"))
    assert details.scroll_y == 1
    ui.stop()
