"""The UI tests' display: one Xvfb per test worker, so Kivy opens a real window."""

from __future__ import annotations

import pytest

from devtools.virtual_display import kivy_display


@pytest.fixture(scope="session", autouse=True)
def display():
    with kivy_display() as number:
        yield number
