"""state.db's catalogue and bookings, filled from a real central over HTTP on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import ok
from kiosk import bookings, catalogue
from kiosk.store import StateStore

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]


@pytest.fixture(scope="module")
def site(central_site):
    return central_site


def sync_catalogue(central, org, store, since=None):
    while True:
        page = ok(
            central.request(
                "GET",
                "/kiosk/catalogue",
                org.device_token,
                params={"limit": 10} | ({"since": since} if since else {}),
            )
        )
        catalogue.apply_delta(store, page["items"], page["deleted"], page["reset"] and not since)
        since = page["cursor"]
        if not page["has_more"]:
            return since


def test_search_finds_services_in_every_language_by_prefix(site, tmp_path):
    central, org = site
    store = StateStore(tmp_path / "state.db")
    sync_catalogue(central, org, store)
    assert len(catalogue.all_services(store)) == len(SERVICES)
    assert catalogue.search(store, "asumist")[0].name("fi") == "Yleinen asumistuki"
    assert catalogue.search(store, "bostadsbid")[0].name("sv") == "Allmänt bostadsbidrag"
    assert catalogue.search(store, "housing allow")[0].name("en") == "General housing allowance"
    # Keywords count, and å/ä/ö are letters, not separators.
    assert "Yleinen asumistuki" in [s.name("fi") for s in catalogue.search(store, "vuokra")]
    assert catalogue.search(store, "päiväkoti")[0].name("fi") == "Varhaiskasvatushakemus"
    # FTS syntax typed by a citizen is just text.
    for hostile in ('"', "AND OR NOT", "*", "a:b", "NEAR(", "'); DROP TABLE services;--"):
        assert isinstance(catalogue.search(store, hostile), list)
    assert len(catalogue.all_services(store)) == len(SERVICES)


def test_missing_language_falls_back_never_empty():
    service = catalogue.Service("x", 0, {"name": {"sv": "Endast svenska"}, "summary": {}})
    assert service.name("fi") == "Endast svenska"
    assert service.name("en") == "Endast svenska"
    assert catalogue.Service("y", 0, {"name": {}}).name("fi") == "y"


def test_deltas_remove_and_reset(site, tmp_path):
    central, org = site
    store = StateStore(tmp_path / "state.db")
    cursor = sync_catalogue(central, org, store)
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": SERVICES[:-1]},
        )
    )
    sync_catalogue(central, org, store, since=cursor)
    assert catalogue.service(store, SERVICES[-1]) is None
    assert catalogue.search(store, "perheneuvonta") == []  # the last service's name
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": SERVICES},
        )
    )


def test_booking_found_by_typed_code_and_only_by_it(site, tmp_path):
    central, org = site
    store = StateStore(tmp_path / "state.db")
    start = datetime.now(UTC) + timedelta(hours=1)
    made = ok(
        central.request(
            "POST",
            "/bookings",
            org.tokens["booking_system"],
            json=booking_request(org.site_id, "k-1", SERVICES[0], start, display_name="Maija V."),
        ),
        201,
    )
    page = ok(central.request("GET", "/kiosk/bookings", org.device_token))
    bookings.apply_delta(store, page["items"], page["deleted"], page["reset"])
    dump = "\n".join(store.db.iterdump())
    assert made["code"] not in dump and made["code"].replace("-", "") not in dump
    typed = made["code"].lower().replace("-", " ")
    found = bookings.find_by_code(store, typed)
    assert found is not None and found.id == made["id"] and found.display_name == "Maija V."
    assert bookings.find_by_code(store, "AAAA-AAAA") is None
    # A booking that ended before today is purged.
    later = datetime.now(UTC) + timedelta(days=2)
    assert bookings.purge_past(store, later) == 1
    assert bookings.find_by_code(store, typed) is None


def test_a_public_screen_shows_a_given_name_and_an_initial_only():
    from kiosk.bookings import shown_name

    assert shown_name("Matti Meikäläinen") == "Matti M."
    assert shown_name("Meikäläinen, Matti Juhani") == "Matti M."
    assert shown_name("  Anna-Liisa   Maria  Virtanen ") == "Anna-Liisa V."
    assert shown_name("Matti") == "Matti"
    assert shown_name("Åsa Öberg") == "Åsa Ö."
    assert shown_name("Virtanen,") == "V."
    assert shown_name("   ") == ""
