"""Strong identification on the call screen, by ID card or by the citizen's own phone:
asked for by the official, or by the service itself while the citizen queues. The PIN
is only in `_pin` until it goes to the card; the QR and short code are only on screen
while they are shown, and everything is dropped at the session's end (`wipe_identity`).

A mixin of `CallScreen` (kiosk/ui/screens/call.py), which declares the Kivy properties
these methods set: `identify_text`, `pin_length`, `identifying`, `pin_pad`, `phone_code`,
`phone_text`, `phone_expired`, `reader_present`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from kivy.clock import Clock

from contract.call_api import CallStatus, IdentificationLevel, IdentificationMethod, PhoneStep
from hardware.base import DeviceState
from kiosk.call import card_identity, phone_identity

PHONE_POLL_S = 1.0


class CallIdentification:
    """The identify (card) and identify_phone phases of the call screen."""

    app: Any
    call: Any
    view: Any
    phase: str
    note: str
    identify_text: str
    pin_length: int
    identifying: bool
    pin_pad: bool
    phone_code: str
    phone_text: str
    phone_expired: bool
    reader_present: bool
    ids: Any
    _pin: str
    _why: str
    _quiet: bool
    _phone: phone_identity.Shown | None
    _phone_tick: Any

    if TYPE_CHECKING:  # KioskScreen's, after this mixin in CallScreen's order

        def off_main_loop(self, work: Any, done: Any) -> None: ...

    def _after_identifying(self) -> str:
        """Back to the queue or the call, whichever the citizen is in."""
        return "waiting" if self.view.status == CallStatus.QUEUED else "in_call"

    def ask_to_identify(
        self, method: IdentificationMethod | None, by_service: bool = False
    ) -> None:
        """The official (or the service) asks: by phone if that was asked for or the
        kiosk has no working card reader, else the ID card, with the phone offered."""
        t = self.app.t
        self._why = (
            t("This service needs to know who you are: you can identify while you wait.")
            if by_service
            else t("Your official asks you to identify yourself.")
        )
        reader = self.app.device("card_reader")
        self.reader_present = reader is not None and reader.state != DeviceState.OFFLINE
        phone = method in (IdentificationMethod.SUOMIFI, IdentificationMethod.FTN)
        if phone or not self.reader_present:
            self._quiet = by_service  # a service's own wish: no word if nothing works
            self.use_phone(method if phone else None)
        else:
            self.ask_for_card()

    def identify_before_call(self, view: Any) -> bool:
        """A service that needs strong identification: asked once while queuing."""
        return (
            view.status == CallStatus.QUEUED
            and view.identification != IdentificationLevel.STRONG
            and self.phase == "waiting"
        )

    def ask_for_card(self) -> None:
        """The official asks: the citizen puts their ID card in the reader and types PIN1."""
        t = self.app.t
        reader = self.app.device("card_reader")
        self._pin, self.pin_length, self.identifying = "", 0, False
        if reader is None or reader.state == DeviceState.OFFLINE:
            self.note = t("The card reader is not working: show your ID to the camera instead.")
            return
        self.pin_pad = False
        self.identify_text = (
            self._why + " " + t("Put your ID card in the reader and type your PIN1 (4–12 digits).")
        )
        self.phase = "identify"
        self.off_main_loop(reader.has_pin_pad, self._pin_pad_known)

    def _pin_pad_known(self, has_one: bool | None, _error: Any) -> None:
        """A reader with its own PIN pad takes the PIN itself: no keys on the screen."""
        if not has_one or self.phase != "identify":
            return
        self.pin_pad = True
        self.identify_text = (
            self._why
            + " "
            + self.app.t(
                "Put your ID card in the reader and press OK. Then type your PIN1 on the "
                "card reader's own keypad and confirm it there."
            )
        )

    def pin_key(self, value: str) -> None:
        if self.identifying:
            return
        if value == "backspace":
            self._pin = self._pin[:-1]
        elif value.isdigit() and len(self._pin) < 12:
            self._pin += value
        self.pin_length = len(self._pin)

    def send_pin(self) -> None:
        """PIN1 to the card and the card's proof to central, off the main loop."""
        reader = self.app.device("card_reader")
        call = self.call
        if reader is None or call is None or self.identifying:
            return
        if len(self._pin) < 4 and not self.pin_pad:
            self.identify_text = self.app.t("PIN1 has 4 to 12 digits.")
            return
        pin, call_id = (None if self.pin_pad else self._pin), self.view.call_id
        self._pin, self.pin_length, self.identifying = "", 0, True
        t = self.app.t
        self.identify_text = (
            t("Type your PIN1 on the card reader's keypad…")
            if self.pin_pad
            else t("Checking your card…")
        )
        self.off_main_loop(
            lambda: card_identity.attempt(call.client, reader.session, call_id, pin),
            self._card_answer,
        )

    def _card_answer(self, outcome: card_identity.Outcome | None, _error: Any) -> None:
        self.identifying = False
        t = self.app.t
        kind = outcome.kind if outcome is not None else "unavailable"
        if kind == "identified" and outcome is not None:
            self.note = t("Identified: {name}").format(name=outcome.shown_name)
            self.identify_text = ""
            self.phase = self._after_identifying()
            return
        self.identify_text = {
            "wrong_pin": t("Wrong PIN. Tries left: {tries}.").format(
                tries=outcome.tries_left if outcome else 0
            ),
            "pin_blocked": t(
                "Your PIN is blocked. You can unblock it with your PUK code; the official "
                "can identify you in another way."
            ),
            "pin_cancelled": t("The PIN was not typed on the reader. Press OK to try again."),
            "card_removed": t("The card was taken out. Put it back in the reader and try again."),
            "card_error": t("This card cannot be read. Is it a Finnish ID card?"),
            "refused": t("The card could not be accepted. The official can tell you more."),
        }.get(kind, t("Identification is not available right now. Try again in a moment."))

    def cancel_identify(self) -> None:
        self._pin, self.pin_length = "", 0
        self.identify_text = ""
        self._stop_phone()
        self.phase = self._after_identifying()

    def use_phone(self, method: IdentificationMethod | None = None) -> None:
        """A QR code from central for the citizen's phone; where central offers no phone
        route (or cannot be reached), the screen says so and the card stays offered."""
        call = self.call
        if call is None:
            return
        self._stop_phone()
        self.identifying = True
        self.phone_expired = False
        self.phone_text = self.app.t("Getting a code…")
        call_id = self.view.call_id
        self.off_main_loop(
            lambda: phone_identity.start(call.client, call_id, method), self._phone_shown
        )

    def _phone_shown(self, shown: phone_identity.Shown | None, _error: Any) -> None:
        self.identifying = False
        t = self.app.t
        if shown is None:
            if self._quiet and not self.reader_present:
                self.phase = self._after_identifying()
                return
            self.note = t(
                "Identification by phone is not available right now. Use your ID card or "
                "show your ID to the camera."
            )
            self.phase = self._after_identifying() if not self.reader_present else "identify"
            return
        self._phone = shown
        self.ids.phone_qr.show(np.dstack([shown.qr] * 3))
        self.phone_code = shown.short_code
        self.phone_text = (
            self._why
            + " "
            + t(
                "Scan the code with your phone's camera and identify with your bank codes or "
                "mobile certificate. Continue only if your phone shows the same code as this "
                "screen."
            )
        )
        self.phase = "identify_phone"
        self._phone_tick = Clock.schedule_interval(lambda _dt: self._ask_phone(), PHONE_POLL_S)

    def _ask_phone(self) -> None:
        call, shown = self.call, self._phone
        if call is None or shown is None or self.identifying:
            return
        self.identifying = True
        call_id = self.view.call_id
        self.off_main_loop(
            lambda: phone_identity.progress(call.client, call_id, shown.handoff_id),
            self._phone_progress,
        )

    def _phone_progress(self, progress: Any, _error: Any) -> None:
        self.identifying = False
        if progress is None or self._phone is None:
            return
        t = self.app.t
        if progress.step == PhoneStep.IDENTIFIED:
            self.note = t("Identified: {name}").format(name=progress.shown_name or "")
            self._stop_phone()
            self.phase = self._after_identifying()
        elif progress.step == PhoneStep.OPENED:
            self.phone_text = t("Continue on your phone…")
        elif progress.step == PhoneStep.REFUSED:
            self._stop_phone(keep_screen=True)
            self.phone_text = t("Identification did not succeed. You can try again.")
            self.phone_expired = True
        elif progress.step == PhoneStep.EXPIRED:
            self._stop_phone(keep_screen=True)
            self.phone_text = t("The code has expired. You can get a new one.")
            self.phone_expired = True

    def _stop_phone(self, keep_screen: bool = False) -> None:
        """No more asking; the QR and code leave the screen (unless a message stays)."""
        if self._phone_tick is not None:
            self._phone_tick.cancel()
            self._phone_tick = None
        self._phone = None
        self.phone_code = ""
        if "phone_qr" in self.ids:
            self.ids.phone_qr.clear()
        if not keep_screen:
            self.phone_text = ""
            self.phone_expired = False

    def wipe_identity(self) -> None:
        self._stop_phone()
        self.pin_pad = False
        self.identify_text, self._pin, self.pin_length = "", "", 0
