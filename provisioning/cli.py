"""`kiosk-provision`: what a field technician runs on a new kiosk.

    kiosk-provision enrol --central URL (--token TOKEN | --token-qr PHOTO.png)
    kiosk-provision self-test [--devices JSON]
    kiosk-provision first-boot            (run by kiosk-firstboot.service)

Exit codes: 0 done, 1 a self-test failed, 2 refused (bad token or input),
75 central unreachable (try again later; systemd does).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import sys
from pathlib import Path

from hardware import devices as device_specs
from kiosk import catalogue, config, self_test
from kiosk.agent.agent import Agent
from kiosk.agent.cli import enrol
from kiosk.agent.client import (
    CentralClient,
    CentralRejected,
    CentralUnavailable,
    Credentials,
    InsecureCentral,
)
from kiosk.store import StateStore, default_path
from provisioning.first_boot import DEFAULT_FILES, EnrolmentFile, EnrolmentFileError
from provisioning.token_qr import NoTokenInImage, read_ticket_from_image

EX_FAILED, EX_REFUSED, EX_TEMPFAIL = 1, 2, 75


def say(text: str) -> None:
    print(text, flush=True)


def _enrol_and_sync(
    state_dir: Path, central: str, token: str, insecure: bool = False
) -> Credentials:
    """Enrol, then fetch config and catalogue at once, so the kiosk is usable right away."""
    credentials = enrol(state_dir, central, token, insecure=insecure)
    say(f"enrolled as kiosk {credentials.kiosk_id} at site {credentials.site_id}")
    store = StateStore(state_dir / "state.db")
    try:
        client = CentralClient(central, credentials.device_token, insecure=insecure)
        Agent(store, client).sync_all()
        services = catalogue.count(store)
        say(f"synced: configuration and {services} services")
    except CentralUnavailable as exc:
        say(f"enrolled, but the first sync failed ({exc}); the agent will retry")
    finally:
        store.close()
    return credentials


def cmd_enrol(args: argparse.Namespace) -> int:
    token, central = args.token, args.central
    if args.token_qr:
        try:
            ticket = read_ticket_from_image(args.token_qr)
        except NoTokenInImage as exc:
            say(f"kiosk-provision: {exc}")
            return EX_REFUSED
        token, central = ticket.token, central or ticket.central
    if not central:
        say("kiosk-provision: give --central (the QR code did not say which server)")
        return EX_REFUSED
    try:
        credentials = _enrol_and_sync(args.state_dir, central.rstrip("/"), token, args.insecure)
    except InsecureCentral as exc:
        say(f"kiosk-provision: {exc}")
        return EX_REFUSED
    except CentralRejected as exc:
        say(f"kiosk-provision: central refused the token: {exc.message}")
        return EX_REFUSED
    except CentralUnavailable as exc:
        say(f"kiosk-provision: cannot reach central at {central}: {exc}")
        return EX_TEMPFAIL
    if args.site and credentials.site_id != args.site:
        # The token decides the site. A kiosk must not serve the wrong site's citizens:
        # forget the credentials, so nothing runs until it is enrolled again.
        (args.state_dir / "credentials.json").unlink()
        say(
            f"kiosk-provision: the token was for site {credentials.site_id}, not {args.site}; "
            "this kiosk is not enrolled. Make a token for the right site and enrol again."
        )
        return EX_REFUSED
    return 0


def cmd_self_test(args: argparse.Namespace) -> int:
    store = StateStore(args.state_dir / "state.db")
    specs = json.loads(args.devices) if args.devices else config.load(store).get("devices", {})
    try:
        devices = device_specs.build(specs)
    except device_specs.InvalidDeviceSpec as exc:
        say(f"kiosk-provision: {exc}")
        return EX_REFUSED

    try:
        results = self_test.run_all(devices, lambda *step: say(self_test.progress_line(*step)))
    finally:
        devices.close()
    say("")
    say(self_test.describe(results, devices.missing))
    self_test.save(store, results)
    credentials_file = args.state_dir / "credentials.json"
    if credentials_file.exists():
        credentials = Credentials.load(credentials_file)
        try:
            client = CentralClient(
                credentials.central, credentials.device_token, insecure=credentials.insecure
            )
            Agent(store, client).heartbeat()
            say("report sent to central")
        except (CentralUnavailable, CentralRejected) as exc:
            say(f"report kept on the kiosk; central did not take it now ({exc})")
    else:
        say("not enrolled: the report stays on the kiosk until the agent sends it")
    passed = all(r.report.passed for r in results) and not devices.missing
    return 0 if passed else EX_FAILED


def _hand_over(state_dir: Path, owner: str | None) -> None:
    """Files made by root at first boot belong to the kiosk user afterwards."""
    if not owner or os.geteuid() != 0:
        return
    user = pwd.getpwnam(owner)
    for path in [state_dir, *_made_at_enrolment(state_dir)]:
        # The links themselves: releases/current points into the read-only root, and
        # following it failed on the booted image.
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


# Not the kiosk user's: the updater's releases (their own partition, already the kiosk
# user's, and hundreds of megabytes of files) and the SSH host key (root's alone:
# kiosk-ssh-keys may have made it before enrolment).
NOT_HANDED_OVER = ("releases", "ssh-host-keys")


def _made_at_enrolment(state_dir: Path) -> list[Path]:
    """Everything under the state directory except NOT_HANDED_OVER."""
    made = []
    for path in state_dir.iterdir():
        if path.name in NOT_HANDED_OVER:
            continue
        made.append(path)
        if path.is_dir() and not path.is_symlink():
            made.extend(path.rglob("*"))
    return made


def cmd_first_boot(args: argparse.Namespace) -> int:
    try:
        found = EnrolmentFile.read(args.file) if args.file else EnrolmentFile.find(DEFAULT_FILES)
    except EnrolmentFileError as exc:
        say(f"kiosk-provision: {exc}")
        return EX_REFUSED
    if found is None:
        say("no enrolment file: nothing to do")
        return 0
    if (args.state_dir / "credentials.json").exists():
        found.forget_token("already enrolled; token not used")
        say("already enrolled; the unused token was deleted")
        return 0
    try:
        credentials = _enrol_and_sync(
            args.state_dir, str(found.ticket.central), found.ticket.token, found.ticket.insecure
        )
    except InsecureCentral as exc:
        found.forget_token(f"refused: {exc}")
        say(f"kiosk-provision: {exc}")
        return EX_REFUSED
    except CentralUnavailable as exc:
        say(f"cannot reach central yet ({exc}); will try again")
        return EX_TEMPFAIL
    except CentralRejected as exc:
        found.forget_token(f"refused by central: {exc.message}")
        say(f"kiosk-provision: central refused the token: {exc.message}")
        return EX_REFUSED
    found.forget_token(f"enrolled as kiosk {credentials.kiosk_id}")
    _hand_over(args.state_dir, args.owner)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kiosk-provision",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state-dir", type=Path, default=default_path().parent)
    sub = parser.add_subparsers(dest="command", required=True)
    # "enroll" still works for scripts written before the spelling was settled.
    e = sub.add_parser("enrol", aliases=["enroll"], help="enrol this kiosk with a one-time token")
    e.add_argument("--central", help="central's address, e.g. https://kioskit.example.fi")
    e.add_argument("--site", help="the site id this kiosk must belong to (checked)")
    e.add_argument(
        "--insecure",
        action="store_true",
        help="accept a plain http:// central that is not on this machine (closed test networks)",
    )
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--token", help="the token, typed")
    source.add_argument("--token-qr", type=Path, help="a photo or scan of the token's QR code")
    t = sub.add_parser("self-test", help="test every device and report to central")
    t.add_argument("--devices", help="device specs as JSON (default: the kiosk's config)")
    f = sub.add_parser("first-boot", help="enrol from the boot partition's enrolment file")
    f.add_argument("--file", type=Path, help=f"default: {' or '.join(map(str, DEFAULT_FILES))}")
    f.add_argument("--owner", help="give the state directory to this user afterwards")
    args = parser.parse_args(argv)
    handlers = {
        "enrol": cmd_enrol,
        "enroll": cmd_enrol,
        "self-test": cmd_self_test,
        "first-boot": cmd_first_boot,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
