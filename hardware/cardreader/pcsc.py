"""A PC/SC card reader with insert/remove events that survive reader unplug and pcscd restarts.

pyscard's CardMonitor thread stops for good when the reader goes away or
pcscd restarts, and tells nobody. So this driver runs its own loop on
SCardGetStatusChange: on any PC/SC error it releases the context, reports
the reader offline, and establishes a new context with backoff.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from smartcard import scard

from hardware.base import Device, DeviceError, DeviceOffline, DeviceState, SelfTestReport
from hardware.cardreader.pinpad import FEATURE_VERIFY_PIN_DIRECT, feature_request_code, features

POLL_MS = 300
GET_UID = bytes.fromhex("FFCA000000")


class CardRemoved(DeviceError):
    """The card left the reader during the operation; nothing was completed."""


class CardSession:
    """One card session: call it with an APDU for the card's answer; `control` speaks to
    the reader itself (its features, its PIN pad)."""

    def __init__(self, card: int, protocol: int) -> None:
        self._card, self._protocol = card, protocol

    def __call__(self, apdu: bytes) -> bytes:
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardRemoved("the card was removed during the operation")
        return bytes(response)

    def control(self, code: int, data: bytes) -> bytes:
        hresult, response = scard.SCardControl(self._card, code, list(data))
        if hresult != scard.SCARD_S_SUCCESS:
            raise DeviceError(f"the reader refused control {code:#x}: {hresult:#x}")
        return bytes(response)

    def pin_pad(self) -> Callable[[bytes], bytes] | None:
        """The reader's PIN entry (FEATURE_VERIFY_PIN_DIRECT), or None without one."""
        try:
            code = features(self.control(feature_request_code(), b"")).get(
                FEATURE_VERIFY_PIN_DIRECT
            )
        except DeviceError:
            return None
        if code is None:
            return None
        return lambda structure: self.control(code, structure)


class CardReader(Device):
    kind = "card_reader"

    def __init__(self, name: str = "card", reader_filter: str = "") -> None:
        super().__init__(name)
        self.reader_filter = reader_filter
        self.when_card_inserted: Callable[[bytes], None] | None = None
        self.when_card_removed: Callable[[], None] | None = None
        self._reader: str | None = None
        self._pin_pads: dict[str, bool] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._update(DeviceState.OFFLINE, card="absent")

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._monitor, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._thread = None

    def _monitor(self) -> None:
        wait = 0.2
        while not self._stop.is_set():
            try:
                self._watch_once()
                wait = 0.2
            except _PcscLost:
                self._reader = None
                self._update(DeviceState.OFFLINE, card="absent")
                self._stop.wait(wait)
                wait = min(wait * 2, 5.0)

    def _watch_once(self) -> None:
        """One PC/SC context: follow the reader until something breaks."""
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise _PcscLost()
        try:
            state = scard.SCARD_STATE_UNAWARE
            while not self._stop.is_set():
                hresult, readers = scard.SCardListReaders(context, [])
                if hresult != scard.SCARD_S_SUCCESS:
                    raise _PcscLost()
                matching = [r for r in readers if self.reader_filter in r]
                if not matching:
                    raise _PcscLost()
                if self._reader != matching[0]:
                    self._reader, state = matching[0], scard.SCARD_STATE_UNAWARE
                    self._update(DeviceState.ONLINE, reader=self._reader)
                hresult, states = scard.SCardGetStatusChange(
                    context, POLL_MS, [(self._reader, state)]
                )
                if hresult == scard.SCARD_E_TIMEOUT:
                    continue
                if hresult != scard.SCARD_S_SUCCESS:
                    raise _PcscLost()
                _, event_state, atr = states[0]
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                    raise _PcscLost()
                was_present = bool(state & scard.SCARD_STATE_PRESENT)
                present = bool(event_state & scard.SCARD_STATE_PRESENT)
                state = event_state & ~scard.SCARD_STATE_CHANGED
                if present and not was_present:
                    self._update(DeviceState.ONLINE, card="present")
                    if self.when_card_inserted:
                        self.when_card_inserted(bytes(atr))
                elif was_present and not present:
                    self._update(DeviceState.ONLINE, card="absent")
                    if self.when_card_removed:
                        self.when_card_removed()
        finally:
            scard.SCardReleaseContext(context)

    @contextmanager
    def session(self) -> Iterator[CardSession]:
        """One card session: `send(apdu) -> response` talks to the card until the block
        ends (a card's PIN stays verified only within its session). A pulled card raises
        CardRemoved, cleanly."""
        if self._reader is None:
            raise DeviceOffline("no card reader")
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise DeviceOffline("PC/SC service is not available")
        try:
            hresult, card, protocol = scard.SCardConnect(
                context,
                self._reader,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if hresult != scard.SCARD_S_SUCCESS:
                raise CardRemoved("no card in the reader")

            try:
                yield CardSession(card, protocol)
            finally:
                # Reset: nothing the citizen unlocked stays unlocked for the next one.
                scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)
        finally:
            scard.SCardReleaseContext(context)

    def has_pin_pad(self) -> bool:
        """Whether the reader has its own PIN pad (asked of the reader directly, with or
        without a card; remembered per reader). False when it cannot be asked."""
        reader = self._reader
        if reader is None:
            return False
        if reader in self._pin_pads:
            return self._pin_pads[reader]
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        found = False
        try:
            hresult, handle, _protocol = scard.SCardConnect(
                context, reader, scard.SCARD_SHARE_DIRECT, 0
            )
            if hresult == scard.SCARD_S_SUCCESS:
                try:
                    found = CardSession(handle, 0).pin_pad() is not None
                finally:
                    scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        finally:
            scard.SCardReleaseContext(context)
        self._pin_pads[reader] = found
        return found

    def transmit(self, apdus: list[bytes]) -> list[bytes]:
        """Send APDUs in one card session; a pulled card raises CardRemoved, cleanly."""
        with self.session() as send:
            return [send(apdu) for apdu in apdus]

    def read_card_id(self) -> str:
        """The card's identifier (UID) in hex, by the PC/SC GET DATA command that every
        PC/SC contactless reader answers for its card (PC/SC part 3, FF CA 00 00 00)."""
        (answer,) = self.transmit([GET_UID])
        if len(answer) < 3 or answer[-2:] != b"\x90\x00":
            raise DeviceError(f"the card did not give its identifier ({answer[-2:].hex()})")
        return answer[:-2].hex().upper()

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        report.check("reader present", self._reader is not None, self._reader or "none")
        return report


class _PcscLost(Exception):
    """The PC/SC context or the reader went away; start over with a new context."""
