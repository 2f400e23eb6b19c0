"""`kiosk-update`: the update duty, run by kiosk-update.service (a timer, and the agent's
nudge when central names a new release) from the committed release.

    kiosk-update [--state-dir D] run [--loop SECONDS]   one pass (or one every SECONDS)
    kiosk-update [--state-dir D] boot [--factory DIR]   revert a never-committed release
    kiosk-update [--state-dir D] status                 the journal, as JSON
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from kiosk import watchdog
from kiosk.store import default_path
from kiosk.update.updater import Updater, UpdaterSettings

DEFAULT_ROOT = Path("/etc/palvelupiste/release-root.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-update", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=default_path().parent)
    parser.add_argument("--central", help="default: the enrolled central (credentials.json)")
    parser.add_argument(
        "--trusted-root",
        type=Path,
        default=DEFAULT_ROOT,
        help="the release repository's root.json the image was built with",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="take the next steps of an update")
    run.add_argument("--loop", type=float, help="repeat every SECONDS until stopped")
    run.add_argument(
        "--units-command",
        default="systemctl {verb} kiosk-ui.service kiosk-agent.service",
        help="how to stop and start the kiosk's units ({verb}: stop, start)",
    )
    run.add_argument("--gate-timeout", type=float, help="seconds; default: site config (150)")
    run.add_argument("--gate-stable", type=float, help="seconds; default: site config (60)")
    run.add_argument(
        "--download-silence",
        type=float,
        default=30.0,
        help="seconds without a byte before a download is abandoned and resumed later",
    )
    run.add_argument(
        "--no-ui-gate",
        action="store_true",
        help="kiosks without a touchscreen UI: the gate checks the agent and devices only",
    )
    boot = sub.add_parser("boot", help="revert a release that was never committed")
    boot.add_argument(
        "--factory", type=Path, help="the image's own release (first boot: made current)"
    )
    sub.add_parser("status", help="print the journal")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    central = args.central
    credentials = args.state_dir / "credentials.json"
    # The boot check and the status need no central, nor the HTTP client's imports: the
    # boot check runs before the UI starts, on every boot.
    if central is None and args.command == "run" and credentials.exists():
        from kiosk.agent.client import Credentials

        try:
            central = Credentials.load(credentials).central
        except (OSError, ValueError, TypeError) as exc:
            # Not yet the kiosk user's (first-boot enrolment hands it over when done), or
            # damaged: a run waits for the next one.
            logging.getLogger("kiosk.update").warning("credentials not readable: %s", exc)
            print(f"kiosk-update: cannot read {credentials}: {exc}")
            return 75
    settings = UpdaterSettings(trusted_root=args.trusted_root)
    if args.command == "run":
        settings.units_command = shlex.split(args.units_command)
        settings.gate_timeout_s = args.gate_timeout
        settings.gate_stable_s = args.gate_stable
        settings.require_ui = not args.no_ui_gate
        settings.download_silence_s = args.download_silence
    updater = Updater(args.state_dir, central, settings)
    if args.command == "status":
        print(json.dumps(asdict(updater.journal()), indent=1, sort_keys=True))
        return 0
    if args.command == "boot":
        print(updater.boot(args.factory))
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watchdog.notify("READY=1")
    while True:
        print(updater.run_once(), flush=True)
        if args.loop is None or stop.wait(args.loop):
            return 0


if __name__ == "__main__":
    sys.exit(main())
