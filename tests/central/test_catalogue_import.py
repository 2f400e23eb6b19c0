"""PTV catalogue import: multilingual items, per-item rejection, updates and withdrawals."""

from __future__ import annotations

import copy
import uuid

from devtools.builders import sample_catalogue
from devtools.central_world import make_org, ok


def test_sample_imports_and_replay_is_unchanged(central, national):
    catalogue = sample_catalogue()
    result = ok(central.request("POST", "/catalogue/import", national, json=catalogue))
    # The fixture imported it already: every item is unchanged now.
    assert result == {
        "imported": 0,
        "updated": 0,
        "unchanged": len(catalogue["itemList"]),
        "rejected": [],
    }


def test_one_bad_item_is_rejected_with_index_and_the_rest_imports(central, national):
    good = copy.deepcopy(sample_catalogue()["itemList"][0])
    good["id"] = str(uuid.uuid4())
    nameless = copy.deepcopy(good) | {"id": str(uuid.uuid4()), "serviceNames": []}
    bad_channel = copy.deepcopy(good) | {"id": str(uuid.uuid4())}
    bad_channel["serviceChannels"][0]["serviceChannel"]["serviceChannelType"] = "Pigeon"
    body = {"itemList": [nameless, good, {"id": "not-a-uuid"}, bad_channel, 42]}
    result = ok(central.request("POST", "/catalogue/import", national, json=body))
    assert result["imported"] == 1
    rejected = {r["index"]: r for r in result["rejected"]}
    assert set(rejected) == {0, 2, 3, 4}
    assert "serviceNames" in rejected[0]["error"] and rejected[0]["id"] == nameless["id"]
    assert "UUID" in rejected[2]["error"]
    assert "Pigeon" in rejected[3]["error"]
    assert "object" in rejected[4]["error"]


def test_update_and_withdrawal_reach_kiosks(central, national):
    org = make_org(central, national)
    service = copy.deepcopy(sample_catalogue()["itemList"][1])
    service["id"] = str(uuid.uuid4())
    ok(central.request("POST", "/catalogue/import", national, json=service))
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": [service["id"]]},
        )
    )
    first = ok(central.request("GET", "/kiosk/catalogue", org.device_token))
    service["serviceNames"][0]["value"] = "Perustoimeentulotuki (uusi)"
    assert ok(central.request("POST", "/catalogue/import", national, json=service))["updated"] == 1
    delta = ok(
        central.request(
            "GET", "/kiosk/catalogue", org.device_token, params={"since": first["cursor"]}
        )
    )
    assert delta["items"][0]["name"]["fi"] == "Perustoimeentulotuki (uusi)"
    service["publishingStatus"] = "Deleted"
    ok(central.request("POST", "/catalogue/import", national, json=service))
    gone = ok(
        central.request(
            "GET", "/kiosk/catalogue", org.device_token, params={"since": delta["cursor"]}
        )
    )
    assert gone["deleted"] == [service["id"]] and gone["items"] == []


def test_languages_are_kept_and_missing_ones_are_absent_not_empty(central, national):
    service = copy.deepcopy(sample_catalogue()["itemList"][2])
    service["id"] = str(uuid.uuid4())
    service["serviceNames"] = [{"type": "Name", "language": "sv", "value": "Endast svenska"}]
    ok(central.request("POST", "/catalogue/import", national, json=service))
    org = make_org(central, national)
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": [service["id"]]},
        )
    )
    [item] = ok(central.request("GET", "/kiosk/catalogue", org.device_token))["items"]
    assert item["name"] == {"sv": "Endast svenska"}
    assert item["summary"]["fi"] and item["keywords"]["fi"]


def test_body_that_is_no_catalogue_is_a_clear_4xx(central, national):
    r = central.request("POST", "/catalogue/import", national, json={"itemList": "nope"})
    assert r.status_code == 422 and "itemList" in r.json()["error"]["message"]
    r = central.request(
        "POST",
        "/catalogue/import",
        national,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422) and "error" in r.json()


def test_site_catalogue_refuses_unknown_services(central, national):
    org = make_org(central, national, with_kiosk=False)
    r = central.request(
        "PUT",
        f"/sites/{org.site_id}/catalogue",
        org.tokens["org_admin"],
        json={"service_ids": [str(uuid.uuid4())]},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_service"
