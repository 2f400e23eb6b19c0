"""Hotplug with real uevents: umockdev's testbed feeds libudev (and so pyudev) fake
devices and add/remove events. Each scenario runs in a process started under
umockdev-wrapper, whose preload library must be in place before the process starts."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("umockdev-wrapper") is None, reason="umockdev is installed by ./run test"
    ),
]


@pytest.mark.parametrize(
    "scenario",
    [
        "printer_unplugged_and_back",
        "camera_pulled_is_offline_although_frames_keep_coming",
        "absent_at_start_is_offline_and_others_untouched",
        "a_failed_monitor_is_replaced",
        "devices_from_config_follow_their_nodes",
    ],
)
def test_hotplug(scenario):
    done = subprocess.run(
        ["umockdev-wrapper", sys.executable, "-m", "tests.support.hotplug_scenarios", scenario],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-4000:]
