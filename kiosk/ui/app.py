"""The kiosk UI: one Kivy app that owns the screens, the citizen's session and the devices.

Screens are loaded the first time they are shown (their module and .kv
file), so start-up only pays for the attract screen. Everything a citizen
leaves behind goes when the session ends: see `end_session`.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.cache import Cache
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import dp, mm
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from contract.kiosk_config import KioskConfig
from kiosk import config, watchdog
from kiosk.outbox import Outbox
from kiosk.site_time import today_at_site
from kiosk.store import StateStore
from kiosk.ui.branding import logo_file, today_text
from kiosk.ui.i18n import CONTENT_ONLY, Translations
from kiosk.ui.liveness import Liveness
from kiosk.ui.lockdown import lock_down
from kiosk.ui.pin_lock import PinLock
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.session import CitizenSession
from kiosk.ui.settings import UiSettings
from kiosk.ui.speech import Speaker
from kiosk.ui.theme import NORMAL, palette
from kiosk.ui.usage import UsageLog
from kiosk.ui.video_service import VideoService
from kiosk.ui.widgets import IdleWarning

log = logging.getLogger("kiosk.ui")
MAX_MAINTENANCE_MESSAGE = 200
KV_DIR = Path(__file__).parent / "kv"
SCREENS = {
    "attract": "AttractScreen",
    "language": "LanguageScreen",
    "home": "HomeScreen",
    "catalogue": "CatalogueScreen",
    "service": "ServiceScreen",
    "checkin": "CheckinScreen",
    "call": "CallScreen",
    "ticket": "TicketScreen",
    "appointment": "AppointmentScreen",
    "payment": "PaymentScreen",
    "scan": "ScanScreen",
    "feedback": "FeedbackScreen",
    "fault": "FaultScreen",
    "maintenance": "MaintenanceScreen",
    "technician_pin": "TechnicianPinScreen",
    "technician": "TechnicianScreen",
}
LARGE_TEXT_SCALE = 1.5
SHORT_SCREEN = 720  # pixels of height


def _wake_sound_server() -> None:
    """On the kiosk the sound server starts when first asked (its sockets), not with the
    UI's session: ask it once the screen is up, off the main loop, so that it is up
    with its echo canceller long before a citizen's call looks for its devices."""
    from kiosk.call.pulse import PulseError, device_names

    try:
        device_names(record=True)
    except PulseError as exc:
        log.warning("sound server: %s", exc)


def _quiet_print(printer: Any, lines: list[str], title: str) -> None:
    try:
        printer.print_receipt(lines, title=title)
    except Exception as exc:  # noqa: BLE001 - the payment is recorded; the receipt is a copy
        log.warning("a recovered payment's receipt was not printed: %s", exc)


