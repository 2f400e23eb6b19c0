"""Strong identification by the citizen's own phone, across devices, against a local
Suomi.fi-shaped SAML IdP (pysaml2) and a local FTN OpenID provider, with central for
real (uvicorn, a real Janus for the active call). The phone is headless Chromium: it
opens the QR's address, compares the short code, logs in as a test person and comes
back. Then every attack of the issue, each refused with a clear page and nothing kept:
a replayed or altered assertion, another audience, an expired or unsigned one, ID
tokens signed with an unknown key, unencrypted, for another service or expired, a QR
used twice or after 120 s, and another kiosk asking for the result."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import update

from central.db.engine import session_scope
from central.db.models import PhoneIdentification
from central.db.types import utcnow
from central.identity.eid.oidc import new_keys
from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import ok
from devtools.media_servers import MediaServers
from devtools.oidc_provider import OidcProvider, running_provider
from devtools.saml_idp import PERSONS, SamlIdp, key_and_certificate, running_idp
from tests.support.call_api import kiosk_call
from tests.support.identity_scan import assert_not_in_database

pytestmark = pytest.mark.slow
NELLI = PERSONS[0]
CLIENT_ID = "palvelupiste-test"


@pytest.fixture(scope="module")
def providers(tmp_path_factory) -> Iterator[tuple[SamlIdp, OidcProvider, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("eid")
    key, certificate = key_and_certificate(folder, "sp")
    keys = folder / "ftn-keys.json"
    keys.write_text(json.dumps(new_keys()))
    with running_idp(folder) as idp, running_provider() as op:
        settings = {
            "suomifi_idp_metadata": str(idp.write_metadata()),
            "suomifi_sp_key": str(key),
            "suomifi_sp_certificate": str(certificate),
            "ftn_issuer": op.issuer,
            "ftn_client_id": CLIENT_ID,
            "ftn_keys": str(keys),
        }
        yield idp, op, settings


@pytest.fixture(scope="module")
def central(database_url: str, media: MediaServers, providers) -> Iterator[RunningCentral]:
    idp, op, settings = providers
    running = start_central(database_url, **settings, **media.central_settings())
    metadata = requests.get(f"{running.base}/eid/saml/metadata", timeout=10)
    assert metadata.status_code == 200 and "AssertionConsumerService" in metadata.text
    idp.trust(metadata.text)
    op.register(CLIENT_ID, f"{running.base}/eid/oidc/callback", f"{running.base}/eid/oidc/jwks")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(world, central):
    anna = world["officials"]["anna"][1]
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    return {**world, "official": anna}


@pytest.fixture(scope="module")
def phone() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


@pytest.fixture(autouse=True)
def no_call_left_open(central, world):
    """Each test ends the official's call it leaves open: with tests spread over workers
    (`--dist load`), any test may come next, and an official takes one call at a time."""
    yield
    state = ok(central.request("GET", "/desk/state", world["official"]))
    if state.get("active"):
        path = f"/desk/calls/{state['active']['id']}/end"
        ok(central.request("POST", path, world["official"], json={}))


def active_call(central, world) -> dict:
    call = kiosk_call(central, world["org"].device_token, world["service"])
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", world["official"]))
    return call


def qr(central, world, call_id: str, method: str | None = None) -> dict:
    body = {"method": method} if method else {}
    path = f"/kiosk/calls/{call_id}/identification/phone"
    return ok(central.request("POST", path, world["org"].device_token, json=body), 201)


def progress(central, token: str, call_id: str, handoff: dict) -> requests.Response:
    path = f"/kiosk/calls/{call_id}/identification/phone/{handoff['handoff_id']}"
    return central.request("GET", path, token)


def call_view(central, world, call_id: str) -> dict:
    return ok(central.request("GET", f"/desk/calls/{call_id}", world["official"]))


@pytest.mark.parametrize("method", ["suomifi", "ftn"])
def test_the_citizen_identifies_with_their_phone(
    central, world, providers, phone, method, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    idp, _op, _ = providers
    call = active_call(central, world)
    handoff = qr(central, world, call["id"], method)
    assert handoff["method"] == method and len(handoff["short_code"]) == 4
    assert progress(central, world["org"].device_token, call["id"], handoff).json() == {
        "step": "waiting",
        "shown_name": None,
    }
    # The phone opens the QR's address: the service point and the kiosk's short code.
    phone.goto(handoff["address"])
    assert phone.locator("#short-code").inner_text() == handoff["short_code"]
    assert phone.locator("#site").inner_text() == "Yhteispalvelupiste"
    phone.screenshot(path=str(tmp_path / f"phone-{method}-start.png"))
    phone.click("#continue")
    # The identity provider's login: the citizen chooses who they are (their bank codes).
    phone.get_by_role("button", name=f"{NELLI.given_names} {NELLI.surname}").click()
    phone.wait_for_selector("#outcome")
    assert phone.locator("#outcome").inner_text() == "You are identified"
    phone.screenshot(path=str(tmp_path / f"phone-{method}-done.png"))
    assert NELLI.hetu not in phone.content() and NELLI.surname not in phone.content()
    # The kiosk that showed the code learns it, and only the name it may show.
    answer = progress(central, world["org"].device_token, call["id"], handoff).json()
    assert answer == {"step": "identified", "shown_name": "Nelli K."}
    view = call_view(central, world, call["id"])
    assert view["identification"] == "strong" and view["identification_method"] == method
    identity = ok(central.request("GET", f"/desk/calls/{call['id']}/identity", world["official"]))
    assert identity["hetu"] == NELLI.hetu and identity["surname"] == NELLI.surname
    assert identity["method"] == method
    if method == "suomifi":  # single logout: a signed LogoutRequest reaches the IdP
        before = len(idp.logouts)
        phone.click("#logout")
        phone.wait_for_selector("text=You have logged out.")
        assert len(idp.logouts) == before + 1
    # Nobody but the call's own official reads it: not a colleague of the same
    # organisation (Bert), not an official of another organisation.
    for intruder in (world["officials"]["bert"][1], world["other_official"]):
        for path in (f"/desk/calls/{call['id']}/identity", f"/desk/calls/{call['id']}"):
            seen = central.request("GET", path, intruder)
            assert seen.status_code == 404, (path, seen.status_code)
            assert NELLI.hetu not in seen.text and NELLI.surname not in seen.text
    # Another kiosk of the same site asking for this result gets nothing.
    other = progress(central, world["kiosk2"][1], call["id"], handoff)
    assert other.status_code == 404 and "Nelli" not in other.text
    # A second scan of the same code gets nothing.
    phone.goto(handoff["address"])
    assert phone.locator("#outcome").inner_text() == "This code is used or has expired"
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", world["official"], json={}))
    assert NELLI.hetu not in caplog.text and NELLI.surname not in caplog.text
    assert_not_in_database(central.app.state.sessions, NELLI.hetu, NELLI.surname)


def _opened(central, world, call_id: str, method: str) -> tuple[dict, str]:
    """A QR opened by a phone (no browser): the handoff and the provider's address."""
    handoff = qr(central, world, call_id, method)
    r = requests.post(handoff["address"], allow_redirects=False, timeout=10)
    assert r.status_code == 303
    return handoff, r.headers["location"]


