"""An official asks the citizen of a call to pay (over real HTTP, with the calls' real
Janus and the Suomi.fi Payments stand-in, on SQLite and PostgreSQL): the kiosk sees the
amount, VAT and reason in its call, accepts by phone or card or declines; the desk sees
how each request stands. Nobody but the call's official can ask, and no other kiosk
sees or answers the request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devtools.central_server import RunningCentral, start_central
from devtools.central_world import ok
from devtools.media_servers import MediaServers
from devtools.payment_world import take_payments, wait_for_status
from devtools.paytrail_standin import Standin
from tests.support.call_api import kiosk_call, poll

pytestmark = pytest.mark.slow  # a central of its own beside the calls' Janus


@pytest.fixture(scope="module")
def standin() -> Iterator[Standin]:
    running = Standin().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def central(database_url: str, media: MediaServers, standin: Standin) -> Iterator[RunningCentral]:
    running = start_central(
        database_url,
        call_kiosk_gone_after_s=2,
        desk_gone_after_s=3,
        paytrail_url=standin.base,
        **media.central_settings(),
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(world, central):
    anna = world["officials"]["anna"][1]
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    take_payments(central, world["org"])
    return {**world, "official": anna}


def active_call(central, world) -> dict:
    call = kiosk_call(central, world["org"].device_token, world["service"])
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", world["official"]))
    return call


def ask(central, world, call_id: str, **body) -> requests.Response:
    request = {"amount_cents": 2000, "vat_basis_points": 0, "reason": "Todistus", **body}
    return central.request(
        "POST", f"/desk/calls/{call_id}/payments", world["official"], json=request
    )


def test_the_official_asks_and_the_citizen_pays_by_phone(central, world, standin):
    call = active_call(central, world)
    device = world["org"].device_token
    desk_view = ok(ask(central, world, call["id"]))
    [asked] = desk_view["payments"]
    assert (asked["amount_cents"], asked["status"], asked["reason"]) == (2000, "open", "Todistus")
    seen = poll(central, device, call["id"])["payment_request"]
    assert seen["payment_id"] == asked["id"] and seen["amount_cents"] == 2000
    assert seen["reason"] == "Todistus" and seen["vat_cents"] == 0
    # A second request while the first waits: refused plainly.
    again = ask(central, world, call["id"], amount_cents=100)
    assert again.status_code == 409 and again.json()["error"]["code"] == "payment_waiting"

    accepted = ok(
        central.request(
            "POST", f"/kiosk/payments/{asked['id']}/accept", device, json={"method": "phone"}
        )
    )
    assert accepted["pay_url"].startswith(standin.base) and accepted["purpose"] == "call_request"
    assert poll(central, device, call["id"])["payment_request"] is None
    transaction = accepted["pay_url"].rsplit("/", 1)[1]
    requests.post(f"{standin.base}/_standin/pay/{transaction}", params={"status": "ok"}, timeout=10)
    assert wait_for_status(central, world["org"], asked["id"], "paid")["status"] == "paid"
    desk_view = ok(central.request("GET", f"/desk/calls/{call['id']}", world["official"]))
    assert [p["status"] for p in desk_view["payments"]] == ["paid"]
    [books] = [t for t in standin.ledger() if t["stamp"] == asked["id"]]
    assert books["amount"] == 2000 and books["reference"] == accepted["receipt_number"]
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", world["official"], json={}))


def test_declined_or_by_card_and_nobody_else_can_ask_or_answer(central, world, standin):
    call = active_call(central, world)
    device, other_kiosk = world["org"].device_token, world["kiosk2"][1]
    declined = ok(ask(central, world, call["id"], vat_basis_points=2550))["payments"][0]
    # Another kiosk of the same organisation: neither the request nor a way to answer it.
    for path in (f"/kiosk/payments/{declined['id']}", f"/kiosk/payments/{declined['id']}/cancel"):
        method = "GET" if path.endswith(declined["id"]) else "POST"
        answer = central.request(method, path, other_kiosk)
        assert answer.status_code == 404 and "Todistus" not in answer.text
    gone = ok(central.request("POST", f"/kiosk/payments/{declined['id']}/cancel", device))
    assert gone["status"] == "cancelled"
    assert poll(central, device, call["id"])["payment_request"] is None

    by_card = ok(ask(central, world, call["id"], amount_cents=1500))["payments"][-1]
    accepted = ok(
        central.request(
            "POST",
            f"/kiosk/payments/{by_card['id']}/accept",
            device,
            json={"method": "card_terminal"},
        )
    )
    assert accepted["method"] == "card_terminal" and accepted["pay_url"] == ""
    twice = central.request(
        "POST", f"/kiosk/payments/{by_card['id']}/accept", device, json={"method": "phone"}
    )
    assert twice.status_code == 409
    body = {"approved": True, "amount_cents": 1500, "poi_transaction_id": "t-1"}
    ok(central.request("POST", f"/kiosk/payments/{by_card['id']}/terminal", device, json=body))
    statuses = ok(central.request("GET", f"/desk/calls/{call['id']}", world["official"]))
    assert [p["status"] for p in statuses["payments"]] == ["cancelled", "paid"]

    # A colleague who is not the call's official, and another organisation's official.
    for token in (world["officials"]["bert"][1], world["other_official"]):
        refused = central.request(
            "POST",
            f"/desk/calls/{call['id']}/payments",
            token,
            json={"amount_cents": 1, "reason": "x"},
        )
        assert refused.status_code in (403, 404)
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", world["official"], json={}))
