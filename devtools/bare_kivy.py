"""The floor under the kiosk UI's cold start: a bare Kivy app, started the same way.

Same Kivy settings as `kiosk-ui` (kiosk.ui.cli.configure_kivy: EGL, the trimmed
style rules, the Mesa settings, no garbage collection during start-up) and four
labels like the attract screen, nothing else: no state.db, no translations, no
screens, no devices. It writes "ready" to the file named on its command line once
its first frame is on screen, measured as the UI measures it. ui_soak.py compares
it with the UI and with Chromium in the same run.

Usage: python devtools/bare_kivy.py STATE_DIR READY_FILE
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

gc.disable()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.ui.cli import configure_kivy  # noqa: E402


def main(state_dir: Path, ready_file: Path) -> None:
    configure_kivy(state_dir, (1280, 800), fullscreen=False)
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    class Bare(App):
        def build(self) -> BoxLayout:
            Window.bind(on_flip=self.flipped)
            box = BoxLayout(orientation="vertical", padding="48dp", spacing="24dp")
            for text, size in (
                ("Palvelupiste", "72sp"),
                ("Tervetuloa", "48sp"),
                ("Kosketa näyttöä aloittaaksesi.", "32sp"),
                ("Puheopastus: paina näyttöä 3 sekuntia.", "22sp"),
            ):
                box.add_widget(Label(text=text, font_size=size, color=(0.1, 0.12, 0.14, 1)))
            return box

        def flipped(self, *_args: object) -> None:
            Window.unbind(on_flip=self.flipped)
            Clock.schedule_once(lambda _dt: ready_file.write_text("ready"), 0)

    Bare().run()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
