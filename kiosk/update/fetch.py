"""Fetch a release bundle only as TUF says it is: signed by the release key, listed in
fresh metadata no older than what this kiosk has seen, and matching its length and hash.

python-tuf's ngclient does the checking; this module gives its refusals the kiosk's
words (UpdateRefused with a reason central can show) and keeps the trusted metadata in
the kiosk's own directory, so a rollback to older metadata is noticed across restarts.
A clock far off (no RTC, 1970) makes every metadata look expired or not yet valid: that
is refused too, and reported as such, until the time is right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tuf.api import exceptions
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


def fetch_bundle(
    metadata_dir: Path, base_url: str, name: str, into: Path, trusted_root: bytes | None = None
) -> Verified:
    """Verify the repository at `base_url` (metadata/ and targets/ under it) and download
    `name` into `into`. `metadata_dir` must hold root.json the kiosk was installed with,
    unless `trusted_root` gives it."""
    check_clock()
    metadata_dir.mkdir(parents=True, exist_ok=True)
    into.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    try:
        updater = Updater(
            metadata_dir=str(metadata_dir),
            metadata_base_url=f"{base}/metadata/",
            target_dir=str(into),
            target_base_url=f"{base}/targets/",
            bootstrap=trusted_root,
        )
        updater.refresh()
        info = updater.get_targetinfo(name)
        if info is None:
            raise UpdateRefused("unknown_release", f"the repository lists no release {name}")
        path = updater.download_target(info)
    except UpdateRefused:
        raise
    except (exceptions.RepositoryError, exceptions.DownloadError) as exc:
        raise _refusal(exc) from exc
    return Verified(Path(path), info.length, info.hashes["sha256"])
