"""The PTV client and sync against a PTV stand-in on loopback (devtools/ptv_server.py),
into a real central (SQLite and PostgreSQL): pages, joins of at most 100 ids, archived
services withdrawn from kiosks, full re-reads, errors, rate limits and timeouts, the
overlay surviving every sync, the API and the CLI."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from central.db.engine import session_scope
from central.db.models import ChangeLogEntry, Service
from central.ptv.client import PtvClient, PtvError
from central.ptv.sync import sync_organisation
from devtools.central_world import add_user, make_org, ok
from devtools.ptv_server import PtvServer, PtvWorld

# The full tier: PTV stand-ins and retries with pauses take seconds
# (the fast tier keeps under 40 s).
pytestmark = pytest.mark.slow

KELA = "06d2b317-7b64-5bfc-bacc-9037b6985ccb"
WELLBEING = "5d2f4fe6-2c4e-5768-8cc3-6af62d46098d"
ROOT = Path(__file__).parents[2]


def client(server: PtvServer, **kw: Any) -> tuple[PtvClient, list[float]]:
    """A client that records the pauses it would take instead of sleeping them."""
    pauses: list[float] = []
    made = PtvClient(server.url, pace_s=0, backoff_s=0.01, sleep=pauses.append, **kw)
    return made, pauses


def sync(central: Any, server: PtvServer, org: str = KELA, **kw: Any) -> dict[str, Any]:
    made, _ = client(server)
    with session_scope(central.app.state.sessions) as db:
        return sync_organisation(db, made, org, **kw)


def stored(central: Any, service_id: str) -> Service | None:
    with session_scope(central.app.state.sessions) as db:
        service = db.get(Service, service_id)
        if service is not None:
            db.expunge(service)
        return service


def big_world(services: int) -> PtvWorld:
    """The sample plus `services` more of one organisation, each with its own channel."""
    world = PtvWorld.sample(page_size=25)
    template = copy.deepcopy(world.of_organisation(KELA)[0])
    template["serviceChannels"] = template["serviceChannels"][:1]
    world.add_copies(template, services, first_channel=10_000)
    return world


@pytest.fixture
def ptv() -> Any:
    with PtvServer() as server:
        yield server


def test_an_organisation_is_read_in_pages_and_joined_100_ids_at_a_time(central):
    with PtvServer(big_world(130)) as server:
        result = sync(central, server)
        listed = server.world.of_organisation(KELA)
        assert result["listed"] == len(listed) > 130
        pages = [r for r in server.requests if r["path"].endswith("/organization")]
        assert [int(r["query"]["page"]) for r in pages] == list(range(1, len(pages) + 1))
        assert len(pages) == -(-len(listed) // 25)
        assert all(r["query"]["serviceWithGD"] == "true" for r in pages)
        channel_calls = [r for r in server.requests if r["path"].endswith("ServiceChannel/list")]
        assert len(channel_calls) >= 2 and max(r["ids"] for r in channel_calls) <= 100
    item = stored(central, str(uuid.UUID(int=7))).item
    assert item["name"]["fi"] == "Palvelu 6"
    assert item["channels"][0]["id"] == str(uuid.UUID(int=10_006))
    # The organisation's names come from its own document, in every language.
    assert item["organisation"]["name"]["sv"] == "Folkpensionsanstalten FPA"


def test_a_replay_changes_nothing_and_skips_unchanged_services(central, ptv):
    first = sync(central, ptv, org=WELLBEING)
    assert first["imported"] + first["updated"] + first["unchanged"] == first["listed"]
    with session_scope(central.app.state.sessions) as db:
        changes_before = db.query(ChangeLogEntry).count()
    ptv.requests.clear()
    again = sync(central, ptv, org=WELLBEING, full=False)
    assert (again["imported"], again["updated"], again["joined"]) == (0, 0, 0)
    assert not [r for r in ptv.requests if "ServiceChannel" in r["path"]]
    full = sync(central, ptv, org=WELLBEING, full=True)
    assert (full["imported"], full["updated"], full["unchanged"]) == (0, 0, first["listed"])
    with session_scope(central.app.state.sessions) as db:
        assert db.query(ChangeLogEntry).count() == changes_before


def test_a_changed_channel_is_seen_by_the_full_re_read(central, ptv):
    """Changing a channel does not move the service's `modified`: only a full pass sees it."""
    sync(central, ptv, org=WELLBEING)
    crisis = next(
        s
        for s in ptv.world.of_organisation(WELLBEING)
        if s["serviceNames"][0]["value"] == "Kriisipuhelin"
    )
    channel = ptv.world.channels[crisis["serviceChannels"][0]["serviceChannel"]["id"]]
    channel["phoneNumbers"][0]["number"] = "0925250999"
    assert sync(central, ptv, org=WELLBEING, full=False)["updated"] == 0
    assert stored(central, crisis["id"]).item["channels"][0]["phone"] == "0925250111"
    assert sync(central, ptv, org=WELLBEING, full=True)["updated"] == 1
    assert stored(central, crisis["id"]).item["channels"][0]["phone"] == "0925250999"


