"""Talking to an official by video: a check of camera, microphone and network, the queue,
the call (official large, self-view small, big buttons), chat, and documents.

The call itself runs in kiosk/call/session.py on a thread of its own; this screen
only shows its `CallView`. The idle timeout is held while a call is open. At the
session's end `wipe` hangs up and drops every frame, line and page of the call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from contract.call_api import OPEN_CALL, CallOutcome, CallStatus, LinkLevel, PartyKind, Speaker
from hardware.base import DeviceError, DeviceState
from kiosk.call.live_text import LINE_END, LiveLine, typed_change
from kiosk.call.session import CONNECTED, FAILED, RECONNECTING, CallSession, CallView
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen

log = logging.getLogger("kiosk.ui")
FRAME_S = 1 / 30
SELF_VIEW_S = 0.1


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


class CallScreen(KioskScreen):
    phase = StringProperty("check")  # check | waiting | in_call | chat | document | ended
    check_text = StringProperty("")
    can_call = BooleanProperty(False)
    queue_text = StringProperty("")
    status_text = StringProperty("")
    # The call's link as the kiosk measures it (kiosk/call/quality.py), shown in words.
    link_text = StringProperty("")
    link_level = StringProperty("good")
    note = StringProperty("")  # the outcome of the citizen's last action (a scan)
    caption = StringProperty("")
    # What the official or the interpreter is writing right now (real-time text).
    live_line = StringProperty("")
    # Who the small videos beside the official's are ("Tulkki"); "" hides one.
    other_names = ListProperty(["", ""])
    chat_lines = StringProperty("")
    typed = StringProperty("")
    muted = BooleanProperty(False)
    volume = NumericProperty(0.8)
    documents = NumericProperty(0)
    page_text = StringProperty("")
    ended_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call: CallSession | None = None
        self.view = CallView()
        self.service_id = ""
        self.booking_id: str | None = None
        self.remote = FrameSlot()
        self._remote_texture: Texture | None = None
        self._self_texture: Texture | None = None
        self._page_texture: Texture | None = None
        self._pages: list[np.ndarray] = []
        self._page = 0
        self._document_id = ""
        self._document_bytes = b""
        self._ticks: list[Any] = []
        self._video_ok = False
        self._audio: Any = None
        self._speaker: Any = None
        self._started_at = 0.0
        self._recorded_start = False
        self.others: dict[str, FrameSlot] = {}
        self._live: dict[str, LiveLine] = {}
        self._live_lock = threading.Lock()
        self._other_textures: list[Texture | None] = [None] * OTHERS_SHOWN

    # --- showing and leaving ----------------------------------------------------------

    def on_phase(self, _screen: Any, phase: str) -> None:
        if "phases" in self.ids:
            self.ids.phases.current = phase

    def prepare(self, **params: Any) -> None:
        self.hang_up_quietly()
        self.service_id = params.get("service_id", "")
        self.booking_id = params.get("booking_id")
        self.phase = "check"
        self.can_call = False
        self.check_text = self.app.t("Checking the camera, microphone and connection…")
        self.status_text = self.caption = self.chat_lines = self.typed = self.note = ""
        self.link_text = ""
        self.ended_text = self.page_text = ""
        self.documents = 0
        self.off_main_loop(self._check, self._checked)

    def on_leave(self, *_: Any) -> None:
        if self.call is None:
            self._stop_ticks()

    def wipe(self) -> None:
        """The session ended: hang up, and forget every frame, line and page of the call."""
        self.hang_up_quietly()
        self.view = CallView()
        self.service_id = ""
        self.booking_id = None
        self.chat_lines = self.typed = self.caption = self.status_text = self.note = ""
        self.check_text = self.queue_text = self.ended_text = self.page_text = ""
        self._pages = []
        self._document_bytes = b""
        self._document_id = ""
        self.remote = FrameSlot()
        self.others = {}
        with self._live_lock:
            self._live = {}
        self.live_line = ""
        self._other_textures = [None] * OTHERS_SHOWN
        self.other_names = [""] * OTHERS_SHOWN
        for name in ("remote_video", "self_view", "page", "other_video_0", "other_video_1"):
            if name in self.ids:
                self.ids[name].texture = None
        self._remote_texture = self._self_texture = self._page_texture = None

    # --- the pre-call check ------------------------------------------------------------

    def _check(self) -> dict[str, Any]:
        """Camera, microphone and network, in plain words (off the main loop)."""
        from kiosk.call.media import open_microphone

        camera = self.app.device("camera")
        video = False
        if camera is not None:
            try:
                camera.start()
                deadline = time.monotonic() + 3
                while camera.latest_frame is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                video = camera.latest_frame is not None and camera.state != DeviceState.OFFLINE
            except DeviceError:
                video = False
        audio = open_microphone(self.app.kiosk_config.call_microphone)
        line = self.app.video_line.availability(self.service_id, self.app.language)
        return {"video": video, "audio": audio, "line": line}

    def _checked(self, result: dict[str, Any] | None, _error: DeviceError | None) -> None:
        if not self.app.session.active or self.manager is None:
            return
        result = result or {"video": False, "audio": None, "line": None}
        t = self.app.t
        self._video_ok = bool(result["video"])
        self._audio = result["audio"]
        line = result["line"]
        lines = [
            t("Camera: working.")
            if self._video_ok
            else t(
                "Camera: not available. The official will not see you, but you can talk and write."
            ),  # noqa: E501
            t("Microphone: working.")
            if self._audio
            else t("Microphone: not available. You can write messages instead."),  # noqa: E501
        ]
        if line is None:
            lines.append(t("Connection: no connection to the video service right now."))
        else:
            lines.append(t("Connection: working."))
        self.check_text = "\n".join(lines)
        self.can_call = line is not None and (line.available or self.booking_id is not None)
        if line is not None and not self.can_call:
            self.check_text += "\n\n" + t(
                "Nobody can take a video call for this service right now."
            )
        self._start_self_view()

    # --- calling -------------------------------------------------------------------------

    def start_call(self) -> None:
        from kiosk.call.media import CallSpeaker, CameraTrack

        client = self.app.video_line.client()
        if client is None or not self.can_call:
            return
        camera = self.app.device("camera")
        video = CameraTrack(lambda: camera.latest_frame) if self._video_ok and camera else None
        self._speaker = CallSpeaker(self.app.kiosk_config.call_speaker)
        self._speaker.volume = self.volume
        self.call = CallSession(client, video, self._audio)
        self.call.when_update = lambda view: Clock.schedule_once(lambda _dt: self._show(view))
        self.call.when_remote_frame = self.remote.put
        self.call.when_other_frame = self._other_frame
        self.call.when_live_text = self._live_text
        self.call.when_remote_audio = self._speaker.play
        self.app.session.hold(True)
        self._started_at = time.monotonic()
        self._recorded_start = False
        self.call.start(self.service_id, self.app.language, self.booking_id)
        self.app.record("call_requested", service_id=self.service_id, booked=bool(self.booking_id))
        self.phase = "waiting"
        self.queue_text = self.app.t("Connecting…")
        self._ticks.append(Clock.schedule_interval(lambda _dt: self._show_remote(), FRAME_S))

    def _show(self, view: CallView) -> None:
        if self.call is None:
            return
        t = self.app.t
        self.view = view
        if view.status == CallStatus.QUEUED:
            minutes = max(1, round(view.estimated_wait_s / 60))
            self.queue_text = t(
                "You are number {position} in the queue. Estimated wait: about {minutes} min."
            ).format(  # noqa: E501
                position=view.position, minutes=minutes
            )
        elif view.status == CallStatus.ACTIVE and self.phase == "waiting":
            self.phase = "in_call"
        if (
            view.status == CallStatus.ACTIVE
            and view.media == CONNECTED
            and not self._recorded_start
        ):
            self._recorded_start = True
            self.app.record(
                "call_started",
                service_id=self.service_id,
                wait_s=round(time.monotonic() - self._started_at),
            )
        self.status_text = self._status(view)
        self.link_level = view.link
        words = {LinkLevel.GOOD: t("good"), LinkLevel.FAIR: t("fair"), LinkLevel.POOR: t("poor")}
        connected = view.status == CallStatus.ACTIVE and view.media == CONNECTED
        self.link_text = f"{t('Connection:')} {words[view.link]}" if connected else ""
        names = {
            Speaker.OFFICIAL: t("Official"),
            Speaker.INTERPRETER: t("Interpreter"),
            Speaker.EXPERT: t("Expert"),
        }
        lines = [f"{names.get(m.sender, t('You'))}: {m.text}" for m in view.messages[-8:]]
        self.chat_lines = "\n".join(lines)
        # The caption over the video: the last line of an official, expert or interpreter.
        official = [m.text for m in view.messages if m.sender in names]
        self.caption = official[-1] if official else ""
        if len(view.documents) > self.documents and self.phase in ("in_call", "chat"):
            self.open_document(view.documents[-1].id)
        if view.status != CallStatus.ENDED:
            self.documents = len(view.documents)
        if view.status == CallStatus.ENDED:
            self._ended(view)

    def _status(self, view: CallView) -> str:
        t = self.app.t
        if view.status != CallStatus.ACTIVE:
            return t("No connection to the video service. Trying again…") if view.problem else ""
        if view.media == RECONNECTING:
            return t("Reconnecting…")
        if view.media == FAILED:
            return t("The connection was lost.")
        if not view.official_connected:
            return t("The official's connection was interrupted. Please wait.")
        camera = self.app.device("camera")
        video = self._video_ok and camera is not None and camera.state != DeviceState.OFFLINE
        if not video and not self._audio:
            return t("Camera and microphone are not available: use messages.")
        if not video:
            return t("Camera not available: the call continues with sound only.")
        return ""

    def _ended(self, view: CallView) -> None:
        t = self.app.t
        if view.outcome == CallOutcome.COMPLETED and self._recorded_start:
            self.ended_text = t("The call has ended. Thank you!")
        elif view.outcome == CallOutcome.OFFICIAL_LEFT:
            self.ended_text = t(
                "The official had to leave the call. Please try again or book a time."
            )  # noqa: E501
        elif view.outcome in (CallOutcome.FAILED, CallOutcome.KIOSK_LOST):
            self.ended_text = t(
                "We could not keep the call going. Please try again in a moment, or book a time."
            )  # noqa: E501
        else:
            self.ended_text = t("The call has ended.")
        self._record_end(view)
        self.phase = "ended"
        self._finish_call()

    def _record_end(self, view: CallView) -> None:
        duration = time.monotonic() - (view.connected_at or time.monotonic())
        self.app.record(
            "call_ended",
            service_id=self.service_id,
            duration_s=round(max(0.0, duration)),
            outcome=view.outcome or CallOutcome.COMPLETED,
            wait_s=round((view.connected_at or time.monotonic()) - self._started_at),
            identification=view.identification,
            documents_shown=self.documents,
            documents_scanned=view.scans_sent,
            documents_printed=view.printed,
            # What the programme counts: interpreted calls by language, and calls with
            # a second authority by its organisation. No person.
            interpreter_languages=sorted(
                {p.language or "" for p in view.parties if p.kind == PartyKind.INTERPRETER}
            ),
            expert_organisations=sorted(
                {p.organisation for p in view.parties if p.kind == PartyKind.EXPERT}
            ),
        )

    def hang_up(self) -> None:
        """The citizen's "End call" (or "Leave the queue")."""
        if self.call is not None:
            self.call.end(CallOutcome.COMPLETED)

    def hang_up_quietly(self) -> None:
        if self.call is not None:
            view = self.call.view
            if view.status in OPEN_CALL:
                view = CallView(**{**view.__dict__, "outcome": CallOutcome.CANCELLED})
                self._record_end(view)
        self._finish_call()

    def _finish_call(self) -> None:
        call, self.call = self.call, None
        if call is not None:
            threading.Thread(target=call.close, daemon=True).start()
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
        self._stop_ticks()
        self.app.session.hold(False)

    def _stop_ticks(self) -> None:
        for tick in self._ticks:
            tick.cancel()
        self._ticks = []

    # --- in the call --------------------------------------------------------------------

    def _start_self_view(self) -> None:
        self._stop_ticks()
        self._ticks.append(Clock.schedule_interval(lambda _dt: self._show_self(), SELF_VIEW_S))

    def _show_self(self) -> None:
        camera = self.app.device("camera")
        frame = camera.latest_frame if camera is not None and self._video_ok else None
        if frame is None:
            return
        self._self_texture = blit(self._self_texture, frame)
        self.ids.self_view.texture = self._self_texture
        self.ids.self_view.canvas.ask_update()

    def _other_frame(self, source: str, frame: np.ndarray) -> None:
        """A frame of someone besides the official (the call's thread): a slot each, for
        as many as the screen shows."""
        slot = self.others.get(source)
        if slot is None:
            if len(self.others) >= OTHERS_SHOWN:
                return
            slot = self.others[source] = FrameSlot()
        slot.put(frame)

    def _who(self, source: str) -> str:
        if source == "official":
            return self.app.t("Official")
        kind, _, organisation = source.partition(":")
        if kind == "interpreter":
            return self.app.t("Interpreter")
        # Another authority's expert: their organisation ("Kela"), which the citizen knows.
        return organisation or self.app.t("Expert" if kind == "expert" else "Official")

    def _show_others(self) -> None:
        now = time.monotonic()
        for source, slot in list(self.others.items()):
            if now - slot.at > OTHER_GONE_S:  # left the call
                del self.others[source]
        names = [""] * OTHERS_SHOWN
        for i, (source, slot) in enumerate(list(self.others.items())[:OTHERS_SHOWN]):
            names[i] = self._who(source)
            frame = slot.take()
            if frame is not None and f"other_video_{i}" in self.ids:
                self._other_textures[i] = blit(self._other_textures[i], frame)
                self.ids[f"other_video_{i}"].texture = self._other_textures[i]
        if names != list(self.other_names):
            self.other_names = names

    def _show_remote(self) -> None:
        self._show_others()
        frame = self.remote.take()
        if frame is None:
            return
        self._remote_texture = blit(self._remote_texture, frame)
        self.ids.remote_video.texture = self._remote_texture
        self.ids.remote_video.canvas.ask_update()

    def toggle_mute(self) -> None:
        self.muted = not self.muted
        if self._audio is not None:
            self._audio.muted = self.muted

    def change_volume(self, step: float) -> None:
        self.volume = min(1.0, max(0.0, round(self.volume + step, 1)))
        if self._speaker is not None:
            self._speaker.volume = self.volume

    # --- chat ---------------------------------------------------------------------------

    def key(self, value: str) -> None:
        """A key of the on-screen keyboard: into the line, and at once to the others as
        real-time text (EN 301 549 6.2: text as it is typed, beside the voice)."""
        before = self.typed
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif value == "space":
            self.typed += " "
        elif len(self.typed) < 500:
            self.typed += value
        if self.call is not None and self.typed != before:
            self.call.send_live_text(typed_change(before, self.typed))

    def send_typed(self) -> None:
        text = self.typed.strip()
        if self.call is not None:
            self.call.send_live_text(LINE_END)
        if text and self.call is not None:
            self.call.send_message(text)
            self.typed = ""

    def _live_text(self, source: str, text: str) -> None:
        """Others' real-time text (the call's thread): applied here, shown on the UI's."""
        with self._live_lock:
            self._live.setdefault(source, LiveLine()).apply(text)
            lines = [
                f"{self._who(who)}: {line.current}"
                for who, line in self._live.items()
                if line.current
            ]
        Clock.schedule_once(lambda _dt: setattr(self, "live_line", "\n".join(lines)))

    # --- documents ----------------------------------------------------------------------

    def open_document(self, document_id: str) -> None:
        if self.call is None:
            return
        call = self.call
        self.page_text = self.app.t("Opening the document…")
        self.phase = "document"
        self.off_main_loop(lambda: self._load_pages(call, document_id), self._loaded)

    @staticmethod
    def _load_pages(call: CallSession, document_id: str) -> tuple[str, bytes, list[np.ndarray]]:
        from kiosk.call.documents import render_pages

        content = call.document(document_id)
        return document_id, content, render_pages(content)

    def _loaded(self, loaded: tuple[str, bytes, list[np.ndarray]] | None, error: Any) -> None:
        if loaded is None or not loaded[2]:
            self.page_text = self.app.t("The document could not be opened.")
            return
        self._document_id, self._document_bytes, self._pages = loaded
        self._page = 0
        self._show_page()

    def _show_page(self) -> None:
        page = self._pages[self._page]
        self._page_texture = blit(self._page_texture, page)
        self.ids.page.texture = self._page_texture
        self.page_text = self.app.t("Page {n} of {total}").format(
            n=self._page + 1, total=len(self._pages)
        )

    def turn_page(self, step: int) -> None:
        if self._pages:
            self._page = min(len(self._pages) - 1, max(0, self._page + step))
            self._show_page()

    def print_document(self) -> None:
        printer = self.app.device("a4_printer")
        scratch = self.app.session.scratch
        if printer is None or scratch is None or not self._document_bytes:
            self.page_text = self.app.t("Printing is not available here.")
            return
        path = scratch / f"document-{self._document_id}"
        path.write_bytes(self._document_bytes)
        self.page_text = self.app.t("Printing…")
        document_id = self._document_id
        self.off_main_loop(
            lambda: printer.print_file(path), lambda _j, e: self._printed(document_id, e)
        )

    def _printed(self, document_id: str, error: DeviceError | None) -> None:
        if error is not None:
            self.page_text = self.app.t(
                "The printer is not working. Ask the official to send the document another way."
            )  # noqa: E501
            return
        self.page_text = self.app.t("Take your printout from the printer.")
        if self.call is not None:
            self.call.printed(document_id)
        self.app.record("document_printed", what="call_document", service_id=self.service_id)

    # --- scanning during the call -----------------------------------------------------

    def scan_page(self) -> None:
        scanner = self.app.device("scanner")
        scratch = self.app.session.scratch
        if scanner is None or scratch is None or self.call is None:
            self.note = self.app.t("Scanning is not available here.")
            return
        self.note = self.app.t("Scanning… this takes a few seconds.")
        into = scratch / f"call-scan-{int(time.monotonic() * 1000)}"
        self.off_main_loop(lambda: scanner.scan(into, resolution=150), self._scanned)

    def _scanned(self, pages: list[Any] | None, error: DeviceError | None) -> None:
        if self.call is None or not self.app.session.active:
            return
        if error is not None or not pages:
            self.note = self.app.t("The scanner is not working.")
            return
        from kiosk.call.documents import as_png

        for n, page in enumerate(pages, start=1):
            self.call.send_scan(as_png(page), "image/png", f"page-{n}.png")
        self.app.record("document_scanned", pages=len(pages), during="call")
        self.note = self.app.t("{pages} pages sent to the official.").format(pages=len(pages))


N_("Official")
N_("You")