def _acs(central, relay: str, saml_response: str) -> requests.Response:
    return requests.post(
        f"{central.base}/eid/saml/acs",
        data={"SAMLResponse": saml_response, "RelayState": relay},
        timeout=10,
    )


def _saml_request(idp: SamlIdp, location: str) -> dict:
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    return idp.take_request(query)


def _not_identified(central, world, call_id: str) -> None:
    view = call_view(central, world, call_id)
    assert view["identification"] != "strong"
    r = central.request("GET", f"/desk/calls/{call_id}/identity", world["official"])
    assert r.status_code == 404


def test_attacks_on_the_saml_route_are_refused(central, world, providers):
    idp, _op, _ = providers
    call = active_call(central, world)
    # The request is signed, forces a fresh login and names central's ACS.
    handoff, location = _opened(central, world, call["id"], "suomifi")
    request = _saml_request(idp, location)
    assert request["force_authn"] == "true" and request["acs"].endswith("/eid/saml/acs")
    assert "Signature=" in location and "SigAlg=" in location

    spoiled = {
        "unsigned": (dict(signed=False), "signature"),
        "another audience": (dict(audience="https://other.example/sp"), "another service"),
        "expired": (dict(lifetime_s=-120), "expired"),
    }
    other_sp = _other_sp_metadata(providers)
    idp.trust(idp.sp_metadata, other_sp)
    for name, (variant, why) in spoiled.items():
        handoff, location = _opened(central, world, call["id"], "suomifi")
        answer = idp.answer(_saml_request(idp, location), NELLI, **variant)
        r = _acs(central, handoff["handoff_id"], answer)
        assert r.status_code == 400 and why in r.text, name
        step = progress(central, world["org"].device_token, call["id"], handoff).json()
        assert step["step"] == "refused", name
        _not_identified(central, world, call["id"])
    # Altered: one byte of the encrypted assertion changed.
    handoff, location = _opened(central, world, call["id"], "suomifi")
    xml = base64.b64decode(idp.answer(_saml_request(idp, location), NELLI)).decode()
    start = re.search(r"<(?:\w+:)?CipherValue>", xml[xml.index("EncryptedData") :]).end()
    start += xml.index("EncryptedData") + 200  # inside the assertion's ciphertext
    altered = xml[:start] + ("A" if xml[start] != "A" else "B") + xml[start + 1 :]
    r = _acs(central, handoff["handoff_id"], base64.b64encode(altered.encode()).decode())
    assert r.status_code == 400 and "e-Identification" in r.text, r.text
    _not_identified(central, world, call["id"])
    # The citizen cancels at the IdP: a clear page, nothing kept.
    handoff, location = _opened(central, world, call["id"], "suomifi")
    r = _acs(central, handoff["handoff_id"], idp.cancelled(_saml_request(idp, location)))
    assert r.status_code == 400 and "cancelled or failed" in r.text
    _not_identified(central, world, call["id"])
    # A good answer taken once; replayed for the same handoff, or for another, refused.
    handoff, location = _opened(central, world, call["id"], "suomifi")
    good = idp.answer(_saml_request(idp, location), NELLI)
    second, _location = _opened(central, world, call["id"], "suomifi")
    r = _acs(central, second["handoff_id"], good)
    assert r.status_code == 400 and "answers no request" in r.text
    assert _acs(central, handoff["handoff_id"], good).status_code == 200
    r = _acs(central, handoff["handoff_id"], good)
    assert r.status_code == 400 and "finished or has expired" in r.text
    # A logout request from the IdP is answered (signed) and checked by the IdP.
    answered = len(idp.logout_answers)
    r = requests.get(idp.logout_request(f"{central.base}/eid/saml/slo"), timeout=10)
    assert r.status_code == 200 and "logged out" in r.text
    assert len(idp.logout_answers) == answered + 1


