"""A three-party call on real components: the kiosk's aiortc, the official's desk and an
interpreter's desk, each in its own headless Chromium with its own fake camera, through
Janus. Every side decodes the QR code of every other side's video; the interpreter's
tab closes and a new one resumes; the interpreter leaves and the call goes on.
"""

from __future__ import annotations

import pytest

from devtools.waiting import wait_for
from tests.calls.conftest import connected_call, launch_desk_browser, open_desk
from tests.support.kiosk_side import desk_sees, kiosk_sees

pytestmark = pytest.mark.slow


def test_an_interpreter_joins_sees_everyone_and_leaves(call_world, chromium, kiosk, interpreter):
    official = connected_call(call_world, chromium, kiosk, [])

    # The official asks for an Arabic interpreter; the interpreter takes it.
    official.fill("#interpreter-language", "ar")
    official.click("#interpreter-form button")
    official.wait_for_function(
        "() => document.getElementById('parties').innerText.includes('AR')", timeout=5000
    )
    second = launch_desk_browser(chromium.browser_type, call_world, "interpreter-camera")
    try:
        desk = open_desk(second, call_world, email=interpreter)
        desk.wait_for_selector("#queue li button", timeout=10000)
        assert "AR ⇄ FI" in desk.inner_text("#queue")
        desk.click("#queue li button")

        # Every side sees every other: the kiosk the interpreter beside the official,
        # the official and the interpreter the citizen large and the other one small.
        assert wait_for(lambda: kiosk.sees_other("interpreter-camera") is not None, 30)
        assert kiosk.sees_other("interpreter-camera").startswith("interpreter:")
        assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 10)
        assert wait_for(lambda: desk_sees(desk, "kiosk-camera"), 30), (
            "no citizen at the interpreter"
        )
        assert wait_for(lambda: desk_sees(desk, "official-camera", "#others video"), 30)
        assert wait_for(lambda: desk_sees(official, "interpreter-camera", "#others video"), 30)
        assert desk.is_hidden("#end") and not desk.is_hidden("#leave")

        # The interpreter's tab closes: they stay in the call, and a new tab rejoins it.
        desk.close()
        desk = open_desk(second, call_world, email=interpreter)
        desk.wait_for_selector("#resume:not([hidden])", timeout=10000)
        desk.click("#resume")
        assert wait_for(lambda: desk_sees(desk, "kiosk-camera"), 30), "no rejoin"
        assert not desk.is_hidden("#leave")

        # Chat reaches everyone, marked with who wrote it.
        desk.fill("#chat-text", "أهلا")
        desk.click("#chat-form button")
        assert wait_for(lambda: [m.sender for m in kiosk.view.messages] == ["interpreter"], 20)
        official.wait_for_function(
            "() => document.getElementById('chat').innerText.includes('Interpreter: أهلا')",
            timeout=10000,
        )

        # The interpreter leaves: the call goes on between the citizen and the official.
        desk.click("#leave")
        desk.wait_for_selector("#call", state="hidden", timeout=10000)
        official.wait_for_function(
            "() => document.querySelectorAll('#others figure').length === 0", timeout=15000
        )
    finally:
        second.close()
    assert kiosk.view.status == "active"
    received = kiosk.received
    assert wait_for(lambda: kiosk.received > received + 10, 10), "the official's video stopped"
    official.click("#end")
    assert wait_for(lambda: kiosk.view.status == "ended", 20)
    official.close()
