"""Signed releases end to end on real files and real HTTP: central's TUF repository
(central/updates/repository.py) served on loopback, the kiosk's verifier
(kiosk/update/fetch.py, python-tuf's ngclient). A good release is fetched; a tampered
bundle, expired metadata, rolled-back metadata, a frozen repository and a wrong key are
all refused with a reason; a refreshed timestamp lets a refused kiosk through."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Timestamp

from central.updates import keys
from central.updates.repository import ReleaseRepository
from devtools.waiting import wait_for
from kiosk.update.fetch import UpdateRefused, fetch_bundle
from tests.support.http_server import serving_folder

# The full tier: signed repositories built with real keys take seconds
# (the fast tier keeps under 40 s).
pytestmark = pytest.mark.slow


@dataclass
class Signers:
    root: list[CryptoSigner]
    targets: CryptoSigner
    snapshot: CryptoSigner
    timestamp: CryptoSigner


@dataclass
class Served:
    repo: ReleaseRepository
    signers: Signers
    url: str
    bundle: Path


@pytest.fixture
def signers(tmp_path: Path) -> Signers:
    folder = tmp_path / "keys"
    return Signers(
        root=[keys.generate(folder / f"root-{n}.pem") for n in range(3)],
        targets=keys.generate(folder / "targets.pem"),
        snapshot=keys.generate(folder / "snapshot.pem"),
        timestamp=keys.generate(folder / "timestamp.pem"),
    )


def make_repo(folder: Path, s: Signers, now: datetime | None = None) -> ReleaseRepository:
    repo = ReleaseRepository(folder)
    repo.create(s.root, 2, s.targets, s.snapshot, s.timestamp, now=now)
    return repo


@pytest.fixture
def served(tmp_path: Path, signers: Signers) -> Iterator[Served]:
    repo = make_repo(tmp_path / "repo", signers)
    bundle = tmp_path / "palvelupiste-1.0.0.tar"
    bundle.write_bytes(os.urandom(256 * 1024))
    repo.add_release(bundle, signers.targets, signers.snapshot, signers.timestamp)
    with serving_folder(repo.folder) as url:
        yield Served(repo, signers, url, bundle)


def kiosk_fetch(served: Served, kiosk: Path, name: str = "palvelupiste-1.0.0.tar"):
    trusted = kiosk / "metadata" / "root.json"
    root = None if trusted.exists() else (served.repo.metadata / "1.root.json").read_bytes()
    return fetch_bundle(kiosk / "metadata", served.url, name, kiosk / "downloads", root)


def refusal(call) -> str:
    with pytest.raises(UpdateRefused) as refused:
        call()
    return refused.value.reason


def test_a_signed_release_is_fetched_and_matches(served, tmp_path):
    got = kiosk_fetch(served, tmp_path / "kiosk")
    assert got.path.read_bytes() == served.bundle.read_bytes()
    assert got.sha256 == hashlib.sha256(served.bundle.read_bytes()).hexdigest()
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk", "nosuch.tar")) == (
        "unknown_release"
    )


def test_keys_are_private_files_and_load_back(signers, tmp_path):
    path = tmp_path / "keys" / "targets.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.load(path).public_key.keyid == signers.targets.public_key.keyid
    with pytest.raises(FileExistsError):
        keys.generate(path)  # a key is never overwritten


def test_a_tampered_bundle_is_refused(served, tmp_path):
    target = served.repo.targets_dir / served.bundle.name
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "bundle_tampered"
    assert not (tmp_path / "kiosk" / "downloads" / served.bundle.name).exists()


def test_metadata_signed_by_another_key_is_refused(served, tmp_path):
    intruder = CryptoSigner.generate_ed25519()
    served.repo.add_release(
        served.bundle, intruder, served.signers.snapshot, served.signers.timestamp
    )
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "bad_signature"


def test_expired_metadata_and_a_frozen_repository_are_refused_until_refreshed(served, tmp_path):
    # Frozen: the timestamp was last signed two days ago and has expired since.
    served.repo.refresh_timestamp(
        served.signers.timestamp, now=datetime.now(UTC) - timedelta(days=2)
    )
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "metadata_expired"
    # Central refreshes the timestamp (as it does on its own well before expiry): through.
    served.repo.refresh_timestamp(served.signers.timestamp)
    assert kiosk_fetch(served, tmp_path / "kiosk").path.exists()


def test_rolled_back_metadata_is_refused(served, tmp_path):
    old = tmp_path / "old-timestamp.json"
    shutil.copyfile(served.repo.metadata / "timestamp.json", old)
    served.repo.refresh_timestamp(served.signers.timestamp)
    kiosk_fetch(served, tmp_path / "kiosk")  # the kiosk has now seen the newer version
    # A mirror (or an attacker) serves the older, still valid, timestamp.
    shutil.copyfile(old, served.repo.metadata / "timestamp.json")
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "metadata_rollback"


@pytest.mark.parametrize(
    ("clock", "reason"),
    [("1970-01-01 00:00:00", "clock_wrong"), ("+1825d", "metadata_expired")],
)
def test_a_wrong_clock_is_refused_reported_and_recovers(served, tmp_path, clock, reason):
    """The kiosk's fetch in its own process under libfaketime: a clock at 1970 (no RTC)
    or five years ahead refuses, with the reason; at the right time the same fetch works."""
    if shutil.which("faketime") is None:
        pytest.skip("faketime is not installed; ./run test installs it")
    root = served.repo.metadata / "1.root.json"
    script = (
        "import sys; from pathlib import Path; "
        "from kiosk.update.fetch import UpdateRefused, fetch_bundle\n"
        "try:\n"
        f"    fetch_bundle(Path({str(tmp_path / 'kiosk' / 'metadata')!r}), {served.url!r}, "
        f"'palvelupiste-1.0.0.tar', Path({str(tmp_path / 'kiosk' / 'downloads')!r}), "
        f"Path({str(root)!r}).read_bytes())\n"
        "    print('fetched')\n"
        "except UpdateRefused as exc:\n"
        "    print('refused', exc.reason)\n"
    )
    command = [sys.executable, "-c", script]
    wrong = subprocess.run(
        ["faketime", "-f", clock if clock.startswith("+") else f"@{clock}", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert wrong.stdout.strip() == f"refused {reason}", wrong.stderr[-2000:]
    right = subprocess.run(
        command, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2]
    )
    assert right.stdout.strip() == "fetched", right.stderr[-2000:]


def test_central_serves_the_repository_with_ranges(served, tmp_path):
    import requests

    from devtools.central_server import start_central

    central = start_central(
        f"sqlite:///{tmp_path}/central.db", update_repository=str(served.repo.folder)
    )
    try:
        served.url = f"{central.base}/updates"
        got = kiosk_fetch(served, tmp_path / "kiosk")
        assert got.path.read_bytes() == served.bundle.read_bytes()
        # A broken download resumes where it stopped.
        url = f"{central.base}/updates/targets/{served.bundle.name}"
        part = requests.get(url, headers={"range": "bytes=1000-1999"}, timeout=10)
        assert part.status_code == 206 and part.content == served.bundle.read_bytes()[1000:2000]
        timestamp = requests.get(f"{central.base}/updates/metadata/timestamp.json", timeout=10)
        assert timestamp.headers["cache-control"] == "no-store"
        for name in ("..%2F..%2Fcentral.db", ".hidden", "a%2Fb"):
            assert (
                requests.get(f"{central.base}/updates/targets/{name}", timeout=10).status_code
                == 404
            )
    finally:
        central.stop()


def test_central_keeps_the_timestamp_fresh_on_its_own(tmp_path, signers):
    """A repository whose timestamp has 2 h of its day left: central, holding the online
    keys, signs a new one at start; a kiosk fetches through central afterwards."""
    from devtools.central_server import start_central

    repo = make_repo(tmp_path / "repo", signers, now=datetime.now(UTC) - timedelta(hours=22))
    bundle = tmp_path / "palvelupiste-1.0.1.tar"
    bundle.write_bytes(os.urandom(4096))
    repo.add_release(
        bundle,
        signers.targets,
        signers.snapshot,
        signers.timestamp,
        now=datetime.now(UTC) - timedelta(hours=22),
    )
    before = repo.timestamp_expires()
    online = tmp_path / "online-keys"
    online.mkdir()
    for role in ("snapshot", "timestamp"):
        shutil.copyfile(tmp_path / "keys" / f"{role}.pem", online / f"{role}.pem")
    central = start_central(
        f"sqlite:///{tmp_path}/central.db",
        update_repository=str(repo.folder),
        update_keys=str(online),
        update_timestamp_check_s=0.2,
    )
    try:
        assert wait_for(lambda: repo.timestamp_expires() > before, 10)
        assert repo.timestamp_expires() - datetime.now(UTC) > timedelta(hours=23)
        version = (
            Metadata[Timestamp].from_file(str(repo.metadata / "timestamp.json")).signed.version
        )
        # Fresh now: the checks that follow (every 0.2 s) leave it alone.
        time.sleep(1)
        assert (
            Metadata[Timestamp].from_file(str(repo.metadata / "timestamp.json")).signed.version
            == version
        )
        served = Served(repo, signers, f"{central.base}/updates", bundle)
        assert kiosk_fetch(served, tmp_path / "kiosk", bundle.name).path.exists()
    finally:
        central.stop()


def test_the_timestamp_key_is_rotated_and_kiosks_follow(served, tmp_path):
    kiosk_fetch(served, tmp_path / "kiosk")  # trusts root v1
    new = keys.generate(tmp_path / "keys" / "timestamp-2.pem")
    assert served.repo.rotate("timestamp", served.signers.root[:2], [new]) == 2
    served.repo.refresh_timestamp(new)
    assert kiosk_fetch(served, tmp_path / "kiosk").path.exists()  # followed to root v2
    # The old key signs no more: a timestamp from it is refused.
    served.repo.refresh_timestamp(served.signers.timestamp)
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "bad_signature"


def test_a_root_key_is_replaced_and_kiosks_follow(served, tmp_path):
    kiosk_fetch(served, tmp_path / "kiosk")
    lost = served.signers.root[2]  # say root-3's holder left: replace it
    replacement = keys.generate(tmp_path / "keys" / "root-4.pem")
    new_roots = [*served.signers.root[:2], replacement]
    served.repo.rotate("root", served.signers.root[:2], new_roots, threshold=2)
    served.repo.refresh_timestamp(served.signers.timestamp)
    assert kiosk_fetch(served, tmp_path / "kiosk").path.exists()
    trusted = Metadata.from_file(str(tmp_path / "kiosk" / "metadata" / "root.json")).signed
    assert trusted.version == 2
    assert lost.public_key.keyid not in trusted.roles["root"].keyids
    assert replacement.public_key.keyid in trusted.roles["root"].keyids


def test_a_root_signed_below_the_threshold_is_refused(served, tmp_path):
    kiosk_fetch(served, tmp_path / "kiosk")
    served.repo.rotate("timestamp", served.signers.root[:1], [served.signers.timestamp])
    assert refusal(lambda: kiosk_fetch(served, tmp_path / "kiosk")) == "bad_signature"
