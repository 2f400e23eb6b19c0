"""One name for one device state: the console's words (translated in fi/sv) are the
kiosk technician screen's, both read from contract/device_states.py."""

from __future__ import annotations

import re

from central.console.render import environment
from contract.device_states import KIND_WORDS, STATE_WORDS, DeviceState


def test_the_console_names_each_state_and_kind_as_the_kiosk_does():
    macros = environment("en").get_template("_macros.html").module
    for state in DeviceState:
        shown = re.sub(r"<[^>]+>", "", str(macros.device_state(state.value))).strip()
        assert shown == STATE_WORDS[state], state
    for kind, word in KIND_WORDS.items():
        assert str(macros.device_kind(kind)).strip() == word


def test_every_state_has_a_finnish_and_swedish_name():
    for language in ("fi", "sv"):
        macros = environment(language).get_template("_macros.html").module
        for state in DeviceState:
            shown = re.sub(r"<[^>]+>", "", str(macros.device_state(state.value))).strip()
            translated = shown != STATE_WORDS[state] or state == DeviceState.ONLINE  # "ok"
            assert shown and translated, (language, state)
