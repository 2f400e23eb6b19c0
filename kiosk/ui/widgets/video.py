"""Video on the kiosk's screen: frames handed from the call's thread (`FrameSlot`), one
picture (`VideoTile`), and the call's whole picture (`CallVideo`: the official large,
the citizen small, up to two others with their names, and the words over them)."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
from kivy.graphics.texture import Texture
from kivy.properties import ListProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image

# Others beside the official shown at once (an interpreter, a second expert), and how
# long without a frame from one before their video goes (they left).
OTHERS_SHOWN = 2
OTHER_GONE_S = 3.0


class FrameSlot:
    """The latest decoded frame, handed from the call's thread to the UI's (one slot:
    frames the UI had no time to show are dropped, never queued)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self.count = 0
        self.at = 0.0

    def put(self, frame: np.ndarray) -> None:
        with self._lock:
            self._frame = frame
            self.count += 1
            self.at = time.monotonic()

    def take(self) -> np.ndarray | None:
        with self._lock:
            frame, self._frame = self._frame, None
            return frame


def blit(texture: Texture | None, frame: np.ndarray) -> Texture:
    """Draws `frame` (BGR) into `texture`, made anew only when the size changes."""
    height, width = frame.shape[:2]
    if texture is None or texture.size != (width, height):
        texture = Texture.create(size=(width, height), colorfmt="bgr")
        texture.flip_vertical()
    texture.blit_buffer(np.ascontiguousarray(frame).tobytes(), colorfmt="bgr", bufferfmt="ubyte")
    return texture


class VideoTile(Image):
    """One picture: `show` a BGR frame, `clear` to forget it."""

    texture: Texture | None  # Image's own Kivy property; declared for the type checker

    def show(self, frame: np.ndarray) -> None:
        current: Texture | None = self.texture
        texture = blit(current, frame)
        if texture is not current:
            self.texture = texture
        self.canvas.ask_update()

    def clear(self) -> None:
        self.texture = None


class CallVideo(FloatLayout):
    """The call as the citizen sees it; the screen feeds it frames and words."""

    status_text = StringProperty("")  # a problem with the call, over the top
    caption = StringProperty("")  # the last chat line of the official (or another)
    live_line = StringProperty("")  # what someone is writing now (real-time text)
    link_text = StringProperty("")  # "Connection: poor" (kiosk/call/quality.py)
    link_level = StringProperty("good")
    # Who the small videos beside the official's are ("Tulkki"); "" hides one.
    other_names = ListProperty([""] * OTHERS_SHOWN)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.remote = FrameSlot()
        self.others: dict[str, FrameSlot] = {}

    def other_frame(self, source: str, frame: np.ndarray) -> None:
        """A frame of someone besides the official (the call's thread): a slot each, for
        as many as the screen shows."""
        slot = self.others.get(source)
        if slot is None:
            if len(self.others) >= OTHERS_SHOWN:
                return
            slot = self.others[source] = FrameSlot()
        slot.put(frame)

    def show_frames(self, who: Any) -> None:
        """Draws what arrived since the last tick; `who(source)` names the others."""
        now = time.monotonic()
        for source, slot in list(self.others.items()):
            if now - slot.at > OTHER_GONE_S:  # left the call
                del self.others[source]
        names = [""] * OTHERS_SHOWN
        for i, (source, slot) in enumerate(list(self.others.items())[:OTHERS_SHOWN]):
            names[i] = who(source)
            frame = slot.take()
            if frame is not None:
                self.ids[f"other_{i}"].show(frame)
        if names != list(self.other_names):
            self.other_names = names
        frame = self.remote.take()
        if frame is not None:
            self.ids.remote.show(frame)

    def show_self(self, frame: np.ndarray) -> None:
        self.ids.self_view.show(frame)

    def clear(self) -> None:
        """Every frame and word of the call gone (the session ended)."""
        self.remote = FrameSlot()
        self.others = {}
        self.status_text = self.caption = self.live_line = self.link_text = ""
        self.other_names = [""] * OTHERS_SHOWN
        for name in ("remote", "self_view", "other_0", "other_1"):
            self.ids[name].clear()
