"""Joint service points through central's API with a real Janus: a municipality hosts, an
authority serves its own services at the municipality's kiosk under an agreement, and
nobody without one can. Agreements' life, routing, the desk's view of where the citizen
is, who sees which numbers, and statements counted from the calls themselves.

Media between the kiosk and the provider's desk is tested in tests/calls/.
"""

from __future__ import annotations

from datetime import timedelta

import pypdfium2
import pytest
from sqlalchemy import select, update

from central.agreements.statements import Month, started_minutes, vat_of
from central.db.engine import session_scope
from central.db.models import Agreement, Call
from central.db.types import utcnow
from devtools.builders import sample_catalogue
from devtools.central_world import add_user, agree, make_org, ok, user_id
from tests.support.call_api import desk, kiosk_call, poll

# A Janus per module, and six tests of several calls each: the full suite's, not the
# fast tier's (the agreements' tenancy, tests/central/test_agreement_tenancy.py, is).
pytestmark = pytest.mark.slow

# PTV organisations of the sample catalogue.
KELA_PTV = "06d2b317-7b64-5bfc-bacc-9037b6985ccb"
DVV_PTV = "c748288f-f7ff-531e-b6ce-ba0df52f4d88"
COUNTY_PTV = "5d2f4fe6-2c4e-5768-8cc3-6af62d46098d"  # no organisation in central here
VERO_PTV = "1a3e828d-dda1-5519-94b5-cf96e18e975d"
TOWN_PTV = "2e61e72b-f45d-5b7d-8b8b-f7cc8cec779c"


def services_of(ptv_id: str) -> list[str]:
    return [
        s["id"]
        for s in sample_catalogue()["itemList"]
        if any(o["organization"]["id"] == ptv_id for o in s["organizations"])
    ]


KELA_SERVICES, VERO_SERVICES, TOWN_SERVICES, DVV_SERVICES, COUNTY_SERVICES = (
    services_of(KELA_PTV),
    services_of(VERO_PTV),
    services_of(TOWN_PTV),
    services_of(DVV_PTV),
    services_of(COUNTY_PTV),
)


def official_of(central, org, services, languages=("fi",)):
    token = add_user(central, "official", org.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, token)}",
            org.tokens["org_admin"],
            json={"services": list(services), "languages": list(languages)},
        )
    )
    ok(central.request("PUT", "/desk/presence", token, json={"presence": "available"}))
    return token


@pytest.fixture(scope="module")
def points(central, national):
    """Järvenpää hosts a kiosk; Kela, Verohallinto and the DVV serve from their own
    organisations; Tuusula is another municipality with a kiosk and no agreement with
    anyone. Kela's agreement with Järvenpää is in force (each test worker builds its
    own, so the tests stand alone)."""
    town = make_org(central, national, name="Järvenpää", ptv_id=TOWN_PTV)
    kela = make_org(central, national, with_kiosk=False, name="Kela", ptv_id=KELA_PTV)
    vero = make_org(central, national, with_kiosk=False, name="Verohallinto", ptv_id=VERO_PTV)
    dvv = make_org(central, national, with_kiosk=False, name="DVV", ptv_id=DVV_PTV)
    tuusula = make_org(central, national, name="Tuusula")
    shown = [KELA_SERVICES[0], VERO_SERVICES[0], TOWN_SERVICES[0], DVV_SERVICES[0]]
    for org in (town, tuusula):
        ok(
            central.request(
                "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": shown}
            )
        )
    agreement = agree(central, national, town.id, kela.id, **terms_of(town, kela))
    kela_official = official_of(central, kela, [KELA_SERVICES[0]])
    town_official = official_of(central, town, [KELA_SERVICES[0], TOWN_SERVICES[0]])
    return {
        "town": town,
        "kela": kela,
        "vero": vero,
        "dvv": dvv,
        "tuusula": tuusula,
        "agreement": agreement,
        "kela_official": kela_official,
        "town_official": town_official,
    }


def availability(central, org, service, language="fi"):
    url = f"/kiosk/video/availability?service_id={service}&language={language}"
    return ok(central.request("GET", url, org.device_token))


