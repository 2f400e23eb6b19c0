"""A kiosk disk image read and changed from the host, without mounting anything (CI
containers cannot mount): the GPT read in Python, the boot partition's FAT through mtools,
the ext4 partitions through debugfs at the partition's offset.

What the boot tests use to put the enrolment file where a technician puts it, and to read
state.db from the state partition after a power cut."""

from __future__ import annotations

import gzip
import os
import re
import struct
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512


@dataclass(frozen=True)
class Partition:
    type: str  # the GPT partition type GUID, upper case
    name: str  # the GPT label: kiosk-boot, kiosk-root, kiosk-state
    start: int  # first sector
    sectors: int

    @property
    def offset(self) -> int:
        return self.start * SECTOR


def partitions(image: Path) -> list[Partition]:
    """The GPT's used entries, read from the image (UEFI spec 5.3: header at LBA 1)."""
    with image.open("rb") as disk:
        disk.seek(SECTOR)
        header = disk.read(92)
        if header[:8] != b"EFI PART":
            raise ValueError(f"{image} is not a GPT disk")
        entries_lba, count, size = struct.unpack_from("<QII", header, 72)
        disk.seek(entries_lba * SECTOR)
        table = disk.read(count * size)
    found = []
    for n in range(count):
        entry = table[n * size : (n + 1) * size]
        if entry[:16] == bytes(16):
            continue
        first, last = struct.unpack_from("<QQ", entry, 32)
        found.append(
            Partition(
                type=str(uuid.UUID(bytes_le=entry[:16])).upper(),
                name=entry[56:128].decode("utf-16-le").rstrip("\0"),
                start=first,
                sectors=last - first + 1,
            )
        )
    return found


def partition(image: Path, name: str) -> Partition:
    for part in partitions(image):
        if part.name == name:
            return part
    raise KeyError(f"no partition labelled {name} in {image}")


def _run(args: list[str], **env: str) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def put_on_boot_partition(image: Path, source: Path, name: str) -> None:
    """Copy a file to the boot partition's top level (where a technician puts the
    enrolment file after writing the image)."""
    boot = partition(image, "kiosk-boot")
    _run(
        ["mcopy", "-o", "-i", f"{image}@@{boot.offset}", str(source), f"::/{name}"],
        MTOOLS_SKIP_CHECK="1",
    )


def read_boot_file(image: Path, name: str, to: Path) -> Path:
    """Copy a file off the boot partition's top level (the Pi's kernel and cmdline.txt for
    booting the arm64 image in QEMU, which has no Pi firmware)."""
    boot = partition(image, "kiosk-boot")
    _run(
        ["mcopy", "-o", "-i", f"{image}@@{boot.offset}", f"::/{name}", str(to)],
        MTOOLS_SKIP_CHECK="1",
    )
    return to


def boot_partition_files(image: Path) -> list[str]:
    boot = partition(image, "kiosk-boot")
    listing = _run(
        ["mdir", "-b", "-/", "-i", f"{image}@@{boot.offset}", "::/"], MTOOLS_SKIP_CHECK="1"
    )
    return [line.removeprefix("::/") for line in listing.split()]


def _debugfs(image: Path, name: str, request: str, writable: bool = False) -> str:
    part = partition(image, name)
    return _run(
        ["debugfs", *(["-w"] if writable else []), "-R", request, f"{image}?offset={part.offset}"]
    )


def read_file(image: Path, name: str, path: str, to: Path) -> Path:
    """Copy a file out of an ext4 partition (kiosk-root or kiosk-state)."""
    _debugfs(image, name, f"dump {path} {to}")
    if not to.exists():
        raise FileNotFoundError(f"{path} not on {name}")
    return to


def _entries(image: Path, name: str, path: str) -> list[tuple[str, bool]]:
    """(name, is a directory) for each entry of a directory of an ext4 partition."""
    # `ls -p`: one "/inode/mode/uid/gid/name/size/" line per entry, "." and ".." too;
    # nothing at all (debugfs says why on stderr and exits 0) when there is no directory.
    listing = _debugfs(image, name, f"ls -p {path}")
    rows = [line.split("/") for line in listing.splitlines() if line.count("/") >= 7]
    if not rows:
        raise FileNotFoundError(f"{path} not on {name}")
    return [(r[5], r[2].startswith("04")) for r in rows if r[5] not in (".", "..")]


def list_directory(image: Path, name: str, path: str) -> list[str]:
    """The names in a directory of an ext4 partition, without "." and ".."."""
    return [entry for entry, _ in _entries(image, name, path)]


def files_under(image: Path, name: str, path: str) -> list[str]:
    """Every file (not directory) below a directory of an ext4 partition, as paths."""
    found = []
    for entry, is_dir in _entries(image, name, path):
        below = f"{path.rstrip('/')}/{entry}"
        found.extend(files_under(image, name, below) if is_dir else [below])
    return found


