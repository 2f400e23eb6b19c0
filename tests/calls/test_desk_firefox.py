"""The officials' desk in Firefox (Debian's Firefox ESR, over WebDriver BiDi): log in, go
available, take a call, media both ways through Janus, chat, end. The Chromium tests
cover the rest of the desk; this proves the same page and its WebRTC work in Firefox.

Firefox's own fake camera cannot carry a QR code, so the page's camera is a canvas
showing one (getUserMedia replaced before the desk's script runs), with a tone from
WebAudio as the microphone: the media still goes through Firefox's own WebRTC stack.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import cv2
import pytest

from devtools.central_world import PASSWORD
from devtools.firefox import FIREFOX, Firefox
from devtools.waiting import wait_for
from tests.support.kiosk_side import desk_sees, kiosk_sees
from tests.support.media_files import frame_with_qr

pytestmark = pytest.mark.slow

CANVAS_CAMERA = """() => {
  const picture = new Image();
  picture.src = '%s';
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const draw = () => { canvas.getContext('2d').drawImage(picture, 0, 0); };
    draw(); setInterval(draw, 33);
    const stream = canvas.captureStream(30);
    const sound = new AudioContext();
    const tone = sound.createOscillator(); const out = sound.createMediaStreamDestination();
    tone.connect(out); tone.start();
    stream.addTrack(out.stream.getAudioTracks()[0]);
    return stream;
  };
}"""


@pytest.fixture
def firefox() -> Iterator[Firefox]:
    from pathlib import Path

    if not Path(FIREFOX).exists():
        pytest.skip("firefox-esr is not installed; ./run test installs it")
    png = cv2.imencode(".png", frame_with_qr("official-firefox", 0))[1].tobytes()
    browser = Firefox(
        # The desk is served over plain http on the test network (production is https).
        {"media.devices.insecure.enabled": True, "media.getusermedia.insecure.enabled": True}
    )
    browser.before_each_page(
        CANVAS_CAMERA % ("data:image/png;base64," + base64.b64encode(png).decode())
    )
    yield browser
    browser.close()


def submit(browser: Firefox, form: str, fields: dict[str, Any]) -> None:
    browser.evaluate(
        """(form, fields) => { const f = document.getElementById(form);
        for (const [name, value] of Object.entries(fields)) f.elements[name].value = value;
        f.requestSubmit(); return true; }""",
        form,
        fields,
    )


def text_of(browser: Firefox, element: str) -> str:
    return browser.evaluate("(id) => document.getElementById(id).innerText", element)


def test_an_official_takes_a_call_in_firefox(call_world, kiosk, firefox):
    firefox.goto(f"{call_world.central.base}/desk/?lang=en")
    submit(firefox, "login", {"email": call_world.official_email, "password": PASSWORD})
    firefox.wait_for("() => !document.getElementById('desk').hidden")
    firefox.evaluate("() => { document.getElementById('set-available').click(); return true; }")
    assert wait_for(lambda: text_of(firefox, "presence") == "Available", 10)

    kiosk.session.start(call_world.service, "en")
    assert wait_for(lambda: kiosk.view.status == "queued", 10)
    firefox.wait_for("() => !!document.querySelector('#queue li button')", 10)
    firefox.evaluate("() => { document.querySelector('#queue li button').click(); return true; }")

    assert wait_for(lambda: kiosk.view.status == "active", 10)
    assert wait_for(lambda: kiosk_sees(kiosk, "official-firefox"), 30), "no Firefox video at kiosk"
    assert wait_for(lambda: desk_sees(firefox, "kiosk-camera"), 30), "no kiosk video in Firefox"
    # Firefox starts its encoder small and raises the resolution as bandwidth allows.
    assert wait_for(lambda: kiosk.latest().shape[:2] == (480, 640), 20), kiosk.latest().shape

    submit(firefox, "chat-form", {"chat-text": "Hei Firefoxista"})
    assert wait_for(lambda: [m.text for m in kiosk.view.messages] == ["Hei Firefoxista"], 20)
    kiosk.session.send_message("Kuuluu hyvin")
    firefox.wait_for("() => document.getElementById('chat').innerText.includes('Kuuluu hyvin')", 20)

    firefox.evaluate("() => { document.getElementById('end').click(); return true; }")
    assert wait_for(lambda: kiosk.view.status == "ended", 20)
    assert kiosk.view.outcome == "completed"