def terms_of(host, provider, **more):
    return {
        "host_org_id": host.id,
        "provider_org_id": provider.id,
        "languages": ["fi", "sv"],
        "valid_from": "2026-01-01",
        "basis": "per_started_minute",
        "amount_cents": 150,
        "vat_basis_points": 2550,
        **more,
    }


def serve_calls(central, points, count: int) -> None:
    """Citizens at Järvenpää's kiosk served by Kela's official, one after another."""
    for _ in range(count):
        call = kiosk_call(central, points["town"].device_token, KELA_SERVICES[0])
        official = points["kela_official"]
        ok(central.request("POST", f"/desk/calls/{call['id']}/accept", official))
        ok(central.request("POST", f"/desk/calls/{call['id']}/end", official, json={}))


def test_an_agreement_is_in_force_once_the_other_side_accepts(central, points):
    town, dvv = points["town"], points["dvv"]
    dvv_service = DVV_SERVICES[0]
    official_of(central, dvv, [dvv_service])
    # Without an agreement, the DVV's service is nobody's to serve at Järvenpää's kiosk.
    before = availability(central, town, dvv_service)
    assert before["served"] is False and before["available"] is False
    refused = central.request(
        "POST",
        "/kiosk/calls",
        town.device_token,
        json={"service_id": dvv_service, "language": "fi"},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_served"
    # Only admins propose, and only for their own organisation.
    for role in ("technician", "official", "booking_system"):
        r = central.request("POST", "/agreements", dvv.tokens[role], json=terms_of(town, dvv))
        assert r.status_code == 403, role
    proposed = ok(
        central.request("POST", "/agreements", dvv.tokens["org_admin"], json=terms_of(town, dvv)),
        201,
    )
    assert proposed["status"] == "proposed" and proposed["in_force"] is False
    assert proposed["awaiting_org_id"] == town.id
    assert availability(central, town, dvv_service)["served"] is False
    # The proposer cannot accept its own proposal; the other side's admin can.
    path = f"/agreements/{proposed['id']}"
    mine = central.request("POST", f"{path}/accept", dvv.tokens["org_admin"], json={})
    assert mine.status_code == 403
    accepted = ok(
        central.request("POST", f"{path}/accept", town.tokens["org_admin"], json={"note": "OK"})
    )
    assert accepted["status"] == "active" and accepted["in_force"] is True
    assert [(h["action"], h["org_id"]) for h in accepted["history"]] == [
        ("proposed", dvv.id),
        ("accepted", town.id),
    ]
    seen = availability(central, town, dvv_service)
    assert seen["served"] is True and seen["officials_available"] == 1
    # In Swedish too (the agreement's languages), not in English.
    assert availability(central, town, dvv_service, "en")["served"] is False
    # Accepting twice is a clear conflict, not a second history line.
    again = central.request("POST", f"{path}/accept", town.tokens["org_admin"], json={})
    assert again.status_code == 409 and again.json()["error"]["message"]


def test_the_providers_official_serves_the_citizen_at_the_hosts_kiosk(central, points):
    town, tuusula = points["town"], points["tuusula"]
    kela_service = KELA_SERVICES[0]
    kela_official = points["kela_official"]
    # Järvenpää's own official who (by mistake) lists Kela's service never sees the call.
    town_official = points["town_official"]
    call = kiosk_call(central, town.device_token, kela_service)
    waiting = desk(central, kela_official)["waiting"]
    mine = [w for w in waiting if w["call_id"] == call["id"]]
    assert mine and mine[0]["site_name"] == "Yhteispalvelupiste"
    assert mine[0]["municipality"] == "Järvenpää"
    assert call["id"] not in [w["call_id"] for w in desk(central, town_official)["waiting"]]
    r = central.request("POST", f"/desk/calls/{call['id']}/accept", town_official)
    assert r.status_code == 404
    # The host's own service still goes to the host's own official, no agreement needed.
    own = kiosk_call(central, town.device_token, TOWN_SERVICES[0])
    assert own["id"] in [w["call_id"] for w in desk(central, town_official)["waiting"]]
    assert own["id"] not in [w["call_id"] for w in desk(central, kela_official)["waiting"]]
    # (The kiosk has one open call at a time: asking again replaced Kela's call.)
    ok(central.request("POST", f"/kiosk/calls/{own['id']}/end", town.device_token, json={}))
    # Kela's official at Tuusula's kiosk: no agreement, no call, no video button.
    assert availability(central, tuusula, kela_service)["served"] is False
    refused = central.request(
        "POST", "/kiosk/calls", tuusula.device_token,
        json={"service_id": kela_service, "language": "fi"},
    )  # fmt: skip
    assert refused.status_code == 409
    # Nor does Kela's official reach a call Tuusula's own officials serve (a service of
    # the wellbeing county, which has no organisation here: Tuusula's own queue).
    theirs = kiosk_call(central, tuusula.device_token, COUNTY_SERVICES[0])
    assert theirs["status"] == "queued"
    assert theirs["id"] not in [w["call_id"] for w in desk(central, kela_official)["waiting"]]
    taken = central.request("POST", f"/desk/calls/{theirs['id']}/accept", kela_official)
    assert taken.status_code == 404 and theirs["id"] not in taken.text
    assert central.request("GET", f"/desk/calls/{theirs['id']}", kela_official).status_code == 404
    ok(central.request("POST", f"/kiosk/calls/{theirs['id']}/end", tuusula.device_token, json={}))
    # Served end to end: queued for Kela, accepted by Kela's official, in a room.
    call = kiosk_call(central, town.device_token, kela_service)
    joined = ok(central.request("POST", f"/desk/calls/{call['id']}/accept", kela_official))
    assert joined["municipality"] == "Järvenpää" and joined["join"]["room"]
    assert poll(central, town.device_token, call["id"])["status"] == "active"
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", kela_official, json={}))


def test_ending_an_agreement_stops_new_calls_and_serves_the_queued(central, points, national):
    town, vero = points["town"], points["vero"]
    vero_service = VERO_SERVICES[0]
    vero_official = official_of(central, vero, [vero_service])
    agreement = agree(central, national, town.id, vero.id)
    assert agreement["status"] == "active" and agreement["history"][0]["action"] == "created"
    queued = kiosk_call(central, town.device_token, vero_service)
    assert queued["status"] == "queued"
    ended = ok(
        central.request(
            "POST", f"/agreements/{agreement['id']}/end", town.tokens["org_admin"],
            json={"note": "Vero moves to its own office"},
        )
    )  # fmt: skip
    assert ended["status"] == "ended" and ended["history"][-1]["note"]
    # The citizen already queued stays in the queue and is served ...
    assert poll(central, town.device_token, queued["id"])["status"] == "queued"
    assert queued["id"] in [w["call_id"] for w in desk(central, vero_official)["waiting"]]
    ok(central.request("POST", f"/desk/calls/{queued['id']}/accept", vero_official))
    ok(central.request("POST", f"/desk/calls/{queued['id']}/end", vero_official, json={}))
    # ... the next one cannot ask.
    assert availability(central, town, vero_service)["served"] is False
    r = central.request(
        "POST",
        "/kiosk/calls",
        town.device_token,
        json={"service_id": vero_service, "language": "fi"},
    )
    assert r.status_code == 409
    # An ended agreement cannot be ended or accepted again.
    for step in ("end", "accept"):
        again = central.request(
            "POST", f"/agreements/{agreement['id']}/{step}", vero.tokens["org_admin"], json={}
        )
        assert again.status_code == 409


def test_a_providers_booking_system_books_at_host_sites_under_an_agreement(central, points):
    town, kela, tuusula = points["town"], points["kela"], points["tuusula"]
    kela_service = KELA_SERVICES[0]
    kela_official = points["kela_official"]
    start = utcnow() + timedelta(hours=2)

    def booking(site_id, service, external_id, **more):
        return central.request(
            "POST",
            "/bookings",
            kela.tokens["booking_system"],
            json={
                "external_id": external_id,
                "site_id": site_id,
                "service_id": service,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=30)).isoformat(),
                "display_name": "Maija V.",
                "mode": "remote",
                **more,
            },
        )

    made = ok(
        booking(town.site_id, kela_service, "kela-1", official_id=user_id(central, kela_official)),
        201,
    )
    assert ok(central.request("GET", f"/bookings/{made['id']}", kela.tokens["booking_system"]))
    # Järvenpää's booking system does not see Kela's booking; Kela cannot book at Tuusula
    # nor a service the agreement does not cover.
    r = central.request("GET", f"/bookings/{made['id']}", town.tokens["booking_system"])
    assert r.status_code in (403, 404)
    assert booking(tuusula.site_id, kela_service, "kela-2").status_code == 403
    assert booking(town.site_id, TOWN_SERVICES[0], "kela-3").status_code == 403
    # The host's booking cannot name an official who does not serve there.
    r = central.request(
        "POST",
        "/bookings",
        town.tokens["booking_system"],
        json={
            "external_id": "town-1",
            "site_id": town.site_id,
            "service_id": TOWN_SERVICES[0],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat(),
            "display_name": "Matti",
            "mode": "remote",
            "official_id": user_id(central, kela_official),
        },
    )
    assert r.status_code == 422
    # The booked citizen checks in at the kiosk and waits for that Kela official.
    call = kiosk_call(central, town.device_token, kela_service, booking_id=made["id"])
    mine = [w for w in desk(central, kela_official)["waiting"] if w["call_id"] == call["id"]]
    assert mine and mine[0]["for_me"] and mine[0]["booked"]
    ok(central.request("POST", f"/kiosk/calls/{call['id']}/end", town.device_token, json={}))


