"""The UI tests' display: one Xvfb per test worker, so Kivy opens a real window."""

from __future__ import annotations

import os

import pytest

from devtools.virtual_display import start_virtual_display


@pytest.fixture(scope="session", autouse=True)
def display():
    xvfb, number = start_virtual_display()
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = number
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    yield os.environ["DISPLAY"]
    xvfb.terminate()
    xvfb.wait(10)
    if previous is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = previous
