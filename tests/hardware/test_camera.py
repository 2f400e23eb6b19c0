"""The camera from video files made here (OpenCV's VideoCapture reads files like a V4L2
device), with QR codes drawn by zxing-cpp; no camera exists on a CI box."""

from __future__ import annotations

import pytest

from devtools.waiting import wait_for
from hardware.base import DeviceOffline, DeviceState
from hardware.camera.capture import Camera
from tests.support.video import noisy, with_qr, write_video

pytestmark = pytest.mark.slow


def test_qr_code_shown_to_the_camera_is_decoded_once(tmp_path):
    frames = [noisy(n) for n in range(5)] + [with_qr("ABCD-2345", n) for n in range(20)]
    video = write_video(tmp_path / "qr.avi", frames)
    camera = Camera("front", str(video), decode_every_s=0.02, frame_interval_s=0.05)
    seen = []
    camera.when_qr_decoded = seen.append
    camera.start()
    assert wait_for(lambda: seen)
    camera.stop()
    assert seen == ["ABCD-2345"]
    assert camera.latest_frame is None


def test_frozen_or_ended_stream_is_reported_offline(tmp_path):
    frozen = write_video(tmp_path / "frozen.avi", [noisy(1)] * 40)
    camera = Camera("front", str(frozen), stale_after_s=0.5, frame_interval_s=0.02)
    changes = []
    camera.when_status_changed = lambda d: changes.append(d.state)
    camera.start()
    assert wait_for(lambda: camera.state == DeviceState.OFFLINE)
    assert camera.status["reason"] == "no new frames from the camera"
    camera.stop()
    assert changes[-1] == DeviceState.OFFLINE


def test_missing_camera_is_offline(tmp_path):
    camera = Camera("front", str(tmp_path / "no-such-device"))
    with pytest.raises(DeviceOffline):
        camera.start()
    assert camera.state == DeviceState.OFFLINE
    assert not camera.self_test().passed


def test_probe_tells_present_from_missing_without_streaming(tmp_path):
    video = write_video(tmp_path / "v.avi", [noisy(n) for n in range(3)])
    camera = Camera("front", str(video))
    assert camera.probe() == DeviceState.ONLINE and camera.latest_frame is None
    assert Camera("gone", str(tmp_path / "none.avi")).probe() == DeviceState.OFFLINE
