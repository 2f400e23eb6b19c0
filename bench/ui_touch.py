"""Touch to frame: for every screen change in the citizen's journeys, the time from a
touch to the first frame that shows the new screen, p50 and p95.

The real KioskApp runs in a real window under Xvfb (Mesa's software renderer, as in
CI). Each step is a touch at a button's centre through Kivy's own input path; the
clock stops at the first `on_flip` after the screen has changed. The baseline, in the
same run and process kind, is bare Kivy switching between two screens of four labels
by a touch on a button: Kivy's own floor on this machine. Target: p95 ≤ 100 ms.

Usage: python -m bench.ui_touch [--rounds N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 100.0
# (button text on the screen before, the screen it leads to); Finnish UI.
JOURNEY = [
    ("Suomi", "home"),
    ("Etsi palvelu", "catalogue"),
    ("Alkuun", "home"),
    ("Ilmoittaudu varaukseen", "checkin"),
    ("Alkuun", "home"),
    ("Ota vuoronumero", "ticket"),
    ("Alkuun", "home"),
    ("Skannaa asiakirjoja", "scan"),
    ("Alkuun", "home"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class FrameClock:
    """Times a touch to the first frame after `changed()` holds."""

    def __init__(self) -> None:
        from kivy.core.window import Window

        self.flips: list[float] = []
        Window.bind(on_flip=lambda *_: self.flips.append(time.perf_counter()))

    def touch(self, widget, changed) -> float:
        from kivy.base import EventLoop
        from kivy.tests.common import UnitTestTouch

        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        started = time.perf_counter()
        touch.touch_down()
        touch.touch_up()
        deadline = started + 10
        while time.perf_counter() < deadline:
            done = changed()
            self.flips.clear()
            EventLoop.idle()
            if done and self.flips:
                return (self.flips[0] - started) * 1000
        raise RuntimeError("no frame within 10 s of the touch")


def kiosk_times(rounds: int) -> tuple[list[float], list[float]]:
    """(first visits, later visits) in ms over the journey."""
    from devtools.ui_driver import UiDriver

    ui = UiDriver(Path(tempfile.mkdtemp(prefix="ui-touch-")))
    ui.opened("printer")
    clock = FrameClock()
    first: list[float] = []
    later: list[float] = []
    seen: set[str] = set()
    for _ in range(rounds):
        ui.app.end_session("bench")
        ui.pump(0.3)
        attract = ui.app.manager.current_screen
        ms = clock.touch(attract, lambda: ui.screen == "language")
        (later if "language" in seen else first).append(ms)
        seen.add("language")
        for text, target in JOURNEY:
            button = ui.find(text)
            ms = clock.touch(button, lambda target=target: ui.screen == target)
            (later if target in seen else first).append(ms)
            seen.add(target)
            ui.pump(0.15)
    ui.stop()
    return first, later


def bare_times(rounds: int) -> list[float]:
    from devtools.ui_driver import UiDriver  # noqa: F401 - the same Kivy set-up
    from kiosk.ui.cli import configure_kivy

    configure_kivy(Path(tempfile.mkdtemp(prefix="bare-touch-")), (1280, 800), fullscreen=False)
    from kivy.base import EventLoop, runTouchApp  # noqa: F401
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

    manager = ScreenManager(transition=NoTransition())
    buttons = {}
    for name, other in (("a", "b"), ("b", "a")):
        screen = Screen(name=name)
        box = BoxLayout(orientation="vertical")
        for text in ("Palvelupiste", "Tervetuloa", "Kosketa näyttöä", name):
            box.add_widget(Label(text=text, font_size="32sp"))
        button = Button(text=f"to {other}")
        button.bind(on_release=lambda _b, other=other: setattr(manager, "current", other))
        box.add_widget(button)
        buttons[name] = button
        screen.add_widget(box)
        manager.add_widget(screen)
    from kivy.base import _runTouchApp_prepare

    _runTouchApp_prepare(manager)
    for _ in range(10):
        EventLoop.idle()
    clock = FrameClock()
    times = []
    for _ in range(rounds * len(JOURNEY)):
        here = manager.current
        target = "b" if here == "a" else "a"
        times.append(clock.touch(buttons[here], lambda target=target: manager.current == target))
    return times


def child(kind: str, rounds: int) -> None:
    from devtools.virtual_display import kivy_display

    with kivy_display():
        if kind == "kiosk":
            first, later = kiosk_times(rounds)
            print(json.dumps({"first": first, "later": later}))
        else:
            print(json.dumps({"later": bare_times(rounds), "first": []}))


def run(kind: str, rounds: int) -> dict[str, list[float]]:
    """Each in a process of its own: a Kivy window can be made once per process."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.ui_touch", "--child", kind, "--rounds", str(rounds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KIVY_NO_ARGS": "1"},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="times through the journey")
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds = 2
    if args.child:
        child(args.child, args.rounds)
        return
    kiosk = run("kiosk", args.rounds)
    bare = run("bare", args.rounds)
    later, base, first = kiosk["later"], bare["later"], kiosk["first"]
    print(f"== touch to frame, {len(later)} screen changes after the first visit of each")
    print(
        f"kiosk UI   p50 {statistics.median(later):6.1f} ms   p95 {percentile(later, 95):6.1f} ms"
    )
    print(f"bare Kivy  p50 {statistics.median(base):6.1f} ms   p95 {percentile(base, 95):6.1f} ms")
    print(f"ratio p95 {percentile(later, 95) / percentile(base, 95):.2f}× Kivy's floor")
    if first:
        print(
            "first visits (screen and its rules loaded): "
            f"p50 {statistics.median(first):.1f} ms, max {max(first):.1f} ms"
        )
    met = percentile(later, 95) <= TARGET_P95_MS
    print(f"target p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
