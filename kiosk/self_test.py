"""Every device's self-test, with progress, a readable report, and the results for central.

Results go into state.db's device_status (detail.self_test), which the agent's
heartbeat carries to central: the fleet console sees what the technician saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hardware.base import Device, SelfTestReport
from hardware.devices import Devices
from kiosk import device_status
from kiosk.store import StateStore


@dataclass
class DeviceResult:
    report: SelfTestReport
    seconds: float
    state: str


def progress_line(n: int, total: int, device: Device, result: DeviceResult | None) -> str:
    """One line of progress, the same on the technician's terminal and screen."""
    if result is None:
        return f"[{n}/{total}] testing {device.kind}/{device.name} …"
    verdict = "PASS" if result.report.passed else "FAIL"
    return f"[{n}/{total}] {device.kind}/{device.name}: {verdict} in {result.seconds:.1f} s"


def run_all(
    devices: Devices,
    progress: Callable[[int, int, Device, DeviceResult | None], None] | None = None,
) -> list[DeviceResult]:
    """Test each device in turn; `progress` hears before (result None) and after each one."""
    results = []
    members = list(devices.all.values())
    for n, device in enumerate(members, start=1):
        if progress is not None:
            progress(n, len(members), device, None)
        started = time.monotonic()
        try:
            report = device.self_test()
        except Exception as exc:  # noqa: BLE001 - a crashing self-test is a failed one
            report = SelfTestReport(device.kind, device.name, passed=False)
            report.check("self-test ran", False, f"{type(exc).__name__}: {exc}")
        result = DeviceResult(report, time.monotonic() - started, device.state.value)
        results.append(result)
        if progress is not None:
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
    if total == 0:
        lines.append("no devices are configured: nothing to test (set `devices` at central)")
    lines.append(f"{passed} of {total} devices passed")
    return "\n".join(lines)


def save(store: StateStore, results: list[DeviceResult]) -> None:
    """Into device_status (merged with what the drivers reported), where the next
    heartbeat picks it up."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    for result in results:
        report = result.report
        device_status.save(
            store,
            report.kind,
            report.name,
            result.state,
            {"self_test": {"passed": report.passed, "checks": report.checks, "at": now}},
        )
