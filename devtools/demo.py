"""The demo: central on SQLite with the sample catalogue, a site, bookings for today,
and one enrolled kiosk (agent and UI) with simulated devices.

Started by `./run demo`. It runs the real server and fills it through the
same API every other client uses, enrols a kiosk the way a technician does,
starts `kiosk-agent` and `kiosk-ui` beside it, and runs until Ctrl-C.
Without a display (no DISPLAY or WAYLAND_DISPLAY) the UI runs on a virtual
one (Xvfb); `--no-kiosk` runs central alone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from central.cli import create_user
from central.ptv.documents import directory_body
from devtools.appointment_world import calendar_body
from devtools.builders import (
    SAMPLE_PTV,
    booking_request,
    kiosk_services,
    sample_overlay,
    service_ids,
)
from devtools.launcher import CentralDidNotStart, launch
from devtools.mail_catcher import MailCatcher
from devtools.media_servers import MediaServerDidNotStart, MediaServers, start_media_servers
from devtools.nexo_terminal import NexoStandin
from devtools.paytrail_standin import TEST_MERCHANT
from devtools.paytrail_standin import Standin as PaytrailStandin
from devtools.saml_idp import key_and_certificate, running_idp
from devtools.sample_logo import logo_png
from devtools.virtual_display import start_virtual_display
from kiosk.agent.cli import enrol
from kiosk.store import StateStore
from kiosk.ui.pin_lock import pin_config

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "admin@demo.palvelupiste.fi"
ORG_ADMIN_EMAIL = "kunta@demo.palvelupiste.fi"
BOOKINGS_EMAIL = "ajanvaraus@demo.palvelupiste.fi"
OFFICIAL_EMAIL = "virkailija@demo.palvelupiste.fi"
INTERPRETER_EMAIL = "tulkki@demo.palvelupiste.fi"
# The authorities that serve at Järvenpää's kiosk from their own organisations, under
# agreements: (name, PTV organisation of the sample catalogue, mail domain, official).
KELA_OFFICIAL_EMAIL = "virkailija@kela.demo.palvelupiste.fi"
EXPERT_EMAIL = "asiantuntija@te.demo.palvelupiste.fi"
VERO_OFFICIAL_EMAIL = "virkailija@vero.demo.palvelupiste.fi"
TOWN_PTV = "2e61e72b-f45d-5b7d-8b8b-f7cc8cec779c"
PROVIDERS = (
    ("Kela", "06d2b317-7b64-5bfc-bacc-9037b6985ccb", "kela", KELA_OFFICIAL_EMAIL),
    ("TE-palvelut", "46570eb2-6e46-501f-9a2b-c0b432ef0c6c", "te", EXPERT_EMAIL),
    ("Verohallinto", "1a3e828d-dda1-5519-94b5-cf96e18e975d", "vero", VERO_OFFICIAL_EMAIL),
)
# What each provider is paid for (the compensation terms of its agreement).
TERMS = {
    "kela": {"basis": "per_started_minute", "amount_cents": 120},
    "te": {"basis": "monthly_per_site", "amount_cents": 45000},
    "vero": {"basis": "per_call", "amount_cents": 800},
}
# A tax service the demo offers by video too (the sample's Vero services have no video).
VERO_VIDEO_SERVICE = "a08bd2e1-c0d2-5291-869c-cd2c68c929fb"
AGENCY_DOMAIN = "tulkkaus.demo.palvelupiste.fi"
PASSWORD = "demo-password-123"
CITIZENS = ["Maija V.", "Matti K.", "Aino L.", "Erik S.", "Leena P."]
TECHNICIAN_PIN = "2468"
SIM_DEVICES = {"printer": "sim", "scanner": "sim", "camera": "sim", "gpio": "sim"}


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.token = ""

    def call(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = self.http.request(
            method, f"{self.base}/api/v1{path}", headers=headers, timeout=30, **kw
        )
        if r.status_code >= 400:
            raise SystemExit(f"demo: {method} {path} failed: {r.status_code} {r.text}")
        return r.json()

    def login(self, email: str) -> Api:
        self.token = ""
        self.token = self.call("POST", "/auth/login", json={"email": email, "password": PASSWORD})[
            "access_token"
        ]
        return self


def seed(database: str, base: str, terminal_spec: str = "") -> dict[str, Any]:
    create_user(database, ADMIN_EMAIL, "national_admin", None, PASSWORD)
    national = Api(base).login(ADMIN_EMAIL)
    # The sample as PTV serves it (v11 pages, channels, organisations), then what central
    # adds that PTV cannot say: which services are offered by video, and identification.
    imported = national.call("POST", "/catalogue/import", json=directory_body(SAMPLE_PTV))
    for service_id, values in sample_overlay().items():
        national.call("PUT", f"/services/{service_id}/overlay", json=values)
    national.call("PUT", f"/services/{VERO_VIDEO_SERVICE}/overlay", json={"remote_video": True})
    org = national.call(
        "POST", "/organisations", json={"name": "Järvenpään kaupunki", "ptv_id": TOWN_PTV}
    )
    site = national.call(
        "POST",
        f"/organisations/{org['id']}/sites",
        json={
            "name": "Järvenpään yhteispalvelupiste",
            "address": "Seutulantie 12, 04400 Järvenpää",
            "latitude": 60.4737,
            "longitude": 25.0899,
            "timezone": "Europe/Helsinki",
        },
    )
    create_user(database, ORG_ADMIN_EMAIL, "org_admin", org["id"], PASSWORD)
    create_user(database, BOOKINGS_EMAIL, "booking_system", org["id"], PASSWORD)
    official = create_user(database, OFFICIAL_EMAIL, "official", org["id"], PASSWORD)["id"]
    admin = Api(base).login(ORG_ADMIN_EMAIL)
    services = service_ids()
    admin.call("PUT", f"/sites/{site['id']}/catalogue", json={"service_ids": services})
    by_owner: dict[str, list[str]] = {}
    for service in kiosk_services():
        if service.get("remote_video") or service["id"] == VERO_VIDEO_SERVICE:
            by_owner.setdefault(service["organisation"]["id"], []).append(service["id"])
    provider_ptv = {ptv for _, ptv, _, _ in PROVIDERS}
    # Järvenpää's official serves its own video services and those of organisations that
    # have no organisation in central (the wellbeing county's, the DVV's): as before
    # agreements, the host serves what nobody else owns here.
    admin.call(
        "PUT",
        f"/officials/{official}",
        json={
            "services": [
                s for ptv, ids in by_owner.items() if ptv not in provider_ptv for s in ids
            ],
            "languages": ["fi", "sv", "en"],
        },
    )
    # Kela, TE-palvelut and Verohallinto serve from their own organisations: each has an
    # admin and an official, and an agreement with Järvenpää (Kela's proposed by Kela and
    # accepted by Järvenpää's admin, the others made by the national admin).
    officials: dict[str, str] = {}
    parties = [org["id"]]
    for name, ptv, domain, email in PROVIDERS:
        provider = national.call("POST", "/organisations", json={"name": name, "ptv_id": ptv})
        parties.append(provider["id"])
        provider_admin = f"admin@{domain}.demo.palvelupiste.fi"
        create_user(database, provider_admin, "org_admin", provider["id"], PASSWORD)
        officials[domain] = create_user(database, email, "official", provider["id"], PASSWORD)["id"]
        provider_api = Api(base).login(provider_admin)
        provider_api.call(
            "PUT",
            f"/officials/{officials[domain]}",
            json={"services": by_owner.get(ptv, []), "languages": ["fi", "sv", "en"]},
        )
        terms = {
            "host_org_id": org["id"],
            "provider_org_id": provider["id"],
            "languages": ["fi", "sv", "en"],
            "valid_from": datetime.now(UTC).date().replace(day=1).isoformat(),
            "vat_basis_points": 2550,
            **TERMS[domain],
        }
        if domain == "te":
            # Any official may invite TE-palvelut's experts: the national directory.
            national.call(
                "PUT",
                f"/expert-directory/{provider['id']}",
                json={"note": "Työllisyyspalvelut"},
            )
        if domain == "kela":
            proposed = provider_api.call("POST", "/agreements", json=terms)
            admin.call("POST", f"/agreements/{proposed['id']}/accept", json={"note": "Tervetuloa"})
        else:
            national.call("POST", "/agreements", json=terms)
    # An interpretation service with one interpreter of Arabic, Somali and Russian, which
    # interprets for Järvenpää and the three authorities under interpretation agreements.
    agency = national.call(
        "POST",
        "/organisations",
        json={"name": "Tulkkauspalvelu Oy", "interpretation_service": True},
    )
    create_user(database, f"admin@{AGENCY_DOMAIN}", "org_admin", agency["id"], PASSWORD)
    interpreter = create_user(database, INTERPRETER_EMAIL, "interpreter", agency["id"], PASSWORD)
    Api(base).login(f"admin@{AGENCY_DOMAIN}").call(
        "PUT",
        f"/officials/{interpreter['id']}",
        json={"services": [], "languages": ["ar", "so", "ru"]},
    )
    for client in parties:
        national.call(
            "POST",
            "/agreements",
            json={
                "kind": "interpretation",
                "host_org_id": client,
                "provider_org_id": agency["id"],
                "languages": ["ar", "so", "ru"],
                "valid_from": datetime.now(UTC).date().replace(day=1).isoformat(),
                "basis": "per_started_minute",
                "amount_cents": 100,
                "vat_basis_points": 2550,
            },
        )
    video_services = by_owner[PROVIDERS[0][1]]  # Kela's, for the booked video call
    # Video appointment times: Kela's official for Kela's first video service, and
    # Järvenpää's own official for its own first; every day 8–20, bookable at once, at
    # the service point and from home (so the demo has times whenever it is run).
    Api(base).login(KELA_OFFICIAL_EMAIL).call(
        "POST", "/appointment-calendars", json=calendar_body(video_services[0])
    )
    own_services = [s for ptv, ids in by_owner.items() if ptv not in provider_ptv for s in ids]
    if own_services:
        Api(base).login(OFFICIAL_EMAIL).call(
            "POST", "/appointment-calendars", json=calendar_body(own_services[0])
        )
    bookings = Api(base).login(BOOKINGS_EMAIL)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    made = []
    for n, name in enumerate(CITIZENS):
        begins = start + timedelta(minutes=30 * n)
        made.append(
            bookings.call(
                "POST",
                "/bookings",
                json=booking_request(
                    site["id"],
                    f"demo-{n}",
                    services[n * 3],
                    begins,
                    display_name=name,
                    mode="remote" if n % 2 else "in_person",
                )
                | ({"official_id": officials["kela"]} if n == 1 else {}),
            )
        )
    # A video booking due now, for the official's queue: check in with its code.
    made.append(
        bookings.call(
            "POST",
            "/bookings",
            json=booking_request(
                site["id"],
                "demo-video",
                video_services[0],
                datetime.now(UTC).replace(second=0, microsecond=0),
                display_name="Veera V.",
                mode="remote",
            )
            | {"official_id": officials["kela"]},
        )
    )
    admin.call(
        "PATCH",
        f"/sites/{site['id']}/config",
        json={
            "devices": SIM_DEVICES,
            "technician_pin": pin_config(TECHNICIAN_PIN, os.urandom(16).hex()),
            "heartbeat_interval_s": 10,
            "sync_interval_s": 30,
            # Branding, so the demo shows what a municipality's kiosk looks like.
            "accent_colour": "#7A1F5C",
            "logo_png": logo_png(),
            "opening_hours": {
                day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
            },
        },
    )
    # Payments: Järvenpää's merchant account at the local Suomi.fi Payments stand-in, the
    # site's page prices and a fee for one of the town's own services.
    town = [s for s in kiosk_services() if s["organisation"]["id"] == TOWN_PTV]
    fee = next((s for s in town if s["name"].get("en") == "Resident parking permit"), town[0])
    fee_service = fee["id"]
    admin.call(
        "PUT",
        f"/organisations/{org['id']}/payment-account",
        json={"merchant_id": TEST_MERCHANT[0], "secret": TEST_MERCHANT[1]},
    )
    admin.call(
        "PUT",
        f"/sites/{site['id']}/prices",
        json={
            "items": [
                {"kind": "print_page", "amount_cents": 50, "vat_basis_points": 2550},
                {"kind": "copy_page", "amount_cents": 40, "vat_basis_points": 2550},
                {
                    "kind": "service",
                    "service_id": fee_service,
                    "amount_cents": 1250,
                    "vat_basis_points": 0,
                },
            ]
        },
    )
    if terminal_spec:
        admin.call(
            "PATCH",
            f"/sites/{site['id']}/config",
            json={"devices": SIM_DEVICES | {"payment_terminal": terminal_spec}},
        )
    enrolment = admin.call("POST", f"/sites/{site['id']}/enrollment-tokens", json={})
    return {
        "imported": imported,
        "org": org,
        "site": site,
        "bookings": made,
        "enrolment": enrolment,
        "fee_service": fee["name"]["fi"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run demo", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--state",
        type=Path,
        default=ROOT / "var" / "demo",
        help="folder for the demo database (wiped at start)",
    )
    parser.add_argument("--no-kiosk", action="store_true", help="run central only")
    args = parser.parse_args(argv)
    args.state.mkdir(parents=True, exist_ok=True)
    db_file = args.state / "central.db"
    for leftover in args.state.glob("central.db*"):
        leftover.unlink()
    shutil.rmtree(args.state / "kiosk", ignore_errors=True)
    kiosk: list[subprocess.Popen[bytes]] = []
    database = f"sqlite:///{db_file}"
    media: MediaServers | None = None
    env = dict(os.environ)
    # Mail stays on this machine: each message is printed here and kept in state/mail/.
    mailbox = MailCatcher(args.state / "mail")
    mailbox.start()
    env.update(mailbox.central_env())
    # Payments stay here too: Suomi.fi Payments and a card terminal as local stand-ins.
    paytrail = PaytrailStandin().start()
    terminal = NexoStandin().start()
    env["CENTRAL_PAYTRAIL_URL"] = paytrail.base
    try:
        media = start_media_servers(args.state / "media")
        env.update(media.central_env())
    except MediaServerDidNotStart as exc:
        print(f"demo: video calls are off: {exc}", flush=True)
    # Strong identification by phone against a local Suomi.fi-shaped IdP with test persons
    # (central's real SAML route; no Suomi.fi registration needed for the demo).
    identity = contextlib.ExitStack()
    idp = identity.enter_context(running_idp(args.state))
    sp_key, sp_certificate = key_and_certificate(args.state, "sp")
    env.update(
        {
            "CENTRAL_SUOMIFI_IDP_METADATA": str(idp.write_metadata()),
            "CENTRAL_SUOMIFI_SP_KEY": str(sp_key),
            "CENTRAL_SUOMIFI_SP_CERTIFICATE": str(sp_certificate),
        }
    )
    try:
        server, base = launch(args.port, database, env=env, quiet=False)
    except CentralDidNotStart as exc:
        identity.close()
        mailbox.stop()
        if media is not None:
            media.stop()
        raise SystemExit(f"demo: {exc}; see the messages above") from exc
    try:
        idp.trust(requests.get(f"{base}/eid/saml/metadata", timeout=10).text)
        world = seed(database, base, terminal.spec)
        if not args.no_kiosk:
            kiosk = start_kiosk(args.state / "kiosk", base, world["enrolment"]["token"])
        video = (
            f"Janus {media.janus_url}, coturn {media.turn_host}:{media.turn_port}"
            if media
            else "off (janus and coturn are not installed)"
        )
        print(
            f"""
