"""The supply chain: the committed lock files cover what pyproject.toml asks for, the
environment runs exactly what they pin, and aiortc, whose internals the kiosk patches,
is the release the patches were written against (issue 29, item 7)."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path

from central.updates.bundle import pins_of

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"

# What kiosk/call/jitter.py and kiosk/call/encoder.py replace, subclass or lean on, and
# the sha256 (first 16 hex digits) of each one's source in the aiortc they were written
# against. A new aiortc changes one of these: read its change, adapt the patch, then
# write the new fingerprint here.
PATCHED_AIORTC = "1.16.0"
PATCHED_INTERNALS = {
    "aiortc.jitterbuffer.JitterBuffer": "17030fbb0982258d",
    "aiortc.jitterbuffer.JitterFrame": "387bd33b13a7f10a",
    "aiortc.rtcrtpsender.RTCRtpSender._retransmit": "ae0b2491944b52dc",
    "aiortc.codecs.get_encoder": "adcbc1a6dc73e3bf",
    "aiortc.codecs.vpx.Vp8Encoder": "6cf4262a7b1d212a",
    "aiortc.codecs.vpx.number_of_threads": "5fa849e7843dac31",
    "aiortc.codecs.vpx.VpxPayloadDescriptor": "2cc184cd310bd30c",
    "aiortc.utils.uint16_add": "0aedcd293bb4d368",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(lock: str) -> dict[str, str]:
    return dict(
        (canonical(n), v) for n, v in (p.split("==") for p in pins_of(LOCKS / f"{lock}.lock"))
    )


def asked(*groups: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for group in groups:
        wanted += project["optional-dependencies"][group]
    names = {canonical(re.split(r"[ ;<>=!~\[(]", w, maxsplit=1)[0]) for w in wanted}
    return names - {"palvelupiste"}


def test_every_lock_pins_what_pyproject_asks_for_with_hashes():
    for lock, groups in (("kiosk", ()), ("central", ("central",)), ("test", ("central", "test"))):
        missing = asked(*groups) - set(pinned(lock))
        assert not missing, f"requirements/{lock}.lock lacks {sorted(missing)}"
        text = (LOCKS / f"{lock}.lock").read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
        unhashed = [b.split()[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
        assert not unhashed, f"{lock}.lock pins without a hash: {unhashed}"
    # The kiosk's set is the central set's and the test set's too, at the same versions.
    kiosk = pinned("kiosk")
    for bigger in ("central", "test"):
        other = pinned(bigger)
        assert {n: other.get(n) for n in kiosk} == kiosk, f"{bigger}.lock moves a kiosk pin"


def test_the_environment_runs_exactly_the_test_lock():
    """./run installs from requirements/test.lock: what the tests ran with is the lock."""
    drift = {}
    for name, version in pinned("test").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift[name] = (version, None)
            continue
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"installed packages differ from requirements/test.lock: {drift}"


def test_aiortc_is_the_release_the_kiosks_patches_were_written_for():
    assert pinned("kiosk")["aiortc"] == PATCHED_AIORTC
    assert metadata.version("aiortc") == PATCHED_AIORTC
    from kiosk.call import jitter

    # The sender's own _retransmit, as jitter.py kept it before replacing it (another
    # test may have imported kiosk.call.room, which installs the patches, already).
    originals = {"aiortc.rtcrtpsender.RTCRtpSender._retransmit": jitter._aiortc_retransmit}
    changed = {}
    for dotted, expected in PATCHED_INTERNALS.items():
        module_name, _, attribute = dotted.rpartition(".")
        if dotted in originals:
            found = originals[dotted]
        else:
            try:
                found = getattr(importlib.import_module(module_name), attribute)
            except ModuleNotFoundError:
                owner, _, attribute_of = module_name.rpartition(".")
                found = getattr(getattr(importlib.import_module(owner), attribute_of), attribute)
        digest = hashlib.sha256(inspect.getsource(found).encode()).hexdigest()[:16]
        if digest != expected:
            changed[dotted] = digest
    assert not changed, f"aiortc internals the kiosk patches changed: {changed}"
    # The names the patches replace are where the patches put them.
    import aiortc.rtcrtpreceiver
    import aiortc.rtcrtpsender

    import kiosk.call.room  # noqa: F401 - installs the patches, as the kiosk does
    from kiosk.call import encoder

    assert aiortc.rtcrtpreceiver.JitterBuffer is jitter.KeyframeJitterBuffer
    assert aiortc.rtcrtpsender.get_encoder is encoder.kiosk_encoder
