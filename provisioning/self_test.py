"""Every device's self-test, with progress, a readable report, and the results for central.

Results go into state.db's device_status (detail.self_test), which the agent's
heartbeat carries to central: the fleet console sees what the technician saw.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hardware.base import Device, SelfTestReport
from hardware.devices import Devices
from kiosk.store import StateStore


@dataclass
class DeviceResult:
    report: SelfTestReport
    seconds: float
    state: str


def run_all(
    devices: Devices, progress: Callable[[int, int, Device, DeviceResult | None], None]
) -> list[DeviceResult]:
    """Test each device in turn; `progress` hears before (result None) and after each one."""
    results = []
    members = list(devices.all.values())
    for n, device in enumerate(members, start=1):
        progress(n, len(members), device, None)
        started = time.monotonic()
        try:
            report = device.self_test()
        except Exception as exc:  # noqa: BLE001 - a crashing self-test is a failed one
            report = SelfTestReport(device.kind, device.name, passed=False)
            report.check("self-test ran", False, f"{type(exc).__name__}: {exc}")
        result = DeviceResult(report, time.monotonic() - started, device.state.value)
        results.append(result)
        progress(n, len(members), device, result)
    return results


def describe(results: list[DeviceResult], missing: list[str]) -> str:
    """The report a technician reads (and can photograph for the installation record)."""
    lines = []
    for result in results:
        report = result.report
        verdict = "PASS" if report.passed else "FAIL"
        lines.append(f"{verdict}  {report.kind}/{report.name}  ({result.seconds:.1f} s)")
        for check in report.checks:
            mark = "ok  " if check["passed"] else "FAIL"
            detail = f" — {check['detail']}" if check["detail"] else ""
            lines.append(f"        {mark} {check['name']}{detail}")
    for kind in missing:
        lines.append(f"FAIL  {kind}  (configured, but there is no driver for it)")
    passed = sum(r.report.passed for r in results)
    total = len(results) + len(missing)
    lines.append(f"{passed} of {total} devices passed")
    return "\n".join(lines)


def save(store: StateStore, results: list[DeviceResult]) -> None:
    """Into device_status, where the next heartbeat picks it up."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    with store.transaction() as db:
        for result in results:
            report = result.report
            row = db.execute(
                "SELECT detail FROM device_status WHERE kind = ? AND name = ?",
                [report.kind, report.name],
            ).fetchone()
            detail: dict[str, Any] = json.loads(row[0]) if row else {}
            detail["self_test"] = {"passed": report.passed, "checks": report.checks, "at": now}
            db.execute(
                "INSERT OR REPLACE INTO device_status (kind, name, state, detail, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [report.kind, report.name, result.state, json.dumps(detail), now],
            )