def test_who_sees_which_numbers(central, points, national):
    """The host's admins see every call at their sites, by provider; the provider's admins
    see their own calls at every host site; nobody else sees either."""
    town, kela, tuusula = points["town"], points["kela"], points["tuusula"]
    serve_calls(central, points, 2)
    own = kiosk_call(central, town.device_token, TOWN_SERVICES[0])
    ok(central.request("POST", f"/desk/calls/{own['id']}/accept", points["town_official"]))
    ok(central.request("POST", f"/desk/calls/{own['id']}/end", points["town_official"], json={}))
    host_view = ok(central.request("GET", "/stats/calls", town.tokens["org_admin"]))
    providers = {}
    for item in host_view["items"]:
        for name, count in item["by_provider"].items():
            providers[name] = providers.get(name, 0) + count
    assert providers.get("Kela", 0) >= 2 and providers.get("Järvenpää", 0) >= 1
    provider_view = ok(
        central.request("GET", "/stats/calls?side=provider", kela.tokens["org_admin"])
    )
    assert [(s["host"], s["site"]) for s in provider_view["sites"]] == [
        ("Järvenpää", "Yhteispalvelupiste")
    ]
    assert {i["service_id"] for i in provider_view["items"]} == {KELA_SERVICES[0]}
    assert sum(i["answered"] for i in provider_view["items"]) >= 1
    assert provider_view["sites"][0]["requested"] == provider_view["total"]
    assert provider_view["items"][0]["by_provider"] == {"Kela": provider_view["total"]}
    # Kela's admin sees none of Järvenpää's own calls, and none at Järvenpää as a host.
    assert ok(central.request("GET", "/stats/calls", kela.tokens["org_admin"]))["items"] == []
    # Tuusula sees nothing of either (at most its own officials' calls at its own kiosk);
    # Kela's officials see no reports at all.
    for side in ("host", "provider"):
        seen = ok(central.request("GET", f"/stats/calls?side={side}", tuusula.tokens["org_admin"]))
        assert all(set(i["by_provider"]) == {"Tuusula"} for i in seen["items"]), seen
        assert all(s["host"] == "Tuusula" for s in seen.get("sites", [])), seen
    assert central.request("GET", "/stats/calls", kela.tokens["official"]).status_code == 403
    # Kela sees the sites it serves, never Järvenpää's fleet.
    served = ok(central.request("GET", "/served-sites", kela.tokens["org_admin"]))["items"]
    assert [(s["host"], s["site_id"]) for s in served] == [("Järvenpää", town.site_id)]
    assert ok(central.request("GET", "/kiosks", kela.tokens["org_admin"]))["items"] == []
    r = central.request("GET", f"/kiosks/{town.kiosk_id}", kela.tokens["org_admin"])
    assert r.status_code in (403, 404)
    # The agreement itself is the two parties' and the national admin's.
    agreement_id = points["agreement"]["id"]
    for token in (town.tokens["org_admin"], kela.tokens["org_admin"], national):
        ok(central.request("GET", f"/agreements/{agreement_id}", token))
    r = central.request("GET", f"/agreements/{agreement_id}", tuusula.tokens["org_admin"])
    assert r.status_code == 404


