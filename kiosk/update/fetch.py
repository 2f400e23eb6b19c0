"""Fetch a release bundle only as TUF says it is: signed by the release key, listed in
fresh metadata no older than what this kiosk has seen, and matching its length and hash.

python-tuf's ngclient checks the metadata; the bundle itself is downloaded here, with
HTTP ranges so an interrupted download resumes, and checked against the signed length
and hash before it is used; this module gives its refusals the kiosk's
words (UpdateRefused with a reason central can show) and keeps the trusted metadata in
the kiosk's own directory, so a rollback to older metadata is noticed across restarts.
A clock far off (no RTC, 1970) makes every metadata look expired or not yet valid: that
is refused too, and reported as such, until the time is right.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from tuf.api import exceptions
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater

# Before this the clock is certainly wrong (no kiosk release is older).
EARLIEST_SANE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


class UpdateRefused(Exception):
    """The release cannot be trusted now; `reason` is a short code for central."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    path: Path
    length: int
    sha256: str


def _refusal(exc: Exception) -> UpdateRefused:
    kinds: list[tuple[type[Exception], str, str]] = [
        (
            exceptions.ExpiredMetadataError,
            "metadata_expired",
            "the release metadata has expired (a frozen repository, or this kiosk's clock)",
        ),
        (
            exceptions.BadVersionNumberError,
            "metadata_rollback",
            "the repository offers metadata older than this kiosk has already seen",
        ),
        (
            exceptions.EqualVersionNumberError,
            "metadata_rollback",
            "the repository offers changed metadata under a version already seen",
        ),
        (
            exceptions.UnsignedMetadataError,
            "bad_signature",
            "the release metadata is not signed by the expected keys",
        ),
        (
            exceptions.LengthOrHashMismatchError,
            "bundle_tampered",
            "the bundle does not match its signed length and hash",
        ),
        (exceptions.DownloadError, "download_failed", "the download failed"),
        (exceptions.RepositoryError, "bad_metadata", "the release metadata cannot be trusted"),
    ]
    for kind, reason, message in kinds:
        if isinstance(exc, kind):
            return UpdateRefused(reason, f"{message}: {exc}")
    return UpdateRefused("update_failed", str(exc))


def check_clock(now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if now < EARLIEST_SANE_TIME:
        raise UpdateRefused(
            "clock_wrong", f"the clock says {now:%Y-%m-%d}; waiting for the time to be synced"
        )


class ReleaseSource:
    """One release repository (metadata/ and targets/ under `base_url`), as this kiosk
    trusts it: the metadata it has seen lives in `metadata_dir`."""

    def __init__(
        self,
        metadata_dir: Path,
        base_url: str,
        trusted_root: bytes | None = None,
        silence_s: float = 30.0,
    ):
        self.metadata_dir = metadata_dir
        self.base = base_url.rstrip("/")
        self.trusted_root = trusted_root
        # A download that receives nothing this long is abandoned (and resumed next time).
        self.silence_s = silence_s
        self._updater: Updater | None = None

    def target(self, name: str) -> TargetFile:
        """The signed length and hashes of bundle `name`; the metadata is refreshed in
        full once per ReleaseSource (one pass may ask for a delta, then the full bundle)."""
        try:
            info = self._refreshed().get_targetinfo(name)
        except (exceptions.RepositoryError, exceptions.DownloadError) as exc:
            raise _refusal(exc) from exc
        if info is None:
            raise UpdateRefused("unknown_release", f"the repository lists no release {name}")
        return info

    def _refreshed(self) -> Updater:
        if self._updater is not None:
            return self._updater
        check_clock()
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        if self.trusted_root is None and not (self.metadata_dir / "root.json").exists():
            raise UpdateRefused(
                "no_trusted_root",
                "this kiosk holds no root.json of the release repository "
                "(/etc/palvelupiste/release-root.json in the image)",
            )
        updater = Updater(
            metadata_dir=str(self.metadata_dir),
            metadata_base_url=f"{self.base}/metadata/",
            target_dir=str(self.metadata_dir),
            target_base_url=f"{self.base}/targets/",
            bootstrap=self.trusted_root,
        )
        try:
            updater.refresh()
        except (exceptions.RepositoryError, exceptions.DownloadError) as exc:
            raise _refusal(exc) from exc
        self._updater = updater
        return updater

    def download(
        self,
        info: TargetFile,
        into: Path,
        on_progress: Callable[[int], None] | None = None,
        session: requests.Session | None = None,
    ) -> Verified:
        """Download the bundle `info` describes into `into`, resuming a partial file, and
        check its length and hash before anyone uses it.

        A partial file that turns out wrong is deleted, so the next attempt starts clean
        instead of resuming garbage for ever; a full disk is refused as `no_space`."""
        into.mkdir(parents=True, exist_ok=True)
        final = into / Path(info.path).name
        partial = final.with_name(final.name + ".part")
        http = session or requests.Session()
        try:
            if not final.exists():
                _download_into(http, f"{self.base}/targets/{info.path}", partial, info.length,
                               on_progress, self.silence_s)  # fmt: skip
                partial.replace(final)
            with final.open("rb") as f:
                info.verify_length_and_hashes(f)
        except exceptions.LengthOrHashMismatchError as exc:
            final.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
            raise _refusal(exc) from exc
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                partial.unlink(missing_ok=True)
                raise UpdateRefused(
                    "no_space", f"the disk filled up while downloading: {exc}"
                ) from exc
            raise UpdateRefused("download_failed", f"the download failed: {exc}") from exc
        except requests.RequestException as exc:
            raise UpdateRefused("download_failed", f"the download failed: {exc}") from exc
        return Verified(final, info.length, info.hashes["sha256"])


def _download_into(
    http: requests.Session,
    url: str,
    partial: Path,
    length: int,
    on_progress: Callable[[int], None] | None,
    silence_s: float,
) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    if have > length:
        partial.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with http.get(url, headers=headers, stream=True, timeout=(10, silence_s)) as answer:
        if answer.status_code == 416 and have == length:
            return  # already complete
        answer.raise_for_status()
        mode = "ab" if have and answer.status_code == 206 else "wb"
        done = have if mode == "ab" else 0
        with partial.open(mode) as f:
            for block in answer.iter_content(1 << 16):
                done += len(block)
                if done > length:
                    raise exceptions.LengthOrHashMismatchError(
                        f"{url} is longer than its signed {length} bytes"
                    )
                f.write(block)
                if on_progress:
                    on_progress(done)
            f.flush()
            os.fsync(f.fileno())


def fetch_bundle(
    metadata_dir: Path, base_url: str, name: str, into: Path, trusted_root: bytes | None = None
) -> Verified:
    """Verify the repository at `base_url` (metadata/ and targets/ under it) and download
    `name` into `into`. `metadata_dir` must hold root.json the kiosk was installed with,
    unless `trusted_root` gives it."""
    source = ReleaseSource(metadata_dir, base_url, trusted_root)
    return source.download(source.target(name), into)
