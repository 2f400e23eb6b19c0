"""The UI's parts that need no window: session timing and wipe, PIN lockout, contrast,
translations, speech through the real espeak-ng, usage privacy, tickets, QR codes."""

from __future__ import annotations

import json
import re
import shutil
import wave
from datetime import date

import pytest

from kiosk.bookings import code_from_qr
from kiosk.outbox import Outbox
from kiosk.queue_tickets import next_ticket
from kiosk.store import StateStore
from kiosk.ui.i18n import Translations, source_msgids
from kiosk.ui.pin_lock import PinLock, pin_config
from kiosk.ui.session import CitizenSession, Phase
from kiosk.ui.speech import Speaker
from kiosk.ui.theme import HIGH_CONTRAST, NORMAL, contrast_ratio
from kiosk.ui.usage import UsageLog
from tests.support.own_process import in_own_process

pytestmark = pytest.mark.slow


class FakeClock:
    """Time that moves only when told: the rules, not the wall clock, are under test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_session_warns_gives_at_least_20_s_and_ten_extensions_then_expires(tmp_path):
    clock = FakeClock()
    session = CitizenSession(
        tmp_path, idle_timeout_s=60, warning_s=5, max_extensions=3, clock=clock
    )
    assert session.warning_s == 20 and session.max_extensions == 10  # floors hold
    session.start()
    clock.now += 59
    assert session.poll() is None
    session.activity()
    clock.now += 59
    assert session.poll() is None  # the touch restarted the idle time
    for _ in range(10):
        clock.now += 60
        assert session.poll() == "warn"
        clock.now += 19
        assert session.poll() is None and session.warning_left_s == pytest.approx(1)
        session.activity()  # a touch elsewhere does not dismiss the warning
        assert session.phase == Phase.WARNING
        assert session.extend()
    clock.now += 60
    assert session.poll() == "warn" and not session.can_extend and not session.extend()
    clock.now += 20
    assert session.poll() == "expire"


def test_session_end_deletes_scratch_and_runs_every_wiper(tmp_path):
    wiped = []
    session = CitizenSession(tmp_path / "scratch")
    session.wipers.append(lambda: wiped.append(True))
    session.start()
    scratch = session.scratch
    (scratch / "page-1.png").write_bytes(b"citizen's document")
    assert oct(scratch.stat().st_mode & 0o777) == "0o700"
    session.end()
    assert not scratch.exists() and wiped == [True] and session.id is None
    # A crash leaves a directory behind: the next start-up removes it.
    (tmp_path / "scratch" / "session-left").mkdir()
    assert session.remove_leftovers() == 1
    assert not list((tmp_path / "scratch").iterdir())


def test_pin_lockout_doubles_and_survives_a_restart(tmp_path):
    store = StateStore(tmp_path / "state.db")
    clock = FakeClock()
    configured = pin_config("2468", "00" * 16)
    lock = PinLock(store, configured, clock=clock)
    assert lock.try_pin("1111") == "wrong"
    assert lock.try_pin("1111") == "wrong"
    assert lock.try_pin("1111") == "locked"
    assert lock.locked_for_s() == 60
    restarted = PinLock(store, configured, clock=clock)
    assert restarted.try_pin("2468") == "locked"
    clock.now += 61
    assert restarted.try_pin("1111") == "locked" and restarted.locked_for_s() == 120
    clock.now += 121
    assert restarted.try_pin("2468") == "ok"
    assert restarted.try_pin("1111") == "wrong"  # success reset the count
    assert PinLock(store, None).try_pin("2468") == "disabled"
    assert "2468" not in str(configured)


@pytest.mark.parametrize("palette, minimum", [(NORMAL, 4.5), (HIGH_CONTRAST, 7.0)])
def test_every_text_colour_meets_its_contrast_ratio(palette, minimum):
    ratios = [contrast_ratio(fg, bg) for fg, bg in palette.text_pairs()]
    assert min(ratios) >= minimum, ratios


def test_every_brand_colour_keeps_every_text_at_4_5_to_1():
    """A site may pick any accent colour: every text the screens draw stays readable,
    checked over all 4096 colours of a 12-bit grid (#000, #001, … #FFF)."""
    from kiosk.ui.theme import palette

    worst = 21.0
    for value in range(4096):
        colour = "#" + "".join(f"{(value >> shift) & 15:X}" * 2 for shift in (8, 4, 0))
        branded = palette(colour)
        assert branded.accent == colour
        worst = min(worst, *(contrast_ratio(fg, bg) for fg, bg in branded.text_pairs()))
    assert worst >= 4.5, worst


def test_high_contrast_overrides_the_brand_colour():
    from kiosk.ui.theme import palette

    assert palette("#7A1F5C", high_contrast=True) == HIGH_CONTRAST
    assert palette("#7A1F5C").accent == "#7A1F5C"
    assert palette("not a colour") == NORMAL


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_every_ui_text_is_translated_with_its_placeholders():
    translations = Translations()
    wanted = source_msgids()
    assert len(wanted) > 60
    assert {"fi", "sv", "en"} <= set(translations.languages)
    assert translations.names["fi"] == "Suomi" and translations.names["sv"] == "Svenska"
    for language in translations.languages:
        assert translations.missing(language, wanted) == [], language
        for msgid in wanted:
            placeholders = set(re.findall(r"{\w+}", msgid))
            assert set(re.findall(r"{\w+}", translations.text(msgid, language))) == placeholders
    assert translations.text("Find a service", "sv") == "Sök en tjänst"
    assert translations.text("not a msgid", "fi") == "not a msgid"


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is installed by ./run test"
)
def test_speech_is_real_audio_in_each_language(tmp_path):
    speaker = Speaker(wav_dir=tmp_path)
    for language, text in [
        ("fi", "Tervetuloa palvelupisteeseen"),
        ("sv", "Välkommen"),
        ("en", "Welcome to the service point"),
    ]:
        speaker.say(text, language)
        speaker.wait()
    files = sorted(tmp_path.glob("*.wav"))
    assert [f.stem.split("-")[1] for f in files] == ["fi", "sv", "en"]
    for path in files:
        with wave.open(str(path)) as audio:
            assert audio.getnframes() / audio.getframerate() > 0.5
    speaker.forget()
    assert not speaker.spoken