def test_statements_count_the_calls_and_never_change_once_issued(central, points):
    """Kela's served calls (and the agreement's acceptance) are moved into last month in
    the database (a test cannot wait for a month to pass); the statement is then read by
    both parties."""
    town, kela = points["town"], points["kela"]
    agreement = points["agreement"]
    serve_calls(central, points, 2)
    last_month = Month.of(utcnow()).first - timedelta(days=1)
    with session_scope(central.app.state.sessions) as db:
        calls = list(
            db.scalars(
                select(Call).where(
                    Call.agreement_id == agreement["id"], Call.accepted_at.is_not(None)
                )
            )
        )
        assert calls, "the earlier tests served calls under the agreement"
        shift = utcnow() - timedelta(days=utcnow().day + 3)
        # The agreement was accepted before them, of course.
        db.execute(
            update(Agreement)
            .where(Agreement.id == agreement["id"])
            .values(accepted_at=shift - timedelta(days=1))
        )
        expected_minutes = 0
        for index, call in enumerate(calls):
            took = timedelta(seconds=61 + index)  # two started minutes each
            call.accepted_at = shift + timedelta(minutes=index)
            call.ended_at = call.accepted_at + took
            call.created_at = call.accepted_at - timedelta(seconds=5)
            expected_minutes += started_minutes(took.total_seconds())
    month = last_month.strftime("%Y-%m")
    path = f"/agreements/{agreement['id']}/statements/{month}"
    host = ok(central.request("GET", path, town.tokens["org_admin"]))
    provider = ok(central.request("GET", path, kela.tokens["org_admin"]))
    assert host == provider
    assert host["issued"] is True and host["issued_at"]
    assert host["calls"] == len(calls) and host["minutes"] == expected_minutes
    net = expected_minutes * 150
    assert (host["net_cents"], host["vat_cents"]) == (net, vat_of(net, 2550))
    assert host["total_cents"] == net + vat_of(net, 2550)
    assert [(r["site"], r["service_id"]) for r in host["rows"]] == [
        ("Yhteispalvelupiste", KELA_SERVICES[0])
    ]
    # A call that turns up later for that month changes nothing issued: it goes on this
    # month's statement.
    with session_scope(central.app.state.sessions) as db:
        late = db.get(Call, calls[0].id)
        db.execute(update(Call).where(Call.id == late.id).values(statement_id=None))
    again = ok(central.request("GET", path, town.tokens["org_admin"]))
    assert again == host
    this_month = ok(
        central.request(
            "GET",
            f"/agreements/{agreement['id']}/statements/{Month.of(utcnow()).name}",
            kela.tokens["org_admin"],
        )
    )
    assert this_month["issued"] is False and this_month["calls"] == 1
    # CSV and PDF say the same.
    csv_text = central.request("GET", path + "?format=csv", town.tokens["org_admin"]).text
    assert f"{month},total,,,,{len(calls)},{expected_minutes}" in csv_text.replace("\r", "")
    pdf = central.request("GET", path + "?format=pdf", kela.tokens["org_admin"])
    assert pdf.headers["content-type"] == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Kela at Järvenpää" in text and f"{len(calls)} calls" in text
    euros = f"{(net + vat_of(net, 2550)) // 100},{(net + vat_of(net, 2550)) % 100:02d} €"
    assert euros in text
    # A month that is no month is a clear 422.
    bad = central.request(
        "GET", f"/agreements/{agreement['id']}/statements/2026-13", town.tokens["org_admin"]
    )
    assert bad.status_code == 422 and bad.json()["error"]["message"]