def test_archived_services_leave_the_kiosks(central, national, ptv):
    org = make_org(central, national, name="Kela-kunta")
    sync(central, ptv)
    kela = [s["id"] for s in ptv.world.of_organisation(KELA)]
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": kela},
        )
    )
    first = ok(central.request("GET", "/kiosk/catalogue", org.device_token))
    cursor = first["cursor"]
    # One service archived (PTV lists it as archived), one only gone from the list.
    archived, gone = kela[0], kela[1]
    ptv.world.archived.append({"id": archived, "name": "x"})
    del ptv.world.services[archived]
    del ptv.world.services[gone]
    result = sync(central, ptv, full=False)
    assert result["withdrawn"] == 2
    delta = ok(central.request("GET", f"/kiosk/catalogue?since={cursor}", org.device_token))
    assert sorted(delta["deleted"]) == sorted([archived, gone])
    assert stored(central, archived).withdrawn and stored(central, gone).withdrawn
    # A service archived in another organisation's list is not ours to withdraw.
    assert not stored(central, kela[2]).withdrawn


def test_a_service_imported_from_a_file_leaves_when_ptv_archives_it(central, national, ptv):
    """A file import has no organisation whose list it could be missing from: PTV's archived
    list is what tells central it is gone, and each leaving service is withdrawn once."""
    before = json.loads((Path(__file__).parent / "ptv_archived_before.json").read_text())
    ok(central.request("POST", "/catalogue/import", national, json=before))
    [old] = before["itemList"]
    assert old["id"] in {a["id"] for a in ptv.world.archived}
    assert not stored(central, old["id"]).withdrawn
    result = sync(central, ptv, org=WELLBEING, full=False)
    assert stored(central, old["id"]).withdrawn
    assert result["withdrawn"] >= 1
    again = sync(central, ptv, org=WELLBEING, full=False)
    assert again["withdrawn"] == 0 and again["updated"] == 0


def test_a_failing_page_withdraws_nothing(central, ptv):
    sync(central, ptv, org=KELA)
    ptv.world.page_size = 5
    ptv.fail("/Service/list/organization", "503", "503", "503", "503", "503")
    made, _ = client(ptv, attempts=3)
    before = [s.id for s in _all(central) if not s.withdrawn]
    with pytest.raises(PtvError, match="503"):
        with session_scope(central.app.state.sessions) as db:
            sync_organisation(db, made, KELA)
    assert [s.id for s in _all(central) if not s.withdrawn] == before


def _all(central: Any) -> list[Service]:
    with session_scope(central.app.state.sessions) as db:
        rows = db.query(Service).order_by(Service.id).all()
        for row in rows:
            db.expunge(row)
        return rows


def test_errors_rate_limits_and_timeouts_are_tried_again_with_backoff(central, ptv):
    ptv.fail("/Service/list/organization", "500", "429:7", "garbage")
    ptv.fail("/ServiceChannel/list", "slow:1.5")
    made, pauses = client(ptv, timeout_s=0.5)
    with session_scope(central.app.state.sessions) as db:
        result = sync_organisation(db, made, WELLBEING)
    assert result["listed"] == len(ptv.world.of_organisation(WELLBEING))
    # 500, 429 (its Retry-After honoured), not JSON, then the late answer: four retries.
    assert len(pauses) == 4 and pauses[1] == 7
    assert pauses[2] > 2 * pauses[0]  # the same request's backoff doubles each try
    # A client error is not retried: it says what failed.
    made, pauses = client(ptv)
    with pytest.raises(PtvError, match="404"):
        made.get("Nothing/here")
    assert pauses == []