class KioskApp(App):
    """Wires the parts: screens and the citizen's session here; devices in DeviceHub
    (kiosk/device_hub.py, no Kivy), remote commands in UiCommands, signs of life in
    Liveness."""

    language = StringProperty("fi")
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    speech_mode = BooleanProperty(False)
    maintenance = BooleanProperty(False)
    # The admin's words on the maintenance screen ("Back at 14:00"), in every language as typed.
    maintenance_message = StringProperty("")
    colors = DictProperty(NORMAL.rgba())
    # Branding from the site's config (kiosk/ui/branding.py): the logo as a file, today's
    # hours in words, and whether a video call could be taken now ("" until asked).
    logo_path = StringProperty("")
    today = StringProperty("")  # the local date, ISO: the hours shown follow midnight
    # Whether a video call could be taken now, and the line to ask (video_service.py).
    video = ObjectProperty(None)
    # A Kivy property, so kv rules that read it (home.kv: ticket_printing, scanning)
    # follow a config the agent syncs while the UI runs.
    # The kiosk's configuration as the agent last synced it; kv rules read
    # `app.kiosk_config.scanning` and run again when a new one replaces it.
    kiosk_config = ObjectProperty(KioskConfig(), rebind=True)
    touch_min = NumericProperty(0)
    # Every font size in the kv rules is `sp(n) * app.text_scale`: large text rescales
    # what is already on screen (Kivy's Metrics.fontscale only reaches new widgets).
    text_scale = NumericProperty(1.0)
    # The height unit of button rows and bars: the touch target, grown with large text
    # so that its words still fit on their lines.
    row = NumericProperty(0)
    # A portrait screen (the floor-standing kiosk): layouts that would be stretched
    # landscape ones stack their parts instead.
    portrait = BooleanProperty(False)
    # A short landscape screen (a 7" 1024×600 panel): the catalogue puts its keyboard
    # beside the results instead of under them.
    short_screen = BooleanProperty(False)

    def __init__(
        self,
        settings: UiSettings,
        store: StateStore | None = None,
        translations: Translations | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.store = store or StateStore(settings.state_dir / "state.db")
        self.translations = translations or Translations()
        self.kiosk_config = config.current(self.store)
        self.today = today_at_site(self.kiosk_config).isoformat()
        available = self.translations.languages
        offered = set(available) | set(CONTENT_ONLY)  # content-only: when the site lists them
        configured = [x for x in self.kiosk_config.languages if x in offered]
        self.languages = configured + [x for x in available if x not in configured]
        self.default_language = self.kiosk_config.default_language or self.languages[0]
        self.language = self.default_language
        self.usage = UsageLog(Outbox(self.store))
        self.video = VideoService(settings.state_dir, self._video_service_ids)
        self.speaker = Speaker(wav_dir=settings.speech_wav_dir)
        self.session = CitizenSession(
            settings.scratch_root,
            idle_timeout_s=self.kiosk_config.idle_timeout_s,
            warning_s=self.kiosk_config.idle_warning_s,
            max_extensions=self.kiosk_config.max_extensions,
        )
        self.session.wipers.append(self._wipe_citizen_data)
        self.pin_lock = PinLock(self.store, self.kiosk_config.technician_pin)
        self._hub: Any = None
        self._commands: Any = None
        self.liveness = Liveness(self.store)
        self.loaded: dict[str, KioskScreen] = {}
        self.warning: IdleWarning | None = None
        self._ui_state = "attract"
        self._stopped = False
        self._going_to = ""
        self.touch_min = max(mm(11), dp(48))  # EN 301 549: touch targets of at least 9 mm
        self.row = self.touch_min

    # --- set-up and shut-down -------------------------------------------------------

    def build(self) -> ScreenManager:
        self.title = "Palvelupiste"
        Builder.load_file(str(KV_DIR / "widgets.kv"))
        lock_down(self.settings.fullscreen, self.stop)
        self.session.remove_leftovers()
        # Devices open once the first frame is on screen: the screen is up sooner,
        # and nothing a citizen can reach needs a device in that first moment.
        Window.bind(on_flip=self._on_first_flip)
        self.maintenance = self.kiosk_config.maintenance or bool(
            self.store.get_state("ui.maintenance", False)
        )
        self.maintenance_message = str(self.store.get_state("ui.maintenance_message", "") or "")
        self.manager = ScreenManager(transition=NoTransition())
        self.on_colors()
        Window.bind(on_touch_down=self._on_any_touch)
        Window.bind(size=self._on_window_size)
        self._on_window_size(Window, Window.size)
        Clock.schedule_interval(self._tick, 0.5)
        self.go("maintenance" if self.maintenance else "attract")
        return self.manager

    @property
    def hub(self) -> Any:
        """The devices (kiosk/device_hub.py), made when first wanted: after the first
        frame, so the drivers' imports are not paid before the screen is up."""
        if self._hub is None:
            from kiosk.device_hub import DeviceHub

            self._hub = DeviceHub(
                self.store,
                record=self.usage.record,
                when_presence=lambda: Clock.schedule_once(lambda _dt: self._presence()),
            )
        return self._hub

    @property
    def commands(self) -> Any:
        """Remote commands (kiosk/ui/commands.py), first wanted at the first liveness tick."""
        if self._commands is None:
            from kiosk.ui.commands import UiCommands

            self._commands = UiCommands(self)
        return self._commands

    @property
    def devices(self) -> Any:
        return self.hub.devices

    def _open_devices(self) -> None:
        from kiosk.device_hub import POLL_S

        self.hub.open(self.settings.devices or self.kiosk_config.devices)
        Clock.schedule_interval(lambda _dt: self.hub.check(), POLL_S)
        if self.hub.device("payment_terminal") is not None:
            self.settle_card_payments()
            Clock.schedule_interval(lambda _dt: self.settle_card_payments(), POLL_S)

    def settle_card_payments(self) -> threading.Thread:
        """At start and every minute, in a thread: card payments a crash or an outage left
        unfinished are settled with the terminal and reported to central; the receipt of
        one found approved is printed again (kiosk/card_payment.py)."""
        from kiosk.card_payment import CardPayments
        from kiosk.payments import Checkout
        from kiosk.ui.screens.payment import receipt_lines

        cards = CardPayments(
            self.store, self.hub.device("payment_terminal"), Checkout(self.video.line.client)
        )

        def work() -> None:
            try:
                if not cards.entries("sending", "aborting", "approved", "declined", "reversed"):
                    return
                for settled in cards.settle_unfinished():
                    if settled.recovered and settled.approved:
                        lines = receipt_lines(self, settled.payment)
                        Clock.schedule_once(lambda _dt, lines=lines: self._reprint(lines))
            except Exception:  # noqa: BLE001 - tried again in a minute
                log.exception("settling card payments failed; trying again later")

        thread = threading.Thread(target=work, name="card-payments", daemon=True)
        thread.start()
        return thread

    def _reprint(self, lines: list[str]) -> None:
        printer = self.device("printer")
        if printer is None:
            return
        title = self.t("Receipt (printed again)")
        threading.Thread(
            target=lambda: _quiet_print(printer, lines, title), name="reprint", daemon=True
        ).start()

    def _on_first_flip(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._on_first_flip)
        # on_flip handlers run before the buffers swap: the next tick comes after it.
        Clock.schedule_once(lambda _dt: self._first_frame_shown(), 0)

    def _first_frame_shown(self) -> None:
        """The attract (or maintenance) screen is visible: report we are up, then do
        what start-up deferred. `kiosk-ui` starts with the cyclic garbage collector
        off; the objects made so far live as long as the process, so they are frozen
        out of its reach before it goes back on."""
        self.liveness.report(self._ui_state)
        # In the journal (and on a kiosk's serial console): the UI is up, on this screen.
        log.info("first frame drawn: %s screen", self._ui_state)
        watchdog.notify("READY=1")  # systemd's watchdog counts from here
        gc.freeze()
        gc.enable()
        self._open_devices()
        self.video.ready = True
        self.refresh_video_now()
        threading.Thread(target=_wake_sound_server, name="sound-server", daemon=True).start()

    def on_stop(self) -> None:
        if self._stopped:
            return  # Kivy calls on_stop again after a stop() from our SIGTERM handler
        self._stopped = True
        if self.session.active:
            self.end_session("shutdown", go_to_attract=False)
        self.speaker.stop()
        if self._hub is not None:
            self._hub.close()
        self.liveness.report("down")

    # --- text, theme, speech --------------------------------------------------------

    def t(self, msgid: str, language: str | None = None) -> str:
        """Translated text; kv passes `app.language` so the label follows a live switch."""
        return self.translations.text(msgid, language or self.language)

    def on_large_text(self, _app: Any, on: bool) -> None:
        self.text_scale = LARGE_TEXT_SCALE if on else 1.0

    def on_text_scale(self, _app: Any, scale: float) -> None:
        self.row = self.touch_min * scale

    def _on_window_size(self, _window: Any, size: tuple[int, int]) -> None:
        self.portrait = size[1] > size[0]
        self.short_screen = not self.portrait and size[1] < SHORT_SCREEN

    def on_high_contrast(self, *_: Any) -> None:
        self.colors = palette(self.kiosk_config.accent_colour, self.high_contrast).rgba()

    def on_colors(self, *_: Any) -> None:
        """Every screen's background is the window's clear colour (widgets.kv says why)."""
        Window.clearcolor = self.colors["background"]

    def on_kiosk_config(self, _app: Any, kiosk_config: KioskConfig) -> None:
        self.on_high_contrast()
        logo = logo_file(self.settings.state_dir / "branding", kiosk_config.logo_png)
        self.logo_path = str(logo) if logo else ""

    def hours_text(self, language: str, document: KioskConfig, day: str) -> str:
        """Today's opening hours in words, for kv (which passes what it should follow)."""
        if not day:
            return ""
        return today_text(lambda m: self.t(m, language), document, date.fromisoformat(day))

    def _video_service_ids(self) -> list[str]:
        from kiosk import catalogue  # not before the first frame

        return [s.id for s in catalogue.video_services(self.store)]

    def refresh_video_now(self, force: bool = False) -> None:
        """The screens' "video service available now", asked again (VideoService)."""
        self.video.refresh(self.language, self.kiosk_config.remote_calls, force)

    def speak(self, text: str) -> None:
        self.speaker.say(text, self.language)

    def speak_screen(self) -> None:
        screen = self.manager.current_screen
        if isinstance(screen, KioskScreen):
            self.speak(". ".join(screen.spoken_elements()))

    # --- navigation -------------------------------------------------------------------

    def screen(self, name: str) -> KioskScreen:
        if name not in self.loaded:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
            module = importlib.import_module(f"kiosk.ui.screens.{name}")
            self.loaded[name] = getattr(module, SCREENS[name])(name=name)
            self.manager.add_widget(self.loaded[name])
        return self.loaded[name]

    def go(self, name: str, **params: Any) -> None:
        screen = self.screen(name)
        self._going_to = name
        screen.prepare(**params)
        if self._going_to != name:
            return  # preparing it sent the citizen elsewhere (a fault screen)
        self.manager.current = name
        self._ui_state = name
        if self.speech_mode:
            Clock.schedule_once(lambda _dt: self.speak_screen(), 0)

    def go_home(self) -> None:
        self.go("home" if self.session.active else "attract")

    def set_language(self, language: str) -> None:
        if language not in self.languages:
            return
        if language != self.language and self.session.active:
            self.record("language_changed", language=language)
        self.language = language
        if self.speech_mode:
            self.speak_screen()

    def toggle(self, feature: str) -> None:
        value = not getattr(self, feature)
        setattr(self, feature, value)
        self.record("accessibility_used", feature=feature, on=value)
        if feature == "speech_mode" and value:
            self.speak_screen()
        elif feature == "speech_mode":
            self.speaker.stop()

    def start_speech_mode(self) -> None:
        """From the attract screen without sight: a long press starts a session with speech."""
        if not self.session.active:
            self.start_session()
        self.speech_mode = True
        self.record("accessibility_used", feature="speech_mode", on=True)
        self.go("language")

    # --- the citizen's session --------------------------------------------------------

    def start_session(self) -> None:
        self.session.start()
        self.store.set_state("ui.session_active", True)
        self.record("session_started")

    def record(self, type: str, **data: Any) -> None:
        self.usage.record(type, self.session.id, **data)

    def finish(self) -> None:
        self.go("feedback" if self.session.active else "attract")

    def more_time(self) -> None:
        if self.session.extend() and self.warning is not None:
            self.warning.dismiss()
            self.warning = None

    def end_session(self, reason: str, go_to_attract: bool = True) -> None:
        if not self.session.active:
            return
        session_id = self.session.id
        duration = self.session.end()
        self.usage.record("session_ended", session_id, reason=reason, duration_s=round(duration))
        self.store.set_state("ui.session_active", False)
        if go_to_attract:
            self.go("maintenance" if self.maintenance else "attract")

    def _wipe_citizen_data(self) -> None:
        """Screens back to blank, caches emptied, settings back to the kiosk's defaults."""
        self.warning = None
        for modal in [w for w in Window.children if isinstance(w, ModalView)]:
            modal.dismiss()  # the idle warning, a chooser the citizen left open
        for screen in self.loaded.values():
            screen.wipe()
        camera = self.devices.all.get("camera")
        if camera is not None and hasattr(camera, "stop"):
            camera.stop()
        for category in ("kv.image", "kv.texture", "kv.loader"):
            Cache.remove(category)
        self.speaker.forget()
        self.language = self.default_language
        self.large_text = self.high_contrast = self.speech_mode = False
        gc.collect()

    def _on_any_touch(self, _window: Any, _touch: Any) -> bool:
        self.session.activity()
        return False

    def _presence(self) -> None:
        if not self.session.active and self.manager.current == "attract":
            self.screen("attract").greet()

    # --- the main-loop tick: idle, liveness, commands, watchdog ----------------------

    def _tick(self, _dt: float) -> None:
        self.today = today_at_site(self.kiosk_config).isoformat()
        verdict = self.session.poll()
        if verdict == "warn":
            self.warning = IdleWarning()
            self.warning.can_extend = self.session.can_extend
            self.warning.open()
            if self.speech_mode:
                self.speak(self.t("Are you still there?") + " " + self.t("More time"))
        elif verdict == "expire":
            self.end_session("idle")
        if self.warning is not None:
            self.warning.seconds_left = str(int(self.session.warning_left_s + 0.99))
        if self.liveness.due():
            self.liveness.report(self._ui_state)
            self._reload_config()
            self.commands.run_pending()
        self.liveness.feed_watchdog()

    def _reload_config(self) -> None:
        """The agent synced a new config: apply what can change while running."""
        fresh = config.current(self.store)
        if fresh == self.kiosk_config:
            return
        was_maintenance = self.kiosk_config.maintenance
        self.kiosk_config = fresh
        self.session.idle_timeout_s = fresh.idle_timeout_s
        self.pin_lock.configured = fresh.technician_pin or {}
        maintenance = fresh.maintenance
        if maintenance != was_maintenance:
            self.set_maintenance(maintenance)

    def device(self, kind: str) -> Any:
        return self.hub.device(kind)

    def set_maintenance(self, on: bool, message: str = "") -> tuple[str, str]:
        """Maintenance from a command or from config: at once, or when the session ends.
        A command may bring a short message for the screen; turning maintenance off
        clears it."""
        self.maintenance = on
        self.maintenance_message = message.strip()[:MAX_MAINTENANCE_MESSAGE] if on else ""
        self.store.set_state("ui.maintenance", on)
        self.store.set_state("ui.maintenance_message", self.maintenance_message)
        if not self.session.active:
            self.go("maintenance" if on else "attract")
            return "succeeded", f"maintenance {'on' if on else 'off'}"
        return "succeeded", "maintenance starts when the current session ends"

    def run_command(self, command_id: str, type_: str) -> tuple[str, str]:
        return self.commands.run(command_id, type_)