def test_usage_events_carry_no_personal_data(tmp_path):
    store = StateStore(tmp_path / "state.db")
    usage = UsageLog(Outbox(store))
    assert usage.record("search", "s1", query="Asumistuki", results=2)
    assert usage.record("search", "s1", query="010190-123A", results=0)
    assert usage.record("booking_checked_in", "s1", method="code", name="Maija") is None
    assert usage.record("service_viewed", "s1", note="hetu 010190-123A") is None
    assert usage.record("no_such_type", "s1") is None
    # The whole of central's validation applies, not only the privacy rule.
    assert usage.record("device_fault", None, kind="printer") is None  # needs data.device
    assert usage.record("satisfaction", "s1", score=9) is None
    rows = store.db.execute("SELECT type, data FROM outbox ORDER BY seq").fetchall()
    assert rows == [
        ("search", '{"results": 2, "query": "asumistuki"}'),
        ("search", '{"results": 0}'),  # text with digits is never sent
    ]
    assert usage.refused == 5
    assert usage.record("device_fault", None, device="printer/receipt", state="needs_attention")


def test_queue_ticket_numbers_restart_each_day(tmp_path):
    store = StateStore(tmp_path / "state.db")
    assert [next_ticket(store, date(2026, 11, 22)) for _ in range(3)] == ["A001", "A002", "A003"]
    assert next_ticket(store, date(2026, 11, 23)) == "A001"


@pytest.mark.parametrize(
    "text",
    [
        "ABCD2345",
        "abcd-2345",
        "https://varaa.example.fi/b?code=ABCD2345&x=1",
        "https://x.fi/ABCD2345",
    ],
)
def test_booking_code_read_from_a_qr_code(text):
    assert code_from_qr(text) == "ABCD2345"


@in_own_process  # the module imports Kivy, which stays out of the test workers themselves
def test_fault_messages_name_the_problem_and_offer_what_still_works():
    from hardware.base import DeviceOffline, FeederEmpty, MediaJam, OutOfPaper
    from kiosk.ui.screens import fault

    assert fault.message_for("scanner", MediaJam("jam"))[0] == "The scanner has jammed"
    assert fault.message_for("scanner", FeederEmpty("empty"))[1].startswith("Put your pages")
    assert fault.message_for("printer", OutOfPaper("out"))[0] == "The printer is out of paper"
    assert (
        fault.message_for("printer", DeviceOffline("x"))[0]
        == "The printer is not working right now"
    )
    assert fault.message_for("camera", None)[1] == "You can type your booking code instead."
    for device, offers in fault.OFFERS.items():
        assert all(
            screen != {"printer": "ticket", "scanner": "scan"}.get(device) for _, screen in offers
        )


def test_device_status_keeps_a_self_test_report_when_the_driver_reports_again(tmp_path):
    from kiosk import device_status

    store = StateStore(tmp_path / "state.db")
    assert (
        device_status.save(store, "printer", "receipt", "online", {"self_test": {"passed": True}})
        is None
    )
    assert (
        device_status.save(store, "printer", "receipt", "needs_attention", {"paper": "low"})
        == "online"
    )
    (detail,) = store.db.execute("SELECT detail FROM device_status").fetchone()
    assert json.loads(detail) == {"self_test": {"passed": True}, "paper": "low"}
