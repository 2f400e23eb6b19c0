"""Whether a video call could be taken now, for the attract and home screens' "Video
service available now", and the line to central's video service that the service and
call screens ask. Kept out of the app: it has its own thread, clock and HTTP client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import StringProperty

# Asked at most this often unless forced, and about at most this many services, one by
# one until one is available (a site may offer many).
ASK_EVERY_S = 120.0
SERVICES_ASKED = 20


class VideoService(EventDispatcher):
    """`now` is "available", "unavailable", or "" (not asked yet, no video services, or
    central cannot be asked: then the screens say nothing)."""

    now = StringProperty("")

    def __init__(self, state_dir: Path, video_services: Callable[[], list[str]]) -> None:
        super().__init__()
        self.state_dir = state_dir
        self.video_services = video_services
        self.ready = False  # asked only once the first frame is up (see refresh)
        self._asked_at = -ASK_EVERY_S
        self._line: Any = None

    @property
    def line(self) -> Any:
        """The line to central's video service (kiosk/call/line.py), made when first
        wanted: its HTTP client is not worth importing before the first frame."""
        if self._line is None:
            from kiosk.call.line import VideoLine

            self._line = VideoLine(self.state_dir / "credentials.json")
        return self._line

    def refresh(self, language: str, enabled: bool, force: bool = False) -> None:
        """Ask central, off the main loop, whether any of the site's video services could
        be taken now."""
        now = time.monotonic()
        if not self.ready or not enabled or (now - self._asked_at < ASK_EVERY_S and not force):
            return
        self._asked_at = now
        services = self.video_services()[:SERVICES_ASKED]

        def ask() -> None:
            line = self.line  # imports the HTTP client here, off the main loop
            verdict = ""
            for service_id in services:
                answer = line.availability(service_id, language)
                if answer is None:
                    break  # offline or not enrolled: one try, not one per service
                verdict = "available" if answer.available else "unavailable"
                if answer.available:
                    break
            Clock.schedule_once(lambda _dt: setattr(self, "now", verdict))

        threading.Thread(target=ask, daemon=True, name="video-now").start()

    def text(self, t: Callable[[str, str], str], language: str, state: str) -> str:
        """The words for a state; kv passes the state so the label follows it."""
        if state == "available":
            return t("Video service available now", language)
        if state == "unavailable":
            return t("No video service right now", language)
        return ""
