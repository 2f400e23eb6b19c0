"""The kiosk item made from PTV's real v11 documents (data/ptv/): every language as PTV has
it, phones with their type and charges, web pages and forms per language, addresses in
WGS84, the opening-hours model; and the v11 documents through the import endpoint."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from pyproj import Transformer

from central import ptv
from central.ptv.coordinates import tm35fin_to_wgs84, wgs84_of
from central.ptv.documents import directory_body
from devtools.builders import SAMPLE_PTV, sample_documents
from devtools.central_world import add_user, ok


@pytest.fixture(scope="module")
def items() -> dict[str, dict[str, Any]]:
    documents = sample_documents()
    out = {}
    for doc in documents.services:
        item, withdrawn = ptv.parse_service(doc, documents.channels, documents.organisations)
        assert not withdrawn
        out[item["name"].get("fi") or next(iter(item["name"].values()))] = item
    return out


def channels_of(item: dict[str, Any], ptv_type: str) -> list[dict[str, Any]]:
    return [c for c in item["channels"] if c["ptv_type"] == ptv_type]


def test_every_language_is_kept_as_ptv_has_it_and_nothing_is_copied(items):
    sami = items["Saamenkielinen asiointiapu"]
    assert set(sami["name"]) == {"fi", "se", "smn", "sms"}
    assert sami["name"]["sms"] == "Sääʹmǩiõllsaž äʹšštõõttâmveʹǩǩ"
    assert sami["languages"] == ["fi", "se", "smn", "sms"]
    assert sami["organisation"]["name"]["sms"] == "Sääʹmteʹǧǧ"
    finnish_only = [i for i in items.values() if i["languages"] == ["fi"]]
    assert len(finnish_only) == 2
    for item in finnish_only:
        assert set(item["name"]) == {"fi"} and set(item["summary"]) <= {"fi"}  # sv: null
    assert all("en" not in i["name"] for i in items.values() if i["languages"] == ["fi", "sv"])


def test_markdown_and_general_description_texts_come_through(items):
    housing = items["Yleinen asumistuki"]
    assert "\n* asut vuokralla" in housing["description"]["fi"]
    assert "\n1. Täytä hakemus" in housing["description"]["fi"]
    counselling = items["Perheneuvonta"]  # its own texts are null; the GD_ ones are used
    assert counselling["summary"] == {
        "fi": "Tukea lasten kasvatukseen ja perheen ristiriitoihin.",
        "sv": "Stöd i barnuppfostran och familjekonflikter.",
    }
    assert counselling["description"]["fi"].startswith("Perheneuvolassa")


def test_phones_have_their_type_and_charges_and_a_fax_is_never_the_phone(items):
    all_channels = [c for i in items.values() for c in i["channels"]]
    with_fax = [c for c in all_channels if any(p["type"] == "fax" for p in c["phones"])]
    assert with_fax
    for channel in with_fax:
        assert channel["phones"][0]["type"] == "fax"
        assert channel["phone"] == next(
            p["number"] for p in channel["phones"] if p["type"] == "phone"
        )
    assert not any("None" in c.get("phone", "") for c in all_channels)
    crisis = items["Kriisipuhelin"]["channels"][0]
    assert crisis["type"] == "phone"
    assert [(p["type"], p["number"], p["language"]) for p in crisis["phones"]] == [
        ("phone", "0925250111", "fi"),
        ("phone", "0925250112", "sv"),
        ("sms", "+358 401234999", "fi"),
    ]
    assert crisis["phones"][0]["charge_type"] == "chargeable"
    assert crisis["phones"][0]["charge_info"] == "Normaali puhelumaksu."


def test_a_connections_own_phone_and_hours_never_change_the_channels_type(items):
    overridden = [
        c
        for i in items.values()
        for c in channels_of(i, "ServiceLocation")
        if any(p["info"] == "Ajanvaraus" for p in c["phones"])
    ]
    [location] = overridden
    assert location["type"] == "service_location"
    assert location["hours"][0]["spans"] == [
        {"day": "tue", "from": "10:00", "to": "14:00", "days": 0},
        {"day": "thu", "from": "10:00", "to": "14:00", "days": 0},
    ]


def test_web_pages_and_forms_per_language(items):
    housing = items["Yleinen asumistuki"]
    [form] = channels_of(housing, "PrintableForm")
    assert form["type"] == "electronic"
    assert [(f["language"], f["kind"]) for f in form["forms"]] == [("fi", "PDF"), ("sv", "PDF")]
    assert form["url"].endswith("AT1.pdf")
    online = channels_of(housing, "EChannel")[0]
    assert {p["language"] for p in online["web_pages"]} >= {"fi"}
    assert online["url"] == online["web_pages"][0]["url"]


def test_opening_hours_model(items):
    housing_location = channels_of(items["Passin hakeminen"], "ServiceLocation")[0]
    kinds = [
        (h["kind"], h["valid_from"], h["valid_to"], h["closed"]) for h in housing_location["hours"]
    ]
    assert ("weekly", "2026-06-01", "2026-08-09", False) in kinds  # summer, beside the normal week
    assert ("exception", "2026-12-06", "2026-12-06", True) in kinds
    independence = next(h for h in housing_location["hours"] if h["valid_from"] == "2026-12-06")
    assert independence["info"]["fi"] == "Itsenäisyyspäivä" and independence["spans"] == []
    eve = next(h for h in housing_location["hours"] if h["valid_from"] == "2026-12-31")
    assert eve["spans"] == [{"day": None, "from": "10:00", "to": "14:00", "days": 0}]
    duty = items["Sosiaalipäivystys"]["channels"][0]["hours"]
    assert {"day": "mon", "from": "15:00", "to": "08:00", "days": 1} in duty[0]["spans"]
    assert duty[1]["kind"] == "over_midnight"
    assert duty[1]["spans"] == [{"day": "fri", "from": "15:00", "to": "08:00", "days": 3}]
    assert items["Kriisipuhelin"]["channels"][0]["hours"][0]["always_open"] is True
    counselling = items["Perheneuvonta"]["channels"][0]["hours"][0]
    assert counselling["by_appointment"] and counselling["info"]["fi"] == "Vain ajanvarauksella"


def test_exceptional_dates_given_as_utc_instants_are_finnish_days():
    [hours] = ptv.parse_service(
        {
            "id": "9a0f2c1e-0000-4000-8000-000000000001",
            "serviceNames": [{"type": "Name", "language": "fi", "value": "X"}],
            "serviceChannels": [
                {
                    "serviceChannel": {"id": "c", "serviceChannelType": "ServiceLocation"},
                    "serviceHours": [
                        {
                            "serviceHourType": "Exceptional",
                            "validFrom": "2026-12-05T22:00:00Z",
                            "isClosed": True,
                        }
                    ],
                }
            ],
        }
    )[0]["channels"][0]["hours"]
    assert hours["valid_from"] == hours["valid_to"] == "2026-12-06"


def test_addresses_are_in_wgs84_as_proj_computes_them(items):
    proj = Transformer.from_crs(3067, 4326)
    raw = {
        a["streetAddress"]["streetNumber"]: a["streetAddress"]
        for c in sample_documents().channels.values()
        for a in c.get("addresses") or []
    }
    checked = 0
    for item in items.values():
        for channel in item["channels"]:
            for address in channel["addresses"]:
                source = raw[address["number"]]
                lat, lon = proj.transform(float(source["longitude"]), float(source["latitude"]))
                assert abs(address["lat"] - lat) < 1e-6 and abs(address["lon"] - lon) < 1e-6
                checked += 1
    assert checked >= 20
    sajos = channels_of(items["Saamenkielinen asiointiapu"], "ServiceLocation")[0]["addresses"][0]
    assert sajos["post_office"]["se"] == "ANÁR" and round(sajos["lat"], 2) == 68.91


def test_the_projection_matches_proj_across_finland():
    proj = Transformer.from_crs(3067, 4326)
    rng = random.Random(3067)
    for _ in range(500):
        northing, easting = rng.uniform(6_600_000, 7_780_000), rng.uniform(60_000, 740_000)
        lat, lon = proj.transform(easting, northing)
        ours = tm35fin_to_wgs84(northing, easting)
        assert abs(ours[0] - lat) < 1e-7 and abs(ours[1] - lon) < 1e-7  # ~1 cm
    assert wgs84_of("60.17", "24.94") is None  # degrees are not TM35FIN: no point at all
    assert wgs84_of(None, None) is None


def test_a_single_string_name_is_not_labelled_finnish():
    documents = sample_documents()
    police = next(
        s for s in documents.services if s["organizations"][0]["organization"]["name"] == "Polisen"
    )
    item, _ = ptv.parse_service(police, documents.channels)  # no organisation documents
    assert item["organisation"]["name"] == {"und": "Polisen"}
    item, _ = ptv.parse_service(police, documents.channels, documents.organisations)
    assert item["organisation"]["name"]["fi"] == "Poliisi"


def test_v11_documents_import_through_the_endpoint_and_replay_unchanged(central):
    national = add_user(central, "national_admin", None)
    before = Path(__file__).parent / "ptv_archived_before.json"
    ok(central.request("POST", "/catalogue/import", national, json=json.loads(before.read_text())))
    body = directory_body(SAMPLE_PTV)
    body["services"][0]["itemList"].append({"id": "not-a-uuid"})
    first = ok(central.request("POST", "/catalogue/import", national, json=body))
    assert first["rejected"] == [
        {"index": 25, "id": "not-a-uuid", "error": "id must be the service's PTV UUID"}
    ]
    assert first["updated"] == 1  # the archived service, withdrawn
    again = ok(central.request("POST", "/catalogue/import", national, json=body))
    assert (again["imported"], again["updated"]) == (0, 0)
    bad = central.request("POST", "/catalogue/import", national, json={"services": {"x": 1}})
    assert bad.status_code == 422 and "services must be a list" in bad.json()["error"]["message"]
