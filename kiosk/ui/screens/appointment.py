"""Book a video appointment at the kiosk, or change or cancel one by its code.

One screen in phases, each a short list of big buttons: where (this service point, or
from home), which day, which time, then the details (an interpreter, an e-mail address
if the citizen wants the confirmation there) and the booking itself. The receipt is
printed with the code and a QR code: at this service point the QR checks the citizen
in on the day; for a visit from home it opens the meeting on their phone. Central is
asked off the main loop; without it the screen says so and nothing is booked.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from contract import appointments as contract
from contract.appointments import VisitPlace
from hardware.base import DeviceError, DeviceState
from kiosk import bookings, catalogue
from kiosk.appointments import AppointmentError, AppointmentLine
from kiosk.site_time import clock_at_site, zone_of
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.service_text import DAY_NAMES
from kiosk.ui.widgets import KioskButton, ListButton
from kiosk.ui.widgets.buttons import offer

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Interpreters a citizen can ask for at the kiosk (central accepts any ISO 639 code).
INTERPRETED = {
    "ar": N_("Arabic"),
    "ru": N_("Russian"),
    "so": N_("Somali"),
    "uk": N_("Ukrainian"),
    "fa": N_("Persian"),
    "et": N_("Estonian"),
}
QUESTIONS = {
    "place": N_("Where will you be during the video appointment?"),
    "days": N_("Choose a day."),
    "times": N_("Choose a time."),
    "details": N_("Check your appointment and book it."),
    "interpreter": N_("Do you need an interpreter?"),
    "email": N_("Type your e-mail address to get the confirmation there (optional)."),
    "code": N_("Type the code of your video appointment."),
    "found": N_("Your video appointment:"),
    "cancel_sure": N_("Do you really want to cancel? The time becomes free for others."),
    "cancelled": N_("Your video appointment is cancelled."),
    "done": N_("Your video appointment is booked."),
}
PROBLEMS = {
    "offline": N_("Booking is not possible right now. Please try again later or ask staff."),
    "taken": N_("Someone booked this time a moment ago. Please choose another time."),
    "unknown": N_("No video appointment has this code. Check the code and try again."),
    "refused": N_("This did not work. Please try again later."),
    "none": N_("There are no free video appointment times in the coming month."),
}


class AppointmentScreen(KioskScreen):
    # place | days | times | details | interpreter | email | working | done | code | found
    # | cancel_sure | cancelled | problem
    phase = StringProperty("place")
    heading = StringProperty("")
    question = StringProperty("")  # what this phase asks
    summary = StringProperty("")  # the appointment as chosen or booked
    message = StringProperty("")
    typed = StringProperty("")  # the e-mail address or the code being typed
    has_options = BooleanProperty(False)  # the phase offers a list to choose from
    managing = BooleanProperty(False)  # found by its code: changing, not booking anew

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._forget()

    @property
    def line(self) -> AppointmentLine:
        return AppointmentLine(self.app.video.line.client)

    def _forget(self) -> None:
        self.service_id = ""
        self.place = VisitPlace.SERVICE_POINT
        self.offered: dict[VisitPlace, contract.KioskFreeTimes] = {}
        self.day = ""
        self.starts_at = ""
        self.interpreter = ""
        self.email = ""
        self.code = ""
        self.card_id = ""  # the card put in while booking: sent once, kept nowhere
        self.result: contract.KioskAppointment | None = None
        self.typed = ""
        self.message = ""
        self.managing = False

    def prepare(self, **params: Any) -> None:
        self._forget()
        if params.get("manage"):
            self.show("code")
            return
        self.service_id = params.get("service_id", "")
        self.heading = self._service_name()
        self.message = self.app.t("Looking for free times…")
        self.show("working")
        service_id, language = self.service_id, self.app.language
        self.off_main_loop(lambda: self._both_places(service_id, language), self._offered)

    def on_enter(self, *_: Any) -> None:
        reader = self.app.device("card_reader")
        if reader is not None:
            reader.when_card_inserted = lambda _atr: Clock.schedule_once(
                lambda _dt: self.card_inserted()
            )

    def on_leave(self, *_: Any) -> None:
        reader = self.app.device("card_reader")
        if reader is not None:
            reader.when_card_inserted = None

    def wipe(self) -> None:
        self._forget()
        self.phase = "place"
        if "options" in self.ids:
            self.ids.options.clear_widgets()

    # -- what central offers ----------------------------------------------------------

    def _both_places(self, service_id: str, language: str) -> dict[VisitPlace, Any]:
        found: dict[VisitPlace, Any] = {}
        for place in (VisitPlace.SERVICE_POINT, VisitPlace.HOME):
            try:
                free = self.line.free(service_id, language, place)
            except AppointmentError as exc:
                if exc.kind == "offline":
                    return {"offline": exc}  # type: ignore[dict-item]
                continue
            if free.days:
                found[place] = free
        return found

    def _offered(self, found: dict[Any, Any] | None, _error: DeviceError | None) -> None:
        if self.phase != "working":
            return  # the citizen left
        if not found or "offline" in found:
            self.problem("offline" if found else "none")
            return
        self.offered = found
        if len(found) == 1:
            self.choose_place(next(iter(found)))
        else:
            self.show("place")

    def choose_place(self, place: VisitPlace) -> None:
        self.place = place
        self.show("days")

    def choose_day(self, day: str) -> None:
        self.day = day
        free = self.offered.get(self.place)
        if free is not None and free.day == day:
            self.show("times")
            return
        self.message = self.app.t("Looking for free times…")
        self.show("working")
        service_id, language, place = self.service_id, self.app.language, self.place
        self.off_main_loop(
            lambda: self.line.free(service_id, language, place, day), self._day_times
        )

    def _day_times(self, free: Any, _error: DeviceError | None) -> None:
        if self.phase != "working":
            return
        if free is None:
            self.problem("offline")
            return
        self.offered[self.place] = free
        self.show("times")

    def choose_time(self, starts_at: str) -> None:
        self.starts_at = starts_at
        self.show("details")

    # -- the card, for check-in by card on the day ------------------------------------

    def takes_card(self) -> bool:
        """A booking at this service point, made here, with a card reader that works."""
        reader = self.app.device("card_reader")
        return (
            self.place == VisitPlace.SERVICE_POINT
            and not self.managing
            and reader is not None
            and reader.state != DeviceState.OFFLINE
        )

    def card_inserted(self) -> None:
        """While the details are shown, a card in the reader is the citizen's way to
        check in on the day: its identifier goes with the booking (central keeps only a
        salted hash), and the screen says so."""
        reader = self.app.device("card_reader")
        if reader is None or self.phase != "details" or not self.takes_card():
            return
        self.message = self.app.t("Reading your card…")
        self.off_main_loop(reader.read_card_id, self._card_read)

    def _card_read(self, card_id: str | None, _error: DeviceError | None) -> None:
        if self.phase != "details":
            return
        if not card_id:
            self.message = self.app.t(
                "The card could not be read. You can check in with your code."
            )
            return
        self.card_id = card_id
        self.message = ""
        self.summary = self.chosen_text()

    # -- booking --------------------------------------------------------------------

    def book(self) -> None:
        self.message = self.app.t("Booking…")
        self.show("working")
        if self.managing:
            code, starts_at, language = self.code, self.starts_at, self.app.language
            job: Any = lambda: self._safely(  # noqa: E731
                lambda: self.line.change(code, starts_at, language)
            )
        else:
            body = {
                "service_id": self.service_id,
                "language": self.app.language,
                "place": self.place.value,
                "starts_at": self.starts_at,
                "interpreter_language": self.interpreter or None,
                "email": self.email or None,
                "ui_language": self.app.language,
                "card_id": self.card_id or None,
            }
            job = lambda: self._safely(lambda: self.line.book(**body))  # noqa: E731
        self.off_main_loop(job, self._booked)

    @staticmethod
    def _safely(job: Any) -> Any:
        try:
            return job()
        except AppointmentError as exc:
            return exc

    def _booked(self, answer: Any, _error: DeviceError | None) -> None:
        if isinstance(answer, AppointmentError) or answer is None:
            self.problem(answer.kind if answer is not None else "offline")
            return
        self.result = answer
        if answer.booking is not None:
            # This service point's booking: checked in here on the day, also offline.
            bookings.apply_delta(self.app.store, [answer.booking], [], reset=False)
        self.app.record(
            "appointment_booked",
            service_id=answer.service_id,
            place=answer.place.value,
            changed=self.managing,
        )
        self.message = ""
        self.show("done")
        self._print_receipt(answer)

    def _print_receipt(self, made: contract.KioskAppointment) -> None:
        printer = self.app.device("printer")
        if printer is None:
            self.message = self.app.t("Write down your booking code.")
            return
        lines = self._summary_lines(made)
        at_home = made.place == VisitPlace.HOME
        qr = made.visit_url if at_home else made.code.replace("-", "")
        self.message = self.app.t("Printing your receipt…")
        self.off_main_loop(
            lambda: printer.print_receipt(lines, qr=qr, title=self.app.t("Video appointment")),
            self._printed,
        )

    def _printed(self, _done: Any, error: DeviceError | None) -> None:
        if self.phase != "done":
            return
        if error is not None:
            self.message = self.app.t("The receipt could not be printed: write down your code.")
        else:
            self.message = self.app.t("Take your receipt from the printer.")

    def _when_where_how(self, made: contract.KioskAppointment) -> tuple[str, str, str]:
        t = self.app.t
        when = datetime.fromisoformat(made.starts_at)
        day = when.astimezone(zone_of(self.app.kiosk_config)).date()
        place = t("From home by video") if made.place == VisitPlace.HOME else made.site_name
        how = (
            t("Open the meeting link on your phone shortly before the time.")
            if made.place == VisitPlace.HOME
            else t("Check in at the kiosk with your code or this QR code.")
        )
        return f"{self._day_words(day)} {clock_at_site(when, self.app.kiosk_config)}", place, how

    def _summary_lines(self, made: contract.KioskAppointment) -> list[str]:
        """The receipt's lines: the service, when, where, the code, how to come."""
        when, place, how = self._when_where_how(made)
        lines = [self._service_name(made.service_id), when, place]
        if made.code:
            lines.append(self.app.t("Booking code: {code}").format(code=made.code))
        return [*lines, how]

    # -- change or cancel by code ---------------------------------------------------

    def find(self) -> None:
        code = self.typed
        if len(code) < 8:
            self.message = self.app.t("Type the 8 characters of your booking code.")
            return
        self.code = code
        self.message = self.app.t("Looking for your booking…")
        self.show("working")
        language = self.app.language
        self.off_main_loop(
            lambda: self._safely(lambda: self.line.find(code, language)), self._found
        )

    def _found(self, answer: Any, _error: DeviceError | None) -> None:
        if isinstance(answer, AppointmentError) or answer is None:
            self.problem(answer.kind if answer is not None else "offline")
            return
        self.result = answer
        self.managing = True
        self.service_id = answer.service_id
        self.place = answer.place
        self.heading = self._service_name()
        self.message = ""
        self.show("found")

    def change_time(self) -> None:
        self.message = self.app.t("Looking for free times…")
        self.show("working")
        service_id, language, place = self.service_id, self.app.language, self.place

        def ask() -> Any:
            try:
                return {place: self.line.free(service_id, language, place)}
            except AppointmentError as exc:
                return {"offline": exc}

        self.off_main_loop(ask, self._offered)

    def cancel(self) -> None:
        code = self.code
        self.message = self.app.t("Cancelling…")
        self.show("working")
        self.off_main_loop(lambda: self._safely(lambda: self.line.cancel(code)), self._cancelled)

    def _cancelled(self, answer: Any, _error: DeviceError | None) -> None:
        if isinstance(answer, AppointmentError):
            self.problem(answer.kind)
            return
        if self.result is not None and self.result.booking is not None:
            bookings.apply_delta(self.app.store, [], [self.result.id], reset=False)
        self.app.record("appointment_cancelled", place=self.place.value)
        self.message = ""
        self.show("cancelled")

    # -- typing ---------------------------------------------------------------------

    def key(self, value: str) -> None:
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif value == "space":
            return  # no spaces in an address or a code
        elif self.phase == "code":
            if len(self.typed) < 8:
                self.typed += value.upper()
        elif len(self.typed) < 254:
            self.typed += value

    def email_done(self) -> None:
        typed = self.typed.strip()
        if typed and not EMAIL.match(typed):
            self.message = self.app.t("This does not look like an e-mail address.")
            return
        self.email = typed
        self.message = ""
        self.show("details")

    def choose_interpreter(self, code: str) -> None:
        self.interpreter = code
        self.show("details")

    # -- what is shown ----------------------------------------------------------------

    def problem(self, kind: str) -> None:
        self.message = self.app.t(PROBLEMS.get(kind, PROBLEMS["refused"]))
        self.show("problem")

    def show(self, phase: str) -> None:
        if phase in ("email", "code"):
            self.typed = self.email if phase == "email" else ""
        elif phase == "done":
            self.typed = self.result.code if self.result is not None else ""
        self.phase = phase
        if phase not in ("working", "problem"):
            self.message = ""  # "Looking for free times…" and the like are over
        t = self.app.t
        self.question = t(QUESTIONS[phase]) if phase in QUESTIONS else ""
        # While choosing from a list or typing, the summary gives way (a 7" panel).
        if phase == "details":
            self.summary = self.chosen_text()
        elif phase in ("done", "found", "cancel_sure", "cancelled"):
            self.summary = self.done_text()
        else:
            self.summary = ""
        if "options" not in self.ids:
            return
        offer(self.ids.keypad, phase in ("email", "code"))
        box = self.ids.options
        box.clear_widgets()
        options = self._options(phase)
        self.has_options = bool(options)
        for text, icon, action in options:
            button = ListButton(text=text, icon=icon)
            button.bind(on_activate=lambda _b, act=action: act())
            box.add_widget(button)
        self.ids.scroller.scroll_y = 1
        row = self.ids.actions
        row.clear_widgets()
        for text, icon, style, action in self._actions(phase):
            button = KioskButton(text=t(text), icon=icon, style=style)
            button.bind(on_activate=lambda _b, act=action: act())
            row.add_widget(button)

    def _actions(self, phase: str) -> list[tuple[str, str, str, Any]]:
        """The buttons under the choices: back where the citizen came from, and on."""
        back = (N_("Back"), "arrow-left", "quiet")
        finish = (N_("Done"), "check", "accent", self.app.finish)
        to_service = lambda: self.app.go("service", service_id=self.service_id)  # noqa: E731
        if phase == "place":
            return [(*back, to_service)]
        if phase == "days":
            previous = (lambda: self.show("place")) if len(self.offered) > 1 else to_service
            if self.managing:
                previous = lambda: self.show("found")  # noqa: E731
            return [(*back, previous)]
        if phase == "times":
            return [(*back, lambda: self.show("days"))]
        if phase == "details":
            out = [(*back, lambda: self.show("times"))]
            if not self.managing:
                out += [
                    (
                        N_("Interpreter"),
                        "translate",
                        "normal",
                        lambda: self.show("interpreter"),
                    ),
                    (N_("E-mail"), "email", "normal", lambda: self.show("email")),
                ]
            book = N_("Change to this time") if self.managing else N_("Book")
            return [*out, (book, "calendar-check", "accent", self.book)]
        if phase == "interpreter":
            return [(*back, lambda: self.show("details"))]
        if phase == "email":
            return [
                (*back, lambda: self.show("details")),
                (N_("OK"), "check", "accent", self.email_done),
            ]
        if phase == "code":
            return [
                (*back, lambda: self.app.go("checkin")),
                (N_("Find my booking"), "magnify", "accent", self.find),
            ]
        if phase == "found":
            return [
                (N_("Change the time"), "pencil", "normal", self.change_time),
                (
                    "Cancel the booking",
                    "calendar-remove",
                    "normal",
                    lambda: self.show("cancel_sure"),
                ),
                finish,
            ]
        if phase == "cancel_sure":
            return [
                (N_("Keep the booking"), "arrow-left", "quiet", lambda: self.show("found")),
                (N_("Cancel the booking"), "calendar-remove", "accent", self.cancel),
            ]
        if phase == "problem":
            again = (
                (lambda: self.show("code")) if self.managing or not self.service_id else to_service
            )
            return [(*back, again), finish]
        if phase in ("done", "cancelled"):
            return [finish]
        return []

    def _options(self, phase: str) -> list[tuple[str, str, Any]]:
        t = self.app.t
        config = self.app.kiosk_config
        if phase == "place":
            out = []
            if VisitPlace.SERVICE_POINT in self.offered:
                out.append(
                    (
                        t("Here at this service point"),
                        "map-marker",
                        lambda: self.choose_place(VisitPlace.SERVICE_POINT),
                    )
                )
            if VisitPlace.HOME in self.offered:
                out.append(
                    (
                        t("From home on my own device"),
                        "home",
                        lambda: self.choose_place(VisitPlace.HOME),
                    )
                )
            return out
        if phase == "days":
            free = self.offered.get(self.place)
            days = free.days if free else []
            return [
                (self._day_words(date.fromisoformat(d)), "calendar", lambda d=d: self.choose_day(d))
                for d in days
            ]
        if phase == "times":
            free = self.offered.get(self.place)
            times = free.times if free else []
            return [
                (
                    clock_at_site(x.starts_at, config),
                    "clock",
                    lambda s=x.starts_at: self.choose_time(s),
                )
                for x in times
            ]
        if phase == "interpreter":
            return [(t("No interpreter"), "close", lambda: self.choose_interpreter(""))] + [
                (t(name), "translate", lambda c=code: self.choose_interpreter(c))
                for code, name in INTERPRETED.items()
            ]
        return []

    # -- words ------------------------------------------------------------------------

    def _service_name(self, service_id: str | None = None) -> str:
        item = catalogue.service(self.app.store, service_id or self.service_id)
        return item.name(self.app.language) if item else self.app.t("Video appointment")

    def _day_words(self, day: date) -> str:
        return f"{self.app.t(DAY_NAMES[day.weekday()])} {day.day}.{day.month}.{day.year}"

    def chosen_text(self) -> str:
        """The details phase's summary: the time, the place, the interpreter, the mail."""
        t = self.app.t
        if not self.starts_at:
            return ""
        when = datetime.fromisoformat(self.starts_at)
        day = when.astimezone(zone_of(self.app.kiosk_config)).date()
        place = (
            t("From home on my own device")
            if self.place == VisitPlace.HOME
            else t("Here at this service point")
        )
        parts = [
            f"{self._day_words(day)} {clock_at_site(when, self.app.kiosk_config)}",
            place,
            t("Interpreter: {language}").format(
                language=t(INTERPRETED[self.interpreter]) if self.interpreter else t("none")
            ),
        ]
        if self.email:
            parts.append(t("Confirmation to: {email}").format(email=self.email))
        if self.card_id:
            parts.append(t("Your card checks you in on the day."))
        elif self.takes_card():
            parts.append(
                t(
                    "To check in with your ID or Kela card on the day, "
                    "put it in the reader now (optional)."
                )
            )
        return "\n".join(parts)

    def done_text(self) -> str:
        """The appointment on screen: when and where, and what to do then. Booked, the
        service is the heading and the code is shown large; found by its code, the
        service leads and how to come is left out: a 7" panel in large text has room for
        no more."""
        made = self.result
        if made is None:
            return ""
        when, place, how = self._when_where_how(made)
        if self.phase in ("found", "cancel_sure"):
            lines = [self._service_name(made.service_id), when, place]
        else:
            lines = [when, place, how]
        if made.mailed:
            lines.append(self.app.t("The confirmation was sent to your e-mail."))
        return "\n".join(lines)
