"""Strong identification: from the identity provider's return to "identified" at the
kiosk and the desk, and from PIN entered to "identified" with the virtual ID card.

Phone: central (uvicorn in this process, a real Janus for the calls), a local
Suomi.fi-shaped SAML IdP. Each round a kiosk's call is answered, the kiosk asks for a
QR code, a phone spends it and the IdP makes its signed, encrypted answer (outside the
timing). Timed: the IdP's return (the phone's POST to central's ACS) until the kiosk's
progress says identified and the official's call view says strong, each asked at once.
Baseline, same run: a bare HTTP round trip (GET /api/v1/health).

Card: pcscd with vsmartcard's virtual reader and the virtual FINEID card (an EC P-384
v4 card and an RSA v3 card), a test CA with a real OCSP responder (openssl ocsp).
Timed: the kiosk's whole proof after the PIN (certificate read, central's challenge,
PIN verify and signature on the card, central's check with OCSP). Baseline, same run:
the bare PC/SC signature (PIN verify and signature alone).

Goals: phone p95 ≤ 1 s; card p95 ≤ 2 s. Run: ./run bench (or python -m
bench.identification --rounds 40).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from bench.console import p95
from devtools.builders import sample_catalogue, service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import Org, add_user, make_org, ok, user_id
from devtools.media_servers import start_media_servers
from devtools.saml_idp import PERSONS, SamlIdp, key_and_certificate, running_idp


def line(label: str, ms: list[float], baseline: float, goal: float) -> None:
    print(
        f"{label}: p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms "
        f"({p95(ms) / baseline:.1f}× the baseline; goal {goal:.0f} ms: "
        f"{'met' if p95(ms) <= goal else 'NOT met'})",
        flush=True,
    )


def world(central: RunningCentral) -> tuple[Org, str, str]:
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(central, national)
    service = service_ids()[0]
    path = f"/sites/{org.site_id}/catalogue"
    ok(central.request("PUT", path, national, json={"service_ids": [service]}))
    official = org.tokens["official"]
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, official)}",
            org.tokens["org_admin"],
            json={"services": [service], "languages": ["fi"]},
        )
    )
    ok(central.request("PUT", "/desk/presence", official, json={"presence": "available"}))
    return org, service, official


def answered_call(central: RunningCentral, org: Org, service: str, official: str) -> str:
    body = {"service_id": service, "language": "fi"}
    call = ok(central.request("POST", "/kiosk/calls", org.device_token, json=body), 201)
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", official))
    return str(call["id"])


def phone_round(
    central: RunningCentral, idp: SamlIdp, org: Org, service: str, official: str
) -> float:
    call_id = answered_call(central, org, service, official)
    path = f"/kiosk/calls/{call_id}/identification/phone"
    handoff = ok(central.request("POST", path, org.device_token, json={}), 201)
    to_idp = requests.post(handoff["address"], allow_redirects=False, timeout=10)
    query = {k: v[0] for k, v in parse_qs(urlparse(to_idp.headers["location"]).query).items()}
    answer = idp.answer(idp.take_request(query), PERSONS[0])
    progress = f"{path}/{handoff['handoff_id']}"
    started = time.perf_counter()
    back = requests.post(
        f"{central.base}/eid/saml/acs",
        data={"SAMLResponse": answer, "RelayState": handoff["handoff_id"]},
        timeout=10,
    )
    kiosk = ok(central.request("GET", progress, org.device_token))
    desk = ok(central.request("GET", f"/desk/calls/{call_id}", official))
    elapsed = time.perf_counter() - started
    assert back.status_code == 200 and kiosk["step"] == "identified", kiosk
    assert desk["identification"] == "strong", desk
    ok(central.request("POST", f"/desk/calls/{call_id}/end", official, json={}))
    return elapsed * 1000


def health_ms(central: RunningCentral, count: int) -> float:
    http = requests.Session()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        http.get(f"{central.base}/api/v1/health", timeout=10)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_phone(folder: Path, rounds: int) -> None:
    media = start_media_servers(folder / "media")
    key, certificate = key_and_certificate(folder, "sp")
    try:
        with running_idp(folder) as idp:
            central = start_central(
                f"sqlite:///{folder}/central.db",
                suomifi_idp_metadata=str(idp.write_metadata()),
                suomifi_sp_key=str(key),
                suomifi_sp_certificate=str(certificate),
                **media.central_settings(),
            )
            try:
                idp.trust(requests.get(f"{central.base}/eid/saml/metadata", timeout=10).text)
                org, service, official = world(central)
                phone_round(central, idp, org, service, official)  # warm
                baseline = health_ms(central, 50)
                print(f"baseline GET /api/v1/health: median {baseline:.1f} ms", flush=True)
                ms = [phone_round(central, idp, org, service, official) for _ in range(rounds)]
                line("phone: IdP's return to identified (kiosk and desk)", ms, baseline, 1000)
            finally:
                central.stop()
    finally:
        media.stop()


def measure_card(folder: Path, rounds: int) -> None:
    from devtools.card_pki import make_card_ca
    from devtools.fineid_card import FineidCard
    from devtools.vpcd_card import connect_card, pcscd_for_this_test
    from devtools.waiting import wait_for
    from hardware.base import DeviceState
    from hardware.cardreader import fineid
    from hardware.cardreader.pcsc import CardReader
    from kiosk.agent.client import CentralClient
    from kiosk.call import card_identity

    pki = make_card_ca(folder / "vrk")
    people = {
        "v4 (EC P-384)": pki.citizen("Maija", "Virtanen", "999198633", kind="ec"),
        "v3 (RSA)": pki.citizen("Matti", "Meikäläinen", "999198625", kind="rsa"),
    }
    pki.start_responder()
    media = start_media_servers(folder / "card-media")
    central = start_central(
        f"sqlite:///{folder}/card.db",
        fineid_trust_anchors=str(pki.folder / "root.pem"),
        fineid_ca_certificates=str(pki.folder / "ca.pem"),
        **media.central_settings(),
    )
    try:
        org, service, official = world(central)
        client = CentralClient(central.base, org.device_token, insecure=True)
        with pcscd_for_this_test():
            reader = CardReader(reader_filter="Virtual PCD")
            reader.start()
            try:
                assert wait_for(lambda: reader.state == DeviceState.ONLINE, 45), reader.state
                for label, citizen in people.items():
                    card = FineidCard(citizen, pin="2468")
                    connect_card(card)
                    assert wait_for(lambda: reader.status["card"] == "present", 20)
                    elliptic = "EC" in label
                    bare: list[float] = []
                    whole: list[float] = []
                    for _ in range(rounds + 1):
                        digest = os.urandom(48 if elliptic else 32)
                        with reader.session() as send:
                            started = time.perf_counter()
                            fineid.sign(send, "2468", digest, elliptic)
                            bare.append((time.perf_counter() - started) * 1000)
                        call_id = answered_call(central, org, service, official)
                        started = time.perf_counter()
                        done = card_identity.identify(client, reader.session, call_id, "2468")
                        whole.append((time.perf_counter() - started) * 1000)
                        assert done.shown_name, done
                        path = f"/desk/calls/{call_id}/end"
                        ok(central.request("POST", path, official, json={}))
                    baseline = statistics.median(bare[1:])
                    print(
                        f"card {label}: bare PC/SC signature median {baseline:.0f} ms",
                        flush=True,
                    )
                    line(f"card {label}: PIN entered to identified", whole[1:], baseline, 2000)
                    card.remove()
                    wait_for(lambda: reader.status["card"] != "present", 10)
            finally:
                reader.stop()
    finally:
        central.stop()
        media.stop()
        pki.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--parts", default="phone,card")
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args: Any = parser.parse_args()
    if args.quick:
        args.rounds = 5
    with tempfile.TemporaryDirectory() as folder:
        if "phone" in args.parts:
            measure_phone(Path(folder), args.rounds)
        if "card" in args.parts:
            if shutil.which("pcscd") is None:
                print("card: skipped, pcscd is not installed (./run test installs it)")
            else:
                measure_card(Path(folder), args.rounds)


if __name__ == "__main__":
    main()