def _other_sp_metadata(providers) -> str:
    """Another service of the IdP (same key, another entity id): its answers are for it."""
    from central.identity.eid.saml import SamlSettings, SuomifiSaml

    _idp, _op, settings = providers
    other = SuomifiSaml(
        SamlSettings(
            settings["suomifi_idp_metadata"],
            settings["suomifi_sp_key"],
            settings["suomifi_sp_certificate"],
            "https://other.example",
            entity_id="https://other.example/sp",
        )
    )
    return other.metadata()


def _ftn_login(location: str, person: int = 0) -> requests.Response:
    """The phone at the FTN broker, without a browser: its login page, then back."""
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    key = page.text.split('name="key" value="')[1].split('"')[0]
    back = requests.post(
        location.split("/authorize")[0] + "/login",
        data={"key": key, "person": str(person)},
        allow_redirects=False,
        timeout=10,
    )
    return requests.get(back.headers["location"], timeout=10)


def test_attacks_on_the_ftn_route_are_refused(central, world, providers):
    _idp, op, _ = providers
    call = active_call(central, world)
    # The authorisation request is a request object signed with central's key.
    handoff, location = _opened(central, world, call["id"], "ftn")
    query = parse_qs(urlparse(location).query)
    assert "request" in query and query["client_id"] == [CLIENT_ID]
    spoiled = {
        "unknown_key": "not signed by the identity provider",
        "plain": "not encrypted",
        "audience": "another service",
        "expired": "expired",
    }
    try:
        for spoil, why in spoiled.items():
            op.spoil = spoil
            if spoil != "unknown_key":
                handoff, location = _opened(central, world, call["id"], "ftn")
            r = _ftn_login(location)
            assert r.status_code == 400 and why in r.text, spoil
            _not_identified(central, world, call["id"])
    finally:
        op.spoil = ""
    # A callback with another handoff's state is not taken.
    handoff, location = _opened(central, world, call["id"], "ftn")
    r = requests.get(
        f"{central.base}/eid/oidc/callback",
        params={"code": "stolen", "state": f"{handoff['handoff_id']}.forged"},
        timeout=10,
    )
    assert r.status_code == 400 and "another identification" in r.text
    _not_identified(central, world, call["id"])


