"""Every text fits, at every screen size a kiosk has, in every language, normal and large.

The real UI under Xvfb is walked through every screen, each phase of the call and
each modal, at 1280×800, a 7" 1024×600 panel and a portrait 1080×1920 floor kiosk,
in fi, sv and en, in normal and large text. A label fails when its rendered text is
larger than its box, a word is broken across lines, or the box is off the window.
Screenshots of every view in large text land in test-artifacts/ui/fit/ to look at.
"""

from __future__ import annotations

import pytest

from devtools.ui_driver import UiDriver
from tests.support.own_process import in_own_process

pytestmark = pytest.mark.slow

SIZES = {
    "landscape-1280x800": (1280, 800),
    "panel-1024x600": (1024, 600),
    "portrait-1080x1920": (1080, 1920),
}
# 3 mm on a 15.6" 1080p panel (141 pixels per inch), where Kivy's density is 1.
MM_ON_15_6_INCH = 141.2 / 25.4


def _font_sizes(ui: UiDriver) -> dict[int, tuple[str, float]]:
    from kivy.uix.label import Label

    sizes: dict[int, tuple[str, float]] = {}

    def walk(widget):
        if isinstance(widget, Label) and widget.text.strip() and widget.opacity > 0:
            sizes[id(widget)] = (widget.text, widget.font_size)
        for child in widget.children:
            walk(child)

    for root in ui._roots():
        walk(root)
    return sizes


@pytest.mark.parametrize("size", SIZES)
@in_own_process
def test_no_text_is_cut_anywhere(tmp_path, size):
    from kivy.metrics import Metrics

    ui = UiDriver(tmp_path)
    ui.opened("printer")
    ui.app.start_session()
    ui.resize(*SIZES[size])
    assert ui.app.portrait == (size.startswith("portrait"))
    cut: list[str] = []
    views = set()
    smallest_normal = float("inf")
    for language in ("fi", "sv", "en"):
        ui.app.set_language(language)
        normal: dict[str, dict[int, tuple[str, float]]] = {}
        for large in (False, True):
            ui.app.large_text = large
            ui.pump(0.2)
            for view in ui.every_view():
                views.add(view)
                cut += [
                    f"{size} {language} {'large' if large else 'normal'} {p}"
                    for p in ui.cut_texts()
                ]
                sizes = _font_sizes(ui)
                if not large:
                    normal[view] = sizes
                    smallest_normal = min([smallest_normal, *(s for _t, s in sizes.values())])
                else:
                    for key, (text, font_size) in sizes.items():
                        before = normal.get(view, {}).get(key)
                        if before is not None and before[0] == text:
                            assert font_size >= before[1] * 1.5 - 0.01, (
                                view,
                                text,
                                before[1],
                                font_size,
                            )
                    if language == "fi":
                        ui.screenshot(f"fit/{size}-{view.replace(':', '-')}-large")
    ui.stop()
    assert {
        "attract",
        "home",
        "catalogue",
        "call:in_call",
        "LanguageChooser",
        "IdleWarning",
    } <= views
    assert not cut, "\n".join(cut)
    # Body text at least 3 mm tall on a 15.6" 1080p panel.
    assert smallest_normal / Metrics.density / MM_ON_15_6_INCH >= 3.0