def test_an_answer_cut_off_is_tried_again_and_a_null_page_is_empty(central, national, ptv):
    ptv.fail("/ServiceChannel/list", "cut")
    made, pauses = client(ptv)
    with session_scope(central.app.state.sessions) as db:
        result = sync_organisation(db, made, WELLBEING)
    assert result["listed"] == len(ptv.world.of_organisation(WELLBEING)) and len(pauses) == 1
    # PTV writes an empty page's itemList as null: nothing listed, not an error.
    ptv.fail("/Service/list/organization", "empty")
    assert list(client(ptv)[0].organisation_services(WELLBEING)) == [[]]
    # Through the API, answers cut off every time are PTV's failure (502), not central's.
    org = ok(central.request("POST", "/organisations", national, json={"name": "Katkos"}), 201)
    body = {"api_base": ptv.url, "ptv_organisation": WELLBEING}
    ok(central.request("PUT", f"/organisations/{org['id']}/ptv-sync", national, json=body))
    ptv.fail("/Service/list/organization", *["cut"] * 5)
    failed = central.request("POST", f"/organisations/{org['id']}/ptv-sync/run", national)
    assert failed.status_code == 502, failed.text
    assert "cut off" in failed.json()["error"]["message"]


def test_a_service_of_several_organisations_is_owned_once_and_kept_while_one_lists_it(central):
    world = PtvWorld.sample()
    shared = world.of_organisation(KELA)[0]
    shared["organizations"].append(
        {"roleType": "Producer", "organization": {"id": WELLBEING, "name": "Hyvinvointialue"}}
    )
    with PtvServer(world) as server:
        sync(central, server, KELA)
        assert stored(central, shared["id"]).ptv_organisation == KELA
        # The producer's passes list it too, but neither fetch it again nor take it over.
        for _ in range(2):
            result = sync(central, server, WELLBEING)
            assert result["listed"] == len(world.of_organisation(WELLBEING))
            assert result["joined"] == result["listed"] - 1  # all but the shared one
        service = stored(central, shared["id"])
        assert service.ptv_organisation == KELA and service.ptv_listed_by == sorted(
            [KELA, WELLBEING]
        )
        # Kela stops publishing it: the producer still does, so it stays, now its to keep.
        shared["organizations"] = [
            o for o in shared["organizations"] if o["organization"]["id"] != KELA
        ]
        sync(central, server, KELA)
        service = stored(central, shared["id"])
        assert not service.withdrawn and service.ptv_organisation == WELLBEING
        assert service.ptv_listed_by == [WELLBEING]
        # Nobody lists it any more: withdrawn.
        shared["organizations"] = []
        sync(central, server, WELLBEING)
        assert stored(central, shared["id"]).withdrawn


def test_the_429_wait_is_capped_and_retries_end(ptv):
    ptv.fail("/Service", *["429:3600"] * 5)
    made, pauses = client(ptv, attempts=3, max_wait_s=30)
    with pytest.raises(PtvError, match="3 tries"):
        list(made.archived_services(None))
    assert pauses == [30, 30]


def test_v12_is_refused_clearly_until_it_is_read():
    with pytest.raises(PtvError, match="v12 is not supported yet"):
        PtvClient("https://example.invalid", version="v12")


def test_one_bad_service_never_blocks_the_rest(central, ptv):
    services = ptv.world.of_organisation(WELLBEING)
    bad = services[0]
    bad["serviceChannels"][0]["serviceHours"] = [
        {
            "serviceHourType": "DaysOfTheWeek",
            "openingHour": [{"dayFrom": "Someday", "from": "08:00", "to": "16:00"}],
        }
    ]
    result = sync(central, ptv, org=WELLBEING)
    assert result["imported"] + result["updated"] + result["unchanged"] == len(services) - 1
    [refused] = result["rejected"]
    assert refused["id"] == bad["id"]
    assert "serviceChannels[0].serviceHours[0].openingHour[0].dayFrom" in refused["error"]


