"""Debian's Firefox ESR, headless, driven over WebDriver BiDi: the officials' other browser.

Playwright drives Chromium for the tests, but its Firefox needs Playwright's own build
(no downloads here), and its BiDi mode asks Firefox ESR for commands ESR does not have
yet (`emulation.setMediaFeaturesOverride`). Firefox speaks BiDi itself, so this is the
small part of it the desk's tests need: open a page, run a script in it (before the
page's own scripts, too), read the answer. Answers travel as JSON strings.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
INSTALL_HINT = "apt-get install firefox-esr (./run test installs it)"
# Headless, no first-run pages or updates, camera and microphone without asking.
PREFS: dict[str, Any] = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "app.update.enabled": False,
    "media.navigator.permission.disabled": True,
    "media.navigator.streams.fake": True,
    "media.autoplay.default": 0,
    "remote.prefs.recommended": True,
}


class FirefoxError(RuntimeError):
    """Firefox did not start, or a script in the page threw (its message included)."""


class Firefox:
    """One headless Firefox with one tab. `prefs` are added to PREFS (user.js)."""

    def __init__(self, prefs: dict[str, Any] | None = None, timeout_s: float = 30) -> None:
        if not Path(FIREFOX).exists():
            raise FirefoxError(f"firefox-esr is missing: {INSTALL_HINT}")
        self._profile = Path(tempfile.mkdtemp(prefix="palvelupiste-firefox-"))
        lines = [
            f'user_pref("{k}", {json.dumps(v)});' for k, v in {**PREFS, **(prefs or {})}.items()
        ]
        (self._profile / "user.js").write_text("\n".join(lines) + "\n")
        self._proc = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--remote-debugging-port=0",
             "--profile", str(self._profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._log: list[str] = []
        found = threading.Event()
        url: list[str] = []

        def read_log() -> None:
            assert self._proc.stderr is not None
            for line in self._proc.stderr:
                self._log.append(line)
                del self._log[:-200]
                match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if match:
                    url.append(match.group(1))
                    found.set()

        threading.Thread(target=read_log, daemon=True).start()
        if not found.wait(timeout_s):
            self.close()
            raise FirefoxError("Firefox did not start: " + "".join(self._log[-20:]))
        self._closing = contextlib.ExitStack()
        self._ws: ClientConnection = self._closing.enter_context(
            connect(url[0] + "/session", open_timeout=timeout_s)
        )
        self._next_id = 0
        self.timeout_s = timeout_s
        self._send("session.new", {"capabilities": {}})
        tree = self._send("browsingContext.getTree", {})
        self.context = tree["contexts"][0]["context"]

    @property
    def version(self) -> str:
        return subprocess.run(
            [FIREFOX, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()

    def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        wanted = self._next_id
        self._ws.send(json.dumps({"id": wanted, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") != wanted:
                continue  # an event
            if message.get("type") == "error":
                raise FirefoxError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    def before_each_page(self, function: str) -> None:
        """Run `function` (a JS function's text) in every page before the page's scripts."""
        self._send("script.addPreloadScript", {"functionDeclaration": function})

    def goto(self, url: str) -> None:
        self._send(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def evaluate(self, function: str, *args: Any) -> Any:
        """Call a JS function (may be async) with JSON-able arguments; returns its result
        as JSON. The function's result goes through JSON.stringify in the page."""
        wrapper = f"async (...a) => JSON.stringify(await ({function})(...a.map(JSON.parse)))"
        answer = self._send(
            "script.callFunction",
            {
                "functionDeclaration": wrapper,
                "target": {"context": self.context},
                "arguments": [{"type": "string", "value": json.dumps(a)} for a in args],
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        if answer.get("type") == "exception":
            details = answer.get("exceptionDetails", {})
            raise FirefoxError(f"script failed: {details.get('text')}")
        value = answer["result"].get("value")
        return json.loads(value) if isinstance(value, str) else None

    def wait_for(self, function: str, seconds: float = 15, *args: Any) -> Any:
        """Poll `function` in the page until it returns something truthy."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = self.evaluate(function, *args)
            if result:
                return result
            time.sleep(0.2)
        raise FirefoxError(f"not within {seconds:.0f} s: {function[:120]}")

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                try:
                    self._send("browser.close", {})
                except Exception:  # noqa: BLE001, S110 - closing a browser that is going
                    pass
                self._closing.close()
        finally:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=5)
            shutil.rmtree(self._profile, ignore_errors=True)
