"""The release repository: TUF metadata over release bundles, in a directory central (or
any static host) serves as `metadata/` and `targets/`.

Roles, as TUF's threat model asks: root (several keys, a threshold, kept offline) names
the keys of the others; targets (the release key) lists each bundle's length and hashes;
snapshot and timestamp (online, on central) pin the current targets version and expire
soon, so a kiosk notices a frozen or replayed repository. Kiosks verify with python-tuf's
ngclient (kiosk/update/fetch.py).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from central.updates import sbom

SERIALIZER = JSONSerializer(compact=False)


@dataclass(frozen=True)
class Lifetimes:
    """How long each role's metadata stays valid after it is signed."""

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=90)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)


def _expires(now: datetime, lifetime: timedelta) -> datetime:
    return (now + lifetime).replace(microsecond=0)


class ReleaseRepository:
    def __init__(self, folder: Path, lifetimes: Lifetimes | None = None) -> None:
        self.folder = folder
        self.metadata = folder / "metadata"
        self.targets_dir = folder / "targets"
        self.lifetimes = lifetimes or Lifetimes()

    # --- creating ----------------------------------------------------------------------

    def create(
        self,
        root_signers: list[Signer],
        threshold: int,
        targets_signer: Signer,
        snapshot_signer: Signer,
        timestamp_signer: Signer,
        now: datetime | None = None,
    ) -> None:
        """A new repository: version 1 of every role, no releases yet."""
        now = now or datetime.now(UTC)
        if not 1 <= threshold <= len(root_signers):
            raise ValueError("the root threshold must be between 1 and the number of root keys")
        self.metadata.mkdir(parents=True, exist_ok=False)
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        root = Root(expires=_expires(now, self.lifetimes.root), consistent_snapshot=False)
        for signer in root_signers:
            root.add_key(signer.public_key, Root.type)
        root.roles[Root.type].threshold = threshold
        root.add_key(targets_signer.public_key, Targets.type)
        root.add_key(snapshot_signer.public_key, Snapshot.type)
        root.add_key(timestamp_signer.public_key, Timestamp.type)
        root_md = Metadata(root)
        for signer in root_signers:
            root_md.sign(signer, append=True)
        self._write_root(root_md)
        targets_md = Metadata(Targets(expires=_expires(now, self.lifetimes.targets)))
        targets_md.sign(targets_signer)
        _write(targets_md, str(self.metadata / "targets.json"))
        self.publish(snapshot_signer, timestamp_signer, now)

    def _write_root(self, root_md: Metadata[Root]) -> None:
        # Kiosks fetch N.root.json to follow key rotations; root.json is the newest.
        _write(root_md, str(self.metadata / f"{root_md.signed.version}.root.json"))
        _write(root_md, str(self.metadata / "root.json"))

    # --- changing keys -------------------------------------------------------------------

    def rotate(
        self,
        role: str,
        old_root_signers: list[Signer],
        new_signers: list[Signer],
        threshold: int | None = None,
        now: datetime | None = None,
    ) -> int:
        """Give `role` new keys in a new root version; its version.

        The new root is signed by the old root keys and, when root itself changes, also by
        the new ones (TUF asks for both thresholds), so a kiosk trusting the old root
        follows to the new one. The role's own metadata must then be signed again with
        its new key (add_release or publish do that)."""
        now = now or datetime.now(UTC)
        current = Metadata[Root].from_file(str(self.metadata / "root.json"))
        root = current.signed
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        for signer in new_signers:
            root.add_key(signer.public_key, role)
        root.roles[role].threshold = threshold or root.roles[role].threshold
        if not 1 <= root.roles[role].threshold <= len(new_signers):
            raise ValueError("the threshold must be between 1 and the number of new keys")
        root.version += 1
        root.expires = _expires(now, self.lifetimes.root)
        current.signatures.clear()
        signers = old_root_signers + (new_signers if role == Root.type else [])
        for signer in {s.public_key.keyid: s for s in signers}.values():
            current.sign(signer, append=True)
        self._write_root(current)
        return root.version

    def resign_targets(
        self,
        targets_signer: Signer,
        snapshot_signer: Signer,
        timestamp_signer: Signer,
        now: datetime | None = None,
    ) -> None:
        """The release list signed again (after the targets key changed) and published."""
        self._sign_targets(
            targets_signer, snapshot_signer, timestamp_signer, now or datetime.now(UTC), {}
        )

    def _sign_targets(
        self,
        targets_signer: Signer,
        snapshot_signer: Signer,
        timestamp_signer: Signer,
        now: datetime,
        added: dict[str, TargetFile],
    ) -> None:
        """A new targets version (with `added` listed), signed, then published."""
        targets_md = Metadata[Targets].from_file(str(self.metadata / "targets.json"))
        targets_md.signed.targets.update(added)
        targets_md.signed.version += 1
        targets_md.signed.expires = _expires(now, self.lifetimes.targets)
        targets_md.signatures.clear()
        targets_md.sign(targets_signer)
        _write(targets_md, str(self.metadata / "targets.json"))
        self.publish(snapshot_signer, timestamp_signer, now)

    # --- releasing -----------------------------------------------------------------------

    def add_release(
        self,
        bundle: Path,
        targets_signer: Signer,
        snapshot_signer: Signer,
        timestamp_signer: Signer,
        now: datetime | None = None,
    ) -> TargetFile:
        """List a bundle (its length and hashes) in a new targets version and publish it,
        with its SBOM beside it (`<bundle>.cdx.json`, a signed target of its own) when
        the bundle carries one."""
        now = now or datetime.now(UTC)
        shutil.copyfile(bundle, self.targets_dir / bundle.name)
        target = TargetFile.from_file(bundle.name, str(bundle), ["sha256"])
        listed = {bundle.name: target}
        bill = _sbom_of(bundle)
        if bill is not None:
            name = sbom_name(bundle.name)
            (self.targets_dir / name).write_bytes(bill)
            listed[name] = TargetFile.from_file(name, str(self.targets_dir / name), ["sha256"])
        self._sign_targets(targets_signer, snapshot_signer, timestamp_signer, now, listed)
        return target

    def publish(
        self, snapshot_signer: Signer, timestamp_signer: Signer, now: datetime | None = None
    ) -> None:
        """New snapshot and timestamp over the current targets (the online keys' work)."""
        now = now or datetime.now(UTC)
        targets_version = (
            Metadata[Targets].from_file(str(self.metadata / "targets.json")).signed.version
        )
        snapshot_path = self.metadata / "snapshot.json"
        snapshot = Snapshot(
            version=self._next_version("snapshot.json"),
            expires=_expires(now, self.lifetimes.snapshot),
        )
        snapshot.meta["targets.json"] = MetaFile(version=targets_version)
        snapshot_md = Metadata(snapshot)
        snapshot_md.sign(snapshot_signer)
        _write(snapshot_md, str(snapshot_path))
        self.refresh_timestamp(timestamp_signer, now)

    def refresh_timestamp(self, timestamp_signer: Signer, now: datetime | None = None) -> int:
        """A new timestamp (central does this well before the old one expires); its version."""
        now = now or datetime.now(UTC)
        snapshot_version = (
            Metadata[Snapshot].from_file(str(self.metadata / "snapshot.json")).signed.version
        )
        path = self.metadata / "timestamp.json"
        version = self._next_version("timestamp.json")
        timestamp = Timestamp(
            version=version,
            expires=_expires(now, self.lifetimes.timestamp),
            snapshot_meta=MetaFile(version=snapshot_version),
        )
        timestamp_md = Metadata(timestamp)
        timestamp_md.sign(timestamp_signer)
        _write(timestamp_md, str(path))
        return version

    def _next_version(self, name: str) -> int:
        path = self.metadata / name
        return Metadata.from_file(str(path)).signed.version + 1 if path.exists() else 1

    def timestamp_expires(self) -> datetime:
        return Metadata[Timestamp].from_file(str(self.metadata / "timestamp.json")).signed.expires


def _write(metadata: Metadata, path: str) -> None:
    """Metadata replaced atomically: a kiosk fetching it meanwhile gets the old file or the new
    one, never a 404 (tuf's `to_file` removes the old file before writing the new)."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as file:
        file.write(SERIALIZER.serialize(metadata))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def sbom_name(bundle_name: str) -> str:
    """Where a bundle's SBOM is published: `palvelupiste-1.4.0.tar.cdx.json`."""
    return f"{bundle_name}.cdx.json"


def _sbom_of(bundle: Path) -> bytes | None:
    """The SBOM a bundle carries; None for one built before bundles carried one."""
    try:
        with tarfile.open(bundle) as tar:
            member = tar.extractfile(sbom.NAME)
            return member.read() if member is not None else None
    except (KeyError, tarfile.TarError):
        return None


def refresh_if_due(
    repo: ReleaseRepository, timestamp_signer: Signer, now: datetime | None = None
) -> int | None:
    """A new timestamp once less than half of the current one's life is left; its version,
    or None when the current one is fresh enough."""
    now = now or datetime.now(UTC)
    if repo.timestamp_expires() - now > repo.lifetimes.timestamp / 2:
        return None
    return repo.refresh_timestamp(timestamp_signer, now)
