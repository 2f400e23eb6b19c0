"""The health gate: is the release just switched to really doing its job?

Three signs, all from state.db, all written by the new release's own processes:
the UI has drawn and keeps reporting (`ui.alive` from this version, fresh), central has
accepted a heartbeat from this version (`heartbeat.accepted`), and no more devices are
in a fault state than before the switch. A UI that crashes and is restarted shows up as
a new `since`, which breaks the stable period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from contract.device_states import FAULTS
from kiosk import device_status
from kiosk.store import StateStore
from kiosk.ui.liveness import KEY as UI_ALIVE
from kiosk.update.handover import ACCEPTED

# ui.alive is written every 5 s: older than this and the UI is not running.
UI_FRESH_S = 15.0


@dataclass(frozen=True)
class GateReading:
    healthy: bool
    # What is missing, in words for central ("" when healthy).
    missing: str
    ui_since: str | None = None


def faults(store: StateStore) -> int:
    return sum(1 for d in device_status.all_devices(store) if d["state"] in FAULTS)


def read(
    store: StateStore,
    version: str,
    since: float,
    faults_before: int,
    require_ui: bool = True,
    now: float | None = None,
) -> GateReading:
    now = now or time.time()
    ui_since = None
    if require_ui:
        ui = store.get_state(UI_ALIVE) or {}
        if ui.get("version") != version or float(ui.get("at") or 0) < since:
            return GateReading(False, f"the UI of {version} has not drawn its first frame")
        if now - float(ui["at"]) > UI_FRESH_S or ui.get("state") == "down":
            return GateReading(False, f"the UI of {version} stopped reporting")
        ui_since = ui.get("since")
    beat = store.get_state(ACCEPTED) or {}
    if beat.get("version") != version or float(beat.get("at") or 0) < since:
        return GateReading(False, f"central has not accepted a heartbeat from {version}", ui_since)
    now_faults = faults(store)
    if now_faults > faults_before:
        return GateReading(
            False, f"{now_faults} devices in a fault state, {faults_before} before", ui_since
        )
    return GateReading(True, "", ui_since)