Palvelupiste demo is running.
  API and its docs:   {base}/api/v1/docs
  console:            {base}/console/  (as either admin below)
  national admin:     {ADMIN_EMAIL} / {PASSWORD}
  municipality admin: {ORG_ADMIN_EMAIL} / {PASSWORD}
  booking system:     {BOOKINGS_EMAIL} / {PASSWORD}
  Kela's desk:        {base}/desk/  {KELA_OFFICIAL_EMAIL} / {PASSWORD} (Kela's services)
  municipality desk:  {base}/desk/  {OFFICIAL_EMAIL} / {PASSWORD} (Järvenpää's own)
  TE-palvelut desk:   {base}/desk/  {EXPERT_EMAIL} / {PASSWORD} (also an expert)
  Verohallinto desk:  {base}/desk/  {VERO_OFFICIAL_EMAIL} / {PASSWORD}
  interpreter's desk: {base}/desk/  {INTERPRETER_EMAIL} / {PASSWORD} (ar, so, ru)
  provider admins:    admin@kela.demo.palvelupiste.fi (also te., vero.) / {PASSWORD}
  video calls:        {video}
  identification:     by phone: the kiosk's QR code opens in any browser here, and the
                      local test IdP ({idp.base}) logs in as a test person
                      (Suomi.fi-shaped SAML); the ID card needs a card reader
  site:               {world["site"]["name"]} ({world["site"]["id"]})
  catalogue:          {world["imported"]["imported"]} services imported
  bookings today:     {", ".join(f"{b['display_name']} {b['code']}" for b in world["bookings"])}
  enrolment token:    {world["enrolment"]["token"] if args.no_kiosk else "(used by the demo kiosk)"}
  kiosk:              {"not started (--no-kiosk)" if args.no_kiosk else "agent and UI running"}
  technician PIN:     {TECHNICIAN_PIN} (five taps in the screen's top-left corner)
  book from home:     {base}/book/  (Kela's and Järvenpää's officials publish video
                      appointment times; the visit from home opens from the mail's link)
  mail:               printed below as it is sent, and kept in {mailbox.folder}
  payments:           a fee of 12,50 € on the service page of "{world["fee_service"]}"; pay
                      by phone (the QR opens a local Suomi.fi Payments stand-in at
                      {paytrail.base}) or by card (a stand-in terminal that approves);
                      the console's Payments page lists, refunds and reconciles them
Press Ctrl-C to stop.""",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in [*reversed(kiosk), server]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if media is not None:
            media.stop()
        identity.close()
        mailbox.stop()
        terminal.stop()
        paytrail.stop()


def start_kiosk(state_dir: Path, base: str, token: str) -> list[subprocess.Popen[bytes]]:
    """Enrol like a technician, then run the agent and the UI as the kiosk's units would."""
    enrol(state_dir, base, token, hw_id="demo-kiosk-1")
    processes: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        xvfb, display = start_virtual_display()
        processes.append(xvfb)
        env["DISPLAY"] = display
        print(f"demo: no display here, so the kiosk UI runs on the virtual display {display}")
    python = sys.executable
    processes.append(
        subprocess.Popen(
            [
                python,
                "-m",
                "kiosk.agent.cli",
                "--state-dir",
                str(state_dir),
                "run",
                "--reboot-command",
                "true",
                "--restart-ui-command",
                "true",
            ],
            env=env,
        )
    )
    store = StateStore(state_dir / "state.db")
    deadline = time.monotonic() + 60
    while not store.db.execute("SELECT count(*) FROM services").fetchone()[0]:
        if time.monotonic() > deadline:
            raise SystemExit("demo: the kiosk agent did not sync the catalogue in 60 s")
        time.sleep(0.2)
    store.close()
    processes.append(
        subprocess.Popen(
            [python, "-m", "kiosk.ui.cli", "run", "--state-dir", str(state_dir), "--windowed"],
            env=env,
        )
    )
    return processes


if __name__ == "__main__":
    sys.exit(main())
