"""A kiosk's UI in a call, for tests that run it in their own process: the kiosk's
credentials and camera, the official's API, and the end of the call with what must be
gone afterwards."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from devtools.central_world import Org


def official_api(central: str, token: str) -> Callable[..., Any]:
    """`desk(method, path, **kw)`: the official's API, asserting success."""
    http = requests.Session()
    http.trust_env = False
    headers = {"Authorization": f"Bearer {token}"}

    def desk(method: str, path: str, **kw: Any) -> Any:
        answer = http.request(method, f"{central}/api/v1{path}", headers=headers, timeout=30, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()

    return desk


class Captured(logging.Handler):
    """Everything the kiosk's process logs, as the journal would get it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def kiosk_ui(central: str, org: Org, tmp_path: Path, **devices: str) -> Any:
    """The Kivy UI (devtools/ui_driver.py) as the org's kiosk, with a camera playing the
    test video, a simulated printer and `devices` besides, and no sound devices; what it
    logs, at every level, in `ui.log`."""
    from devtools.ui_driver import UiDriver
    from kiosk.agent.client import Credentials
    from tests.support.media_files import kiosk_video

    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    Credentials(
        central=central,
        kiosk_id=org.kiosk_id,
        device_token=org.device_token,
        site_id=org.site_id,
        insecure=True,
    ).save(state / "credentials.json")
    video = kiosk_video(tmp_path / "kiosk.avi")
    log = Captured()
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.DEBUG)
    ui = UiDriver(
        tmp_path,
        devices={"camera": f"video:{video}", "printer": "sim", **devices},
        config={"call_microphone": "none", "call_speaker": "none", "idle_timeout_s": 60},
    )
    ui.log = log
    return ui


def end_and_forget(ui: Any, call: Any, method: str, *never: str) -> None:
    """The citizen ends the identified call: its usage event says strong by `method`,
    and none of `never` (the person's identifiers and names) is in the outbox, in
    anything the kiosk logged, or left on screen once the session ends."""
    ui.tap("End call")
    assert ui.wait_until(lambda: call.phase == "ended", 20), call.phase
    [(_, _, ended)] = ui.outbox("call_ended")
    assert (ended["identification"], ended["identification_method"]) == ("strong", method)
    outbox = str(ui.outbox())
    assert not any(word in outbox for word in never)
    ui.app.end_session("finished")
    logged = "\n".join(ui.log.lines)
    assert ui.log.lines and not any(word in logged for word in never)
    texts = ui.texts()
    assert not any(word in texts for word in never) and call.note == ""
    ui.stop()
