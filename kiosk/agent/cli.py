"""`kiosk-agent`: enrol this kiosk, or run the agent daemon."""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import socket
import sys
import threading
from dataclasses import replace
from pathlib import Path

from kiosk.agent.agent import SOFTWARE_VERSION, Agent, AgentSettings
from kiosk.agent.client import (
    CentralClient,
    CentralRejected,
    CentralUnavailable,
    Credentials,
    InsecureCentral,
)
from kiosk.store import StateStore, StateTooNew, default_path


def hardware_id() -> str:
    """A stable identity: the machine id kept on persistent storage by systemd."""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(candidate).read_text().strip()
        except OSError:
            continue
        if value:
            return value
    return socket.gethostname()


def enrol(
    state_dir: Path, central: str, token: str, hw_id: str | None = None, insecure: bool = False
) -> Credentials:
    client = CentralClient(central, insecure=insecure)
    answer = client.json(
        "POST",
        "/enroll",
        json={
            "token": token.strip(),
            "hardware_id": hw_id or hardware_id(),
            "hostname": socket.gethostname(),
            "software_version": SOFTWARE_VERSION,
        },
    )
    credentials = Credentials(
        central=central,
        kiosk_id=answer["kiosk_id"],
        device_token=answer["device_token"],
        site_id=answer["site"]["id"],
        insecure=insecure,
    )
    credentials.save(state_dir / "credentials.json")
    return credentials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-agent", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=default_path().parent)
    parser.add_argument("--version", action="version", version=SOFTWARE_VERSION)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "migrate-state", help="bring state.db to this release's schema (the updater runs it)"
    )
    # "enroll" still works for scripts written before the spelling was settled.
    e = sub.add_parser(
        "enrol", aliases=["enroll"], help="trade a one-time enrolment token for this kiosk's token"
    )
    e.add_argument(
        "--central", required=True, help="central's address, e.g. https://central.example.fi"
    )
    e.add_argument("--token", required=True)
    e.add_argument("--hardware-id", help="default: /etc/machine-id")
    e.add_argument(
        "--insecure",
        action="store_true",
        help="accept a plain http:// central that is not on this machine (closed test networks)",
    )
    r = sub.add_parser("run", help="run the agent until stopped")
    r.add_argument(
        "--heartbeat-interval", type=float, help="seconds; default: central's config (30)"
    )
    r.add_argument("--sync-interval", type=float, help="seconds; default: central's config (300)")
    r.add_argument("--reboot-command", default="systemctl reboot")
    r.add_argument("--restart-ui-command", default="systemctl restart kiosk-ui.service")
    r.add_argument(
        "--update-command",
        default="systemctl start --no-block kiosk-update.service",
        help="starts the updater when central names a new release (empty: its timer only)",
    )
    r.add_argument(
        "--zone-dir",
        type=Path,
        default=None,
        help="keep the box's time-zone link here, following the site's zone "
        "(the image's /etc/localtime points into it)",
    )
    r.add_argument(
        "--space-reserve-mb",
        type=int,
        default=0,
        help="keep this much aside on the state partition, given back when it fills",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    if args.command in ("enrol", "enroll"):
        try:
            creds = enrol(args.state_dir, args.central, args.token, args.hardware_id, args.insecure)
        except InsecureCentral as exc:
            print(f"kiosk-agent: {exc}", file=sys.stderr)
            return 2
        except CentralRejected as exc:
            print(f"kiosk-agent: central refused the enrolment: {exc}", file=sys.stderr)
            return 2
        except CentralUnavailable as exc:
            print(f"kiosk-agent: cannot reach central: {exc}", file=sys.stderr)
            return 3
        print(f"enrolled as kiosk {creds.kiosk_id}")
        return 0

    if args.command == "migrate-state":
        try:
            store = StateStore(args.state_dir / "state.db")
        except StateTooNew as exc:
            print(f"kiosk-agent: {exc}", file=sys.stderr)
            return 3
        print(f"state.db at schema {store.schema_version}")
        return 0

    credentials_file = args.state_dir / "credentials.json"
    if not credentials_file.exists():
        print("kiosk-agent: not enrolled yet; run `kiosk-agent enrol` first", file=sys.stderr)
        return 2
    creds = Credentials.load(credentials_file)
    store = StateStore(args.state_dir / "state.db")
    settings = AgentSettings(
        heartbeat_interval_s=args.heartbeat_interval,
        sync_interval_s=args.sync_interval,
        reboot_command=args.reboot_command.split(),
        restart_ui_command=args.restart_ui_command.split(),
        update_command=shlex.split(args.update_command),
        space_reserve_mb=args.space_reserve_mb,
        zone_dir=args.zone_dir,
    )
    client = CentralClient(creds.central, creds.device_token, insecure=creds.insecure)

    def keep_new_token(token: str) -> None:
        creds_now = Credentials.load(credentials_file)
        replace(creds_now, device_token=token).save(credentials_file)

    agent = Agent(store, client, settings, on_new_token=keep_new_token)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    agent.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
