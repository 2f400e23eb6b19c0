"""Talking to an official by video: a check of camera, microphone and network, the queue,
the call (official large, self-view small, big buttons), chat, and documents.

The call itself runs in kiosk/call/session.py on a thread of its own; this screen
only shows its `CallView`, through widgets that each do one part (kiosk/ui/widgets/:
`CallVideo`, `CallChat`, `DocumentPages`; rules in kv/call.kv). The idle timeout is
held while a call is open. At the session's end `wipe` hangs up and drops every frame,
line and page of the call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from contract.call_api import OPEN_CALL, CallOutcome, CallStatus, LinkLevel, PartyKind, Speaker
from contract.payments import PriceKind
from hardware.base import DeviceError, DeviceState
from kiosk import catalogue
from kiosk.call.live_text import LiveLines
from kiosk.call.session import CONNECTED, FAILED, RECONNECTING, CallSession, CallView
from kiosk.payments import Checkout, PaymentError, Price
from kiosk.ui import call_check
from kiosk.ui.call_check import PreCallCheck
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.call_identification import CallIdentification
from kiosk.ui.screens.call_payment import CallPayment
from kiosk.ui.widgets.buttons import offer
from kiosk.ui.widgets.chat import CallChat
from kiosk.ui.widgets.document import DocumentPages
from kiosk.ui.widgets.video import CallVideo

# The parts call.kv names (registered with Kivy's Factory by being imported here).
PARTS = (CallVideo, CallChat, DocumentPages)

log = logging.getLogger("kiosk.ui")
FRAME_S = 1 / 30
SELF_VIEW_S = 0.1
CHAT_SHOWN = 8  # the chat's last lines on screen


class CallScreen(CallIdentification, CallPayment, KioskScreen):
    """The call's phases (check, waiting, in_call, chat, document, ended) and the call's
    session; its parts draw themselves (`ids.video`, `ids.chat`, `ids.document`)."""

    # check | waiting | in_call | chat | document | scan_check | identify | identify_phone
    # | ended
    phase = StringProperty("check")
    check_text = StringProperty("")
    can_call = BooleanProperty(False)
    queue_text = StringProperty("")
    note = StringProperty("")  # the outcome of the citizen's last action (a scan)
    muted = BooleanProperty(False)
    volume = NumericProperty(0.8)
    documents = NumericProperty(0)
    ended_text = StringProperty("")
    # Identifying with the ID card: what to do or what happened, and the PIN's length
    # (the PIN itself is only in `_pin`, and only until it goes to the card).
    identify_text = StringProperty("")
    pin_length = NumericProperty(0)
    identifying = BooleanProperty(False)
    pin_pad = BooleanProperty(False)  # the reader takes the PIN on its own keypad
    # Identifying by phone: the short code beside the QR, what to do, and whether the
    # code expired or failed (a new one is offered); whether the card is offered too.
    phone_code = StringProperty("")
    phone_text = StringProperty("")
    phone_expired = BooleanProperty(False)
    reader_present = BooleanProperty(False)
    scan_text = StringProperty("")  # "2 pages: is it readable?"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call: CallSession | None = None
        self.view = CallView()
        self.service_id = ""
        self.booking_id: str | None = None
        self.strong_needed = False
        self._ticks: list[Any] = []
        self._video_ok = False
        self._audio: Any = None
        self._speaker: Any = None
        self._started_at = 0.0
        self._recorded_start = False
        self._pay_reset()
        self._live = LiveLines()
        self._pin = ""
        self._asked_for: str | None = None  # the identification request already shown
        self._phone: Any = None  # the QR shown (kiosk/ui/screens/call_identification.py)
        self._phone_tick: Any = None
        self._why = ""
        self._held: dict[str, Any] = {}  # buttons `offer` takes out (`_offered`)
        self._quiet = False
        self._scan: list[bytes] = []  # pages scanned, until the citizen sends or drops them

    # The parts, for tests and for the kv rules' readers.
    @property
    def video(self) -> Any:
        return self.ids.video

    @property
    def chat(self) -> Any:
        return self.ids.chat

    @property
    def pages(self) -> Any:
        return self.ids.document

    # --- showing and leaving ----------------------------------------------------------

    def on_phase(self, _screen: Any, phase: str) -> None:
        if "phases" in self.ids:
            self.ids.phases.current = phase

    def prepare(self, **params: Any) -> None:
        self.hang_up_quietly()
        self.service_id = params.get("service_id", "")
        self.booking_id = params.get("booking_id")
        found = catalogue.service(self.app.store, self.service_id) if self.service_id else None
        # The service needs to know who the citizen is (central's overlay says so): they
        # identify while they queue.
        self.strong_needed = found is not None and found.item.get("identification") == "strong"
        self.phase = "check"
        self.can_call = False
        self.check_text = self.app.t("Checking the camera, microphone and connection…")
        self.note = self.ended_text = ""
        self.video.clear()
        self.chat.clear()
        self.pages.clear()
        self.drop_scan()
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
        self.note = self.check_text = self.queue_text = self.ended_text = ""
        self.wipe_identity()
        self._stop_pay_poll()
        self._pay_reset()
        self._asked_for = None
        self._live.clear()
        self.video.clear()
        self.chat.clear()
        self.pages.clear()
        self.drop_scan()

    # --- the pre-call check ------------------------------------------------------------

    def _check(self) -> PreCallCheck:
        app = self.app
        microphone = app.kiosk_config.call_microphone
        return call_check.check(
            app.device("camera"), microphone, app.video.line, self.service_id, app.language
        )

    def _checked(self, result: PreCallCheck | None, _error: DeviceError | None) -> None:
        if not self.app.session.active or self.manager is None:
            return
        result = result or PreCallCheck()
        self._video_ok, self._audio = result.video, result.audio
        # Offered only what can be done here: Mute with a microphone, Print with an A4
        # printer (issue 33).
        offer(self._offered("mute"), bool(self._audio))
        offer(self._offered("print_document"), self.app.device("a4_printer") is not None)
        booked = self.booking_id is not None
        self.check_text = result.describe(self.app.t, booked)
        self.can_call = result.may_call(booked)
        self._stop_ticks()
        self._ticks.append(Clock.schedule_interval(lambda _dt: self._show_self(), SELF_VIEW_S))

    def _offered(self, name: str) -> Any:
        """A button `offer` may take out of its row: held here, since the screen's ids
        are weak and a button out of the tree would otherwise be gone."""
        if name not in self._held:
            self._held[name] = self.ids[name].__self__
        return self._held[name]

    def _show_self(self) -> None:
        camera = self.app.device("camera")
        frame = camera.latest_frame if camera is not None and self._video_ok else None
        if frame is not None:
            self.ids.self_view.show(frame)
            self.video.show_self(frame)

    # --- calling -------------------------------------------------------------------------

    def start_call(self) -> None:
        from kiosk.call.media import CallSpeaker, CameraTrack

        client = self.app.video.line.client()
        if client is None or not self.can_call:
            return
        camera = self.app.device("camera")
        video = CameraTrack(lambda: camera.latest_frame) if self._video_ok and camera else None
        self._speaker = CallSpeaker(self.app.kiosk_config.call_speaker)
        self._speaker.volume = self.volume
        self.call = CallSession(client, video, self._audio)
        self.call.when_update = lambda view: Clock.schedule_once(lambda _dt: self._show(view))
        self.call.when_remote_frame = self.video.remote.put
        self.call.when_other_frame = self.video.other_frame
        self.call.when_live_text = self._live_text
        self.call.when_remote_audio = self._speaker.play
        self.app.session.hold(True)
        self._started_at = time.monotonic()
        self._recorded_start = False
        self.call.start(self.service_id, self.app.language, self.booking_id)
        self.app.record("call_requested", service_id=self.service_id, booked=bool(self.booking_id))
        self.phase = "waiting"
        self.queue_text = self.app.t("Connecting…")
        self._ticks.append(Clock.schedule_interval(lambda _dt: self._show_frames(), FRAME_S))

    def _show_frames(self) -> None:
        self.video.show_frames(self._who)
        if self.phase == "chat":  # the official stays in sight above the conversation
            self.ids.chat.ids.peer.canvas.ask_update()

    def _show(self, view: CallView) -> None:
        if self.call is None:
            return
        t = self.app.t
        self.view = view
        if view.status == CallStatus.QUEUED:
            minutes = max(1, round(view.estimated_wait_s / 60))
            self.queue_text = t(
                "You are number {position} in the queue. Estimated wait: about {minutes} min."
            ).format(position=view.position, minutes=minutes)
        elif view.status == CallStatus.ACTIVE and self.phase == "waiting":
            self.phase = "in_call"
        connected = view.status == CallStatus.ACTIVE and view.media == CONNECTED
        if connected and not self._recorded_start:
            self._recorded_start = True
            self.app.record(
                "call_started",
                service_id=self.service_id,
                wait_s=round(time.monotonic() - self._started_at),
            )
        self.video.status_text = self._status(view)
        self.video.link_level = view.link
        words = {LinkLevel.GOOD: t("good"), LinkLevel.FAIR: t("fair"), LinkLevel.POOR: t("poor")}
        self.video.link_text = t("Connection:") + " " + words[view.link] if connected else ""
        names = {
            Speaker.OFFICIAL: t("Official"),
            Speaker.INTERPRETER: t("Interpreter"),
            Speaker.EXPERT: t("Expert"),
        }
        shown = view.messages[-CHAT_SHOWN:]
        you = t("You")
        self.chat.lines = "\n".join(f"{names.get(m.sender, you)}: {m.text}" for m in shown)
        # The caption over the video: the last line of an official, expert or interpreter.
        theirs = [m.text for m in view.messages if m.sender in names]
        self.video.caption = theirs[-1] if theirs else ""
        requested = view.identification_requested
        if requested and requested != self._asked_for and self.phase in ("in_call", "chat"):
            self._asked_for = requested
            self.ask_to_identify(requested)
        elif self._asked_for is None and self.strong_needed and self.identify_before_call(view):
            self._asked_for = "service"
            self.ask_to_identify(None, by_service=True)
        self.asked_to_pay(view.payment_request)
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
            )
        elif view.outcome in (CallOutcome.FAILED, CallOutcome.KIOSK_LOST):
            self.ended_text = t(
                "We could not keep the call going. Please try again in a moment, or book a time."
            )
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
            # The level's method (document, fineid…) the programme counts; never who.
            identification_method=view.identification_method or "",
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

    # --- sound ------------------------------------------------------------------------

    def toggle_mute(self) -> None:
        self.muted = not self.muted
        if self._audio is not None:
            self._audio.muted = self.muted

    def change_volume(self, step: float) -> None:
        self.volume = min(1.0, max(0.0, round(self.volume + step, 1)))
        if self._speaker is not None:
            self._speaker.volume = self.volume

    # --- who is who, and what they write -------------------------------------------------

    def _who(self, source: str) -> str:
        if source == "official":
            return self.app.t("Official")
        kind, _, organisation = source.partition(":")
        if kind == "interpreter":
            return self.app.t("Interpreter")
        # Another authority's expert: their organisation ("Kela"), which the citizen knows.
        if organisation:
            return organisation
        return self.app.t("Expert") if kind == "expert" else self.app.t("Official")

    def _live_text(self, source: str, text: str) -> None:
        """Others' real-time text (the call's thread): applied here, shown on the UI's."""
        line = "\n".join(f"{self._who(who)}: {now}" for who, now in self._live.apply(source, text))

        def show(_dt: float) -> None:
            self.video.live_line = self.chat.live_line = line

        Clock.schedule_once(show)

    def send_live_text(self, characters: str) -> None:
        """The chat's keys as they are pressed (CallChat's `on_typing`)."""
        if self.call is not None:
            self.call.send_live_text(characters)

    def send_message(self, text: str) -> None:
        """The chat's Send (CallChat's `on_send`)."""
        if self.call is not None:
            self.call.send_message(text)

    # --- documents ----------------------------------------------------------------------

    def open_document(self, document_id: str) -> None:
        if self.call is None:
            return
        call = self.call
        self.pages.page_text = self.app.t("Opening the document…")
        self.phase = "document"
        self.off_main_loop(lambda: self._load_pages(call, document_id), self._loaded)

    @staticmethod
    def _load_pages(call: CallSession, document_id: str) -> tuple[str, bytes, list[np.ndarray]]:
        from kiosk.call.documents import render_pages

        content = call.document(document_id)
        return document_id, content, render_pages(content)

    def _loaded(self, loaded: tuple[str, bytes, list[np.ndarray]] | None, error: Any) -> None:
        if loaded is None or not loaded[2]:
            self.pages.page_text = self.app.t("The document could not be opened.")
            return
        self.pages.show(*loaded)

    def print_document(self, document_id: str, content: bytes) -> None:
        """DocumentPages' Print: the document onto the A4 printer, through the session's
        scratch folder (wiped with the session)."""
        printer = self.app.device("a4_printer")
        scratch = self.app.session.scratch
        if printer is None or scratch is None or not content:
            self.pages.page_text = self.app.t("Printing is not available here.")
            return
        path = scratch / f"document-{document_id}"
        path.write_bytes(content)
        pages = max(1, len(self.pages.pages))
        checkout = Checkout(self.app.video.line.client)

        def price() -> Any:
            try:
                return checkout.price_of(PriceKind.PRINT_PAGE) or "free"
            except PaymentError:
                return "free"  # central away: the official's document still prints

        def priced(found: Any, _error: DeviceError | None) -> None:
            print_now = lambda: self._print_now(document_id, path)  # noqa: E731
            if isinstance(found, Price):
                self.ask_to_pay_for_prints(
                    pages, found.amount_cents, found.vat_basis_points, print_now
                )
            else:
                print_now()

        self.off_main_loop(price, priced)

    def _print_now(self, document_id: str, path: Any) -> None:
        printer = self.app.device("a4_printer")
        if printer is None:
            return
        self.pages.page_text = self.app.t("Printing…")
        self.off_main_loop(
            lambda: printer.print_file(path), lambda _j, e: self._printed(document_id, e)
        )

    def _printed(self, document_id: str, error: DeviceError | None) -> None:
        if error is not None:
            self.pages.page_text = self.app.t(
                "The printer is not working. Ask the official to send the document another way."
            )
            return
        self.pages.page_text = self.app.t("Take your printout from the printer.")
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
        import cv2

        from kiosk.call.documents import as_png

        # The citizen sees what they scanned before the official does: sent only on Send.
        self._scan = [as_png(page) for page in pages]
        first = cv2.imread(str(pages[0]), cv2.IMREAD_COLOR)
        if first is not None:
            self.ids.scan_page.show(first)
        self.note = ""
        self.scan_text = self.app.t(
            "Is the page readable? Send it to the official, or put it right and scan again."
        )
        if len(pages) > 1:
            self.scan_text = self.app.t(
                "{pages} pages; the first is shown. Send them to the official, or scan again."
            ).format(pages=len(pages))
        self.phase = "scan_check"

    def send_scan(self) -> None:
        pages, self._scan = self._scan, []
        self.phase = "in_call"
        if self.call is None or not pages:
            return
        for n, page in enumerate(pages, start=1):
            self.call.send_scan(page, "image/png", f"page-{n}.png")
        self.app.record("document_scanned", pages=len(pages), during="call")
        self.note = self.app.t("{pages} pages sent to the official.").format(pages=len(pages))

    def scan_again(self) -> None:
        self.drop_scan()
        self.phase = "in_call"
        self.scan_page()

    def drop_scan(self) -> None:
        """Forget a scan not sent (Back, Scan again, the session's end)."""
        self._scan = []
        if "scan_page" in self.ids:
            self.ids.scan_page.clear()
        if self.phase == "scan_check":
            self.phase = "in_call"


N_("Official")
N_("You")
