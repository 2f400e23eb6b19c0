"""Nobody walking up to the kiosk can leave the UI: keys and window close do nothing.

Escape, Alt+F4, Ctrl+Q/W and the window's close request are swallowed (and
logged, which the lockdown test reads); SIGTERM from systemd still stops the
UI cleanly through `stop`.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

log = logging.getLogger("kiosk.ui")


def lock_down(fullscreen: bool, stop: Callable[[], Any]) -> None:
    if fullscreen:
        Window.fullscreen = "auto"
        Window.show_cursor = False
    Window.bind(on_request_close=_refuse_close)
    Window.bind(on_keyboard=_swallow_key)
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: stop()))


def _refuse_close(*_args: Any, **_kwargs: Any) -> bool:
    log.info("lockdown: window close refused")
    return True


def _swallow_key(_window: Any, key: int, _scancode: int, _text: Any, modifiers: Any) -> bool:
    log.info("lockdown: ignored key %s %s", key, "+".join(modifiers or []))
    return True
