"""Delta sync: paging with has_more, tombstones, bad cursors, resync after pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from central.db.engine import session_scope
from central.db.models import ChangeLogEntry
from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import make_org, ok

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]


def _drain(central, token, path, since=None, limit=7):
    """Page through a delta the way a kiosk does, returning (ids in order, pages, cursor)."""
    seen, pages = [], 0
    while True:
        params = {"limit": limit} | ({"since": since} if since else {})
        page = ok(central.request("GET", path, token, params=params))
        pages += 1
        seen += [i["id"] for i in page["items"]]
        since = page["cursor"]
        if not page["has_more"]:
            return seen, pages, since


def test_paging_delivers_every_item_once(central, national):
    org = make_org(central, national)
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": SERVICES},
        )
    )
    seen, pages, cursor = _drain(central, org.device_token, "/kiosk/catalogue")
    assert seen == SERVICES and pages == -(-len(SERVICES) // 7)
    # Reordering re-sends only the moved services, with their new positions.
    reordered = [SERVICES[1], SERVICES[0], *SERVICES[2:]]
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": reordered},
        )
    )
    delta = ok(
        central.request("GET", "/kiosk/catalogue", org.device_token, params={"since": cursor})
    )
    assert {i["id"]: i["position"] for i in delta["items"]} == {SERVICES[1]: 0, SERVICES[0]: 1}


def test_invalid_cursor_is_400_with_advice(central, national):
    org = make_org(central, national)
    for bad in ("garbage", "djE6LTU", "%%%"):
        r = central.request("GET", "/kiosk/catalogue", org.device_token, params={"since": bad})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"
        assert "without 'since'" in r.json()["error"]["message"]


def test_cursor_older_than_pruned_tombstones_gets_a_full_reset(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", admin, json={"service_ids": SERVICES[:3]}
        )
    )
    old_cursor = ok(central.request("GET", "/kiosk/catalogue", org.device_token))["cursor"]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", admin, json={"service_ids": SERVICES[:2]}
        )
    )
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(ChangeLogEntry)
            .where(ChangeLogEntry.site_id == org.site_id)
            .values(at=datetime.now(UTC) - timedelta(days=40))
        )
    # The next write prunes the old tombstone.
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            admin,
            json={"service_ids": SERVICES[:2] + [SERVICES[5]]},
        )
    )
    page = ok(
        central.request("GET", "/kiosk/catalogue", org.device_token, params={"since": old_cursor})
    )
    assert page["reset"] is True
    assert [i["id"] for i in page["items"]] == SERVICES[:2] + [SERVICES[5]]
    fresh = ok(
        central.request(
            "GET", "/kiosk/catalogue", org.device_token, params={"since": page["cursor"]}
        )
    )
    assert fresh["reset"] is False and fresh["items"] == []


def test_bookings_delta_pages_and_skips_past_days(central, national):
    org = make_org(central, national)
    system = org.tokens["booking_system"]
    now = datetime.now(UTC)
    made = []
    for n in range(12):
        start = now + timedelta(hours=1, minutes=15 * n)
        made.append(
            ok(
                central.request(
                    "POST",
                    "/bookings",
                    system,
                    json=booking_request(
                        org.site_id,
                        f"d-{n}",
                        SERVICES[0],
                        start,
                        minutes=15,
                        display_name=f"Asiakas {n}",
                    ),
                ),
                201,
            )["id"]
        )
    past = now - timedelta(days=3)
    ok(
        central.request(
            "POST",
            "/bookings",
            system,
            json=booking_request(
                org.site_id, "old", SERVICES[0], past, minutes=15, display_name="Vanha"
            ),
        ),
        201,
    )
    seen, pages, _ = _drain(central, org.device_token, "/kiosk/bookings", limit=5)
    assert seen == made and pages == 3