def test_a_qr_code_opens_once_and_within_two_minutes(central, world):
    call = active_call(central, world)
    handoff = qr(central, world, call["id"], "suomifi")
    token_path = urlparse(handoff["address"]).path
    first = requests.post(handoff["address"], allow_redirects=False, timeout=10)
    assert first.status_code == 303
    second = requests.post(handoff["address"], allow_redirects=False, timeout=10)
    assert second.status_code == 410 and "Koodi on käytetty tai vanhentunut" in second.text
    late = qr(central, world, call["id"], "suomifi")
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(PhoneIdentification)
            .where(PhoneIdentification.id == late["handoff_id"])
            .values(expires_at=utcnow())
        )
        db.commit()
    r = requests.get(late["address"], timeout=10)
    assert r.status_code == 410 and "Koodi on käytetty tai vanhentunut" in r.text
    assert requests.post(late["address"], allow_redirects=False, timeout=10).status_code == 410
    step = progress(central, world["org"].device_token, call["id"], late).json()["step"]
    assert step == "expired"
    # A made-up address gets the same page; nothing tells which codes exist.
    r = requests.get(handoff["address"].replace(token_path.split("/")[-1], "x" * 43), timeout=10)
    assert r.status_code == 410
    # A kiosk cannot ask for a QR for a call that is not its own.
    path = f"/kiosk/calls/{call['id']}/identification/phone"
    r = central.request("POST", path, world["kiosk2"][1], json={})
    assert r.status_code == 404