def check_file_system(image: Path, name: str) -> subprocess.CompletedProcess[str]:
    """e2fsck -fn on the partition, read-only (exit 0: nothing wrong)."""
    part = partition(image, name)
    return subprocess.run(
        ["e2fsck", "-fn", f"{image}?offset={part.offset}"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def add_unit(image: Path, name: str, text: str, wanted_by: str = "multi-user.target") -> None:
    """Put a systemd unit into the image's root, enabled: how a boot test makes something
    happen inside the guest (write events, freeze the UI), which has no login by design."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / name
        source.write_text(text)
        wants = f"/etc/systemd/system/{wanted_by}.wants"
        for request in (
            f"write {source} /etc/systemd/system/{name}",
            f"mkdir {wants}",
            f"symlink {wants}/{name} /etc/systemd/system/{name}",
        ):
            try:
                _debugfs(image, "kiosk-root", request, writable=True)
            except RuntimeError:
                if not request.startswith("mkdir"):  # the wants directory may be there
                    raise


def remove_unit(image: Path, name: str, wanted_by: str = "multi-user.target") -> None:
    for path in (f"/etc/systemd/system/{wanted_by}.wants/{name}", f"/etc/systemd/system/{name}"):
        _debugfs(image, "kiosk-root", f"rm {path}", writable=True)


def _field(stats: str, name: str) -> str:
    found = re.search(rf"^{name}:\s+(.*?)\s*$", stats, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {name} in what e2fsprogs printed")
    return found.group(1)


def fill(image: Path, name: str, leave_mb: int = 0) -> None:
    """Fill an ext4 partition with one preallocated file until `leave_mb` are free: a kiosk
    whose state partition filled up, without booting it."""
    stats = _debugfs(image, name, "stats")
    free = int(_field(stats, "Free blocks"))
    block = int(_field(stats, "Block size"))
    blocks = max(0, free - leave_mb * 1024 * 1024 // block)
    with tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "empty"
        empty.write_bytes(b"")
        _debugfs(image, name, f"write {empty} /filler", writable=True)
    _debugfs(image, name, f"fallocate /filler 0 {blocks - 1}", writable=True)


BOOT_ENTRY = "loader/entries/palvelupiste.conf"
PI_CMDLINE = "cmdline.txt"  # the Raspberry Pi firmware's


def add_boot_options(image: Path, options: str) -> None:
    """Append kernel command-line options to the image's boot entry: systemd-boot's entry
    on x86-64, the Pi's cmdline.txt (one line) on arm64."""
    boot = partition(image, "kiosk-boot")
    at = f"{image}@@{boot.offset}"
    pi = PI_CMDLINE in boot_partition_files(image)
    name = PI_CMDLINE if pi else BOOT_ENTRY
    entry = _run(["mtype", "-i", at, f"::/{name}"], MTOOLS_SKIP_CHECK="1")
    if pi:
        lines = [f"{entry.strip()} {options}"]
    else:
        lines = [
            f"{line} {options}" if line.startswith("options ") else line
            for line in entry.splitlines()
        ]
    with tempfile.TemporaryDirectory() as scratch:
        changed = Path(scratch) / Path(name).name
        changed.write_text("\n".join(lines) + "\n")
        _run(["mcopy", "-o", "-i", at, str(changed), f"::/{name}"], MTOOLS_SKIP_CHECK="1")


def write_file(image: Path, name: str, path: str, text: str) -> None:
    """Write a file into an ext4 partition (replacing one that is there)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "file"
        source.write_text(text)
        try:
            _debugfs(image, name, f"rm {path}", writable=True)
        except RuntimeError:
            pass
        _debugfs(image, name, f"write {source} {path}", writable=True)


def file_system_features(image: Path, name: str) -> list[str]:
    """ext4's feature list; "needs_recovery" while a journal waits to be replayed."""
    part = partition(image, name)
    header = _run(["dumpe2fs", "-h", f"{image}?offset={part.offset}"])
    return _field(header, "Filesystem features").split()


def initramfs_names(initrd: Path) -> list[str]:
    """The paths in an initramfs (zstd- or gzip-compressed newc cpio archives, one after
    another), read here without cpio or unmkinitramfs: what the kernel has before the root
    is mounted (the Pi 5's SD card driver must be among them)."""
    raw = initrd.read_bytes()
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        raw = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True, check=True).stdout
    elif raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    names: list[str] = []
    at = 0
    while at + 110 <= len(raw):
        if raw[at : at + 6] != b"070701":
            at += 1  # the padding between archives
            continue
        fields = [int(raw[at + 6 + 8 * i : at + 14 + 8 * i], 16) for i in range(13)]
        size, name_size = fields[6], fields[11]
        name = raw[at + 110 : at + 110 + name_size - 1].decode()
        at = (at + 110 + name_size + 3) & ~3
        at = (at + size + 3) & ~3
        if name != "TRAILER!!!":
            names.append(name)
    return names
