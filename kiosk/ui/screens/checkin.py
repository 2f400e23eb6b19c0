"""Booking check-in: the code typed on the keyboard or shown as a QR code to the camera.

The camera runs only while this screen is shown, and its preview reuses one
texture (a texture per frame leaks). The booking found is kept on the screen
only until the session ends.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, StringProperty

from contract.kiosk_api import BookingStatus
from hardware.base import DeviceError, DeviceState
from kiosk import bookings
from kiosk.site_time import clock_at_site
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen

CODE_LENGTH = 8


class CheckinScreen(KioskScreen):
    typed = StringProperty("")
    message = StringProperty("")
    done = BooleanProperty(False)
    camera_ok = BooleanProperty(False)
    card_ok = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._texture: Texture | None = None
        self._preview: Any = None

    def prepare(self, **params: Any) -> None:
        self.typed = ""
        self.message = ""
        self.done = False

    def on_enter(self, *_: Any) -> None:
        reader = self.app.device("card_reader")
        self.card_ok = reader is not None and reader.state != DeviceState.OFFLINE
        if reader is not None:
            reader.when_card_inserted = lambda _atr: Clock.schedule_once(
                lambda _dt: self.card_inserted()
            )
            # A card put in while the screen slid in (or left in the reader) counts too.
            if reader.status.get("card") == "present":
                Clock.schedule_once(lambda _dt: self.card_inserted())
        camera = self.app.device("camera")
        self.camera_ok = False
        if camera is None:
            return
        camera.when_qr_decoded = lambda text: Clock.schedule_once(lambda _dt: self.qr_seen(text))
        try:
            camera.start()
            self.camera_ok = True
            self._preview = Clock.schedule_interval(lambda _dt: self._show_frame(), 0.1)
        except DeviceError:
            self.camera_ok = False

    def on_leave(self, *_: Any) -> None:
        self._stop_camera()
        reader = self.app.device("card_reader")
        if reader is not None:
            reader.when_card_inserted = None

    def card_inserted(self) -> None:
        """Read the card's identifier off the main loop, then check in with it."""
        reader = self.app.device("card_reader")
        if reader is None or self.done or not (self.manager and self.manager.current == self.name):
            return
        self.message = self.app.t("Reading your card…", self.app.language)
        self.off_main_loop(reader.read_card_id, self._card_read)

    def _card_read(self, card_id: str | None, _error: DeviceError | None) -> None:
        booking = bookings.find_by_card(self.app.store, card_id) if card_id else None
        if booking is None:
            self.message = self.app.t(
                "We could not find a booking for this card. Type your booking code instead.",
                self.app.language,
            )
            return
        self._check_in_booking(booking, "card")

    def _stop_camera(self) -> None:
        if self._preview is not None:
            self._preview.cancel()
            self._preview = None
        camera = self.app.device("camera")
        if camera is not None:
            camera.when_qr_decoded = None
            camera.stop()
        self.ids.preview.texture = None
        self._texture = None

    def _show_frame(self) -> None:
        camera = self.app.device("camera")
        frame = camera.latest_frame if camera is not None else None
        if frame is None:
            return
        height, width = frame.shape[:2]
        if self._texture is None or self._texture.size != (width, height):
            self._texture = Texture.create(size=(width, height), colorfmt="bgr")
            self._texture.flip_vertical()
        self._texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.ids.preview.texture = self._texture
        self.ids.preview.canvas.ask_update()

    def wipe(self) -> None:
        self.typed = ""
        self.message = ""
        self.done = False

    def key(self, value: str) -> None:
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif len(self.typed) < CODE_LENGTH:
            self.typed += value
        self.message = ""

    def qr_seen(self, text: str) -> None:
        if self.manager and self.manager.current == self.name and not self.done:
            self.check_in(bookings.code_from_qr(text), "qr")

    def submit(self) -> None:
        self.check_in(self.typed, "code")

    def check_in(self, code: str, method: str) -> None:
        booking = bookings.find_by_code(self.app.store, code) if code else None
        if booking is None:
            self.message = self.app.t(
                "We could not find a booking with this code. Check the code and try again.",
                self.app.language,
            )
            return
        self._check_in_booking(booking, method)

    def _check_in_booking(self, booking: bookings.Booking, method: str) -> None:
        t, language = self.app.t, self.app.language
        starts = clock_at_site(booking.starts_at, self.app.kiosk_config)
        if booking.status == BookingStatus.CANCELLED:
            self.message = t("This booking has been cancelled.", language)
            return
        again = booking.status == BookingStatus.CHECKED_IN
        if not again:
            bookings.queue_checkin(self.app.store, booking.id)
            self.app.record("booking_checked_in", method=method, service_id=booking.service_id)
        self.typed = ""
        self.done = True
        welcome = N_(
            "Welcome, {name}! You are checked in for {time}. Please take a seat; you will be called."  # noqa: E501
        )
        already = N_(
            "{name}, you are already checked in for {time}. Please take a seat; you will be called."  # noqa: E501
        )
        shown = bookings.shown_name(booking.display_name)
        if not shown:  # booked at a kiosk, where no name is asked
            welcome = N_(
                "Welcome! You are checked in for {time}. Please take a seat; you will be called."
            )
            already = N_(
                "You are already checked in for {time}. Please take a seat; you will be called."
            )
        self.message = t(already if again else welcome, language).format(name=shown, time=starts)
        self._stop_camera()
        if booking.mode == "remote" and self.app.kiosk_config.remote_calls:
            # A video booking: straight on to the official's queue.
            self.app.go("call", service_id=booking.service_id, booking_id=booking.id)