def test_the_official_asks_for_the_phone_and_a_queued_citizen_may_identify(central, world):
    from central.settings import Settings
    from central.usage import retention

    call = kiosk_call(central, world["org"].device_token, world["service"])
    # Before anyone answers (a service that needs it): the QR is given to a queued call.
    queued = qr(central, world, call["id"])
    assert queued["method"] == "suomifi"  # the first route central offers
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", world["official"]))
    path = f"/desk/calls/{call['id']}/identification/request"
    view = ok(central.request("POST", path, world["official"], json={"method": "ftn"}))
    assert view["identification_requested"] == "ftn"
    kiosk_view = ok(central.request("GET", f"/kiosk/calls/{call['id']}", world["org"].device_token))
    assert kiosk_view["identification_requested"] == "ftn"
    bad = central.request("POST", path, world["official"], json={"method": "telepathy"})
    assert bad.status_code == 422
    # A kiosk asking again and again gets a bounded number of codes for one call.
    path = f"/kiosk/calls/{call['id']}/identification/phone"
    answers = [
        central.request("POST", path, world["org"].device_token, json={}).status_code
        for _ in range(25)
    ]
    assert answers.count(201) == 19 and answers[-1] == 409  # 20 with the first above
    call = kiosk_call(central, world["org"].device_token, world["service"])
    queued = qr(central, world, call["id"])
    # Retention drops a QR once nothing can arrive for it; a fresh one stays.
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(PhoneIdentification)
            .where(PhoneIdentification.id == queued["handoff_id"])
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        db.commit()
        fresh = qr(central, world, call["id"])
        retention.apply(db, Settings(database_url=central.app.state.settings.database_url))
        assert db.get(PhoneIdentification, queued["handoff_id"]) is None
        assert db.get(PhoneIdentification, fresh["handoff_id"]) is not None


def test_a_citizen_at_home_identifies_on_the_same_device(central, world, providers, phone):
    """A visit from home (/visit/): the official asks for Suomi.fi, the citizen's own
    browser goes to the identity provider and back to the meeting (no QR, no code to
    compare); the official reads who it is, the citizen's page says identified."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from central.appointments import links
    from devtools.appointment_world import calendar_body

    helsinki = ZoneInfo("Europe/Helsinki")
    _anna_id, anna = world["officials"]["anna"]
    now = datetime.now(helsinki)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
    end = start + timedelta(minutes=30)
    if end.date() != start.date():
        pytest.skip("the next slot crosses midnight")
    slot = {
        start.date().isoformat(): [{"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}]
    }
    body = calendar_body(world["service"], weekly=[], exceptions=slot, languages=["fi"])
    ok(central.request("POST", "/appointment-calendars", anna, json=body), 201)
    org = world["org"]
    booked = ok(
        central.request(
            "POST",
            "/appointments",
            org.tokens["booking_system"],
            json={
                "service_id": world["service"],
                "place": "home",
                "language": "fi",
                "starts_at": start.isoformat(),
                "name": "Nelli K.",
            },
        ),
        201,
    )
    visit = links.token_for(central.app.state.secret_key, links.MANAGE, booked["id"])
    call = ok(requests.post(f"{central.base}/visit/{visit}/call", timeout=15), 201)
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", anna))
    ok(
        central.request(
            "POST",
            f"/desk/calls/{call['id']}/identification/request",
            anna,
            json={"method": "suomifi"},
        )
    )
    seen = ok(requests.get(f"{central.base}/visit/{visit}/call", timeout=15))
    assert seen["identification_requested"] == "suomifi"
    address = ok(
        requests.post(f"{central.base}/visit/{visit}/call/identify", json={}, timeout=15), 201
    )["address"]
    phone.goto(address)
    assert phone.locator("h1").inner_text() == "Identify yourself for your video meeting"
    assert phone.locator("#short-code").count() == 0  # nothing to compare on one device
    phone.click("#continue")
    phone.get_by_role("button", name=f"{NELLI.given_names} {NELLI.surname}").click()
    phone.wait_for_selector("#outcome")
    assert phone.locator("#outcome").inner_text() == "You are identified"
    assert phone.get_attribute("#back", "href") == f"/visit/{visit}"
    view = call_view(central, {"official": anna}, call["id"])
    assert view["identification"] == "strong" and view["identification_method"] == "suomifi"
    identity = ok(central.request("GET", f"/desk/calls/{call['id']}/identity", anna))
    assert identity["hetu"] == NELLI.hetu
    back = ok(requests.get(f"{central.base}/visit/{visit}/call", timeout=15))
    assert back["identification"] == "strong" and NELLI.hetu not in str(back)
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", anna, json={}))
