"""A second authority's expert joins a call on real components: the kiosk's aiortc, the
official's desk and the expert's desk (another organisation), each in its own headless
Chromium, through Janus. The official invites by service on the desk page; the expert
joins from their queue, is seen at the kiosk under their organisation's name, writes in
the chat, and leaves; the call goes on, and once it ends the expert reaches nothing of it.
"""

from __future__ import annotations

import pytest

from devtools.waiting import wait_for
from tests.calls.conftest import connected_call, launch_desk_browser, open_desk
from tests.support.kiosk_side import desk_sees

pytestmark = pytest.mark.slow


def test_an_expert_of_another_authority_joins_and_leaves(call_world, chromium, kiosk, expert):
    expert_email, expert_service, expert_org = expert
    official = connected_call(call_world, chromium, kiosk, [])

    # The official picks the other authority's service (the invitation names both the
    # service and the organisation) and invites.
    option = f"{expert_service}|{expert_org}"
    official.wait_for_selector(f"#expert-service option[value='{option}']", state="attached")
    official.select_option("#expert-service", option)
    official.click("#expert-form button")
    official.wait_for_function(
        "() => document.getElementById('parties').innerText.includes('Expert')", timeout=5000
    )
    second = launch_desk_browser(chromium.browser_type, call_world, "expert-camera")
    try:
        desk = open_desk(second, call_world, email=expert_email)
        desk.wait_for_selector("#queue li.invitation button", timeout=10000)
        assert "Invitation to a call" in desk.inner_text("#queue")
        desk.click("#queue li.invitation button")

        # The kiosk sees the expert beside the official, named by their organisation.
        assert wait_for(lambda: kiosk.sees_other("expert-camera") is not None, 30)
        assert kiosk.sees_other("expert-camera") == "expert:TE-palvelut"
        assert wait_for(lambda: desk_sees(desk, "kiosk-camera"), 30), "no citizen at the expert"
        assert wait_for(lambda: desk_sees(official, "expert-camera", "#others video"), 30)
        assert desk.is_hidden("#end") and not desk.is_hidden("#leave")
        assert desk.is_hidden("#expert-form")
        official.wait_for_function(
            "() => document.getElementById('parties').innerText.includes('TE-palvelut')",
            timeout=5000,
        )

        # Chat reaches the citizen and the official, marked as the expert's.
        desk.fill("#chat-text", "Työllisyyspalvelut täällä")
        desk.click("#chat-form button")
        assert wait_for(lambda: [m.sender for m in kiosk.view.messages] == ["expert"], 20)
        official.wait_for_function(
            "() => document.getElementById('chat').innerText.includes('Expert: Työllisyys')",
            timeout=10000,
        )

        # The expert leaves: the call goes on between the citizen and the official.
        call_id = desk.evaluate("() => window.deskState.active.id")
        desk.click("#leave")
        desk.wait_for_selector("#call", state="hidden", timeout=10000)
        official.wait_for_function(
            "() => document.querySelectorAll('#others figure').length === 0", timeout=15000
        )
        gone = desk.evaluate(
            """async (id) => { const token = sessionStorage.getItem('desk-token');
              const headers = {Authorization: 'Bearer ' + token};
              return (await fetch('/api/v1/desk/calls/' + id, {headers})).status; }""",
            call_id,
        )
        assert gone == 404
    finally:
        second.close()
    assert kiosk.view.status == "active"
    received = kiosk.received
    assert wait_for(lambda: kiosk.received > received + 10, 10), "the official's video stopped"
    official.click("#end")
    assert wait_for(lambda: kiosk.view.status == "ended", 20)
    official.close()