def test_the_overlay_survives_every_sync(central, national, ptv):
    org = make_org(central, national, name="Hyvinvointi")
    sync(central, ptv, org=WELLBEING)
    crisis = next(
        s
        for s in ptv.world.of_organisation(WELLBEING)
        if s["serviceNames"][0]["value"] == "Kriisipuhelin"
    )
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": [crisis["id"]]},
        )
    )
    ok(
        central.request(
            "PUT",
            f"/services/{crisis['id']}/overlay",
            org.tokens["org_admin"],
            json={"site_id": org.site_id, "remote_video": True, "identification": "strong"},
        )
    )
    for full in (True, False, True):
        crisis["serviceNames"][0]["value"] = f"Kriisipuhelin {full}"
        crisis["modified"] = f"2026-12-0{1 + full}T10:00:00"
        sync(central, ptv, org=WELLBEING, full=full)
        [item] = ok(central.request("GET", "/kiosk/catalogue", org.device_token))["items"]
        assert item["name"]["fi"] == f"Kriisipuhelin {full}"
        assert item["remote_video"] is True and item["identification"] == "strong"
        assert [c["type"] for c in item["channels"]] == ["phone", "remote_video"]
    # Every site's value is the national admin's; a site admin may set only their own.
    refused = central.request(
        "PUT",
        f"/services/{crisis['id']}/overlay",
        org.tokens["org_admin"],
        json={"remote_video": True},
    )
    assert refused.status_code == 403
    bad = central.request(
        "PUT",
        f"/services/{crisis['id']}/overlay",
        national,
        json={"identification": "fingerprint"},
    )
    assert bad.status_code == 422
    listed = ok(
        central.request("GET", f"/services/{crisis['id']}/overlay", org.tokens["org_admin"])
    )
    assert listed[0]["site_id"] == org.site_id and listed[0]["identification"] == "strong"


def test_the_schedule_is_configured_and_run_through_the_api(central, national, ptv):
    org = ok(
        central.request(
            "POST",
            "/organisations",
            national,
            json={"name": "Hyvinvointialue", "ptv_id": WELLBEING},
        ),
        201,
    )
    config = ok(
        central.request(
            "PUT",
            f"/organisations/{org['id']}/ptv-sync",
            national,
            json={"api_base": ptv.url, "every_minutes": 30, "full_every_hours": 12},
        )
    )
    assert config["ptv_organisation"] == WELLBEING and config["last_run_at"] is None
    result = ok(central.request("POST", f"/organisations/{org['id']}/ptv-sync/run", national))
    assert result["listed"] == len(ptv.world.of_organisation(WELLBEING)) and result["full"]
    again = ok(central.request("GET", f"/organisations/{org['id']}/ptv-sync", national))
    assert again["last_run_at"] and again["last_result"]["listed"] == result["listed"]
    ptv.fail("/Service/list/organization", *["500"] * 5)
    failed = central.request("POST", f"/organisations/{org['id']}/ptv-sync/run", national)
    assert failed.status_code == 502 and "500" in failed.json()["error"]["message"]
    admin = add_user(central, "org_admin", org["id"])
    assert central.request("GET", f"/organisations/{org['id']}/ptv-sync", admin).status_code == 403
    bad = central.request(
        "PUT", f"/organisations/{org['id']}/ptv-sync", national, json={"api_base": "ftp://ptv"}
    )
    assert bad.status_code == 422


@pytest.mark.slow  # central's own processes
def test_the_cli_syncs_an_organisation(tmp_path, ptv):
    from tests.support.central_cli import run_cli

    command = ("--database", f"sqlite:///{tmp_path}/central.db", "ptv", "sync")
    target = ("--api", ptv.url, "--organization", WELLBEING)
    run = run_cli(*command, *target)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["imported"] == len(ptv.world.of_organisation(WELLBEING))
    ptv.fail("/Service/list/organization", *["500"] * 5)  # four pauses of 0.01 s doubling
    failed = run_cli(*command, *target, "--retry-pause", "0.01")
    assert failed.returncode == 2 and "nothing changed" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_a_sync_is_due_after_its_interval(central, national, ptv):
    from datetime import timedelta

    from central.db.models import PtvSync
    from central.db.types import utcnow
    from central.ptv.sync import due, run

    org = ok(central.request("POST", "/organisations", national, json={"name": "Ajastus"}), 201)
    with session_scope(central.app.state.sessions) as db:
        db.add(
            PtvSync(
                organisation_id=org["id"],
                api_base=ptv.url,
                ptv_organisation=WELLBEING,
                every_minutes=30,
                full_every_hours=24,
                last_result={},
            )
        )
    with session_scope(central.app.state.sessions) as db:
        now = utcnow()
        assert org["id"] in [s.organisation_id for s in due(db, now)]
        sync_row = db.get(PtvSync, org["id"])
        made, _ = client(ptv)
        result = run(db, sync_row, made)
        assert result["full"] and result["listed"] > 0
        assert org["id"] not in [s.organisation_id for s in due(db, now + timedelta(minutes=29))]
        assert org["id"] in [s.organisation_id for s in due(db, now + timedelta(minutes=31))]
        # The next pass is not full: the full re-read waits for full_every_hours.
        made, _ = client(ptv)
        assert run(db, db.get(PtvSync, org["id"]), made)["full"] is False
