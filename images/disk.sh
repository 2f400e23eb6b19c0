#!/usr/bin/env bash
# A bootable disk image of the kiosk: GPT with the boot partition (FAT, also the EFI
# system partition; the enrolment file goes here), the read-only root, and the state
# partition that grows to the disk on first boot.
#   x86-64 (UEFI): systemd-boot, the kernel and its initrd on the boot partition.
#   arm64 (Raspberry Pi 4, 400, CM4): the Pi's firmware, config.txt, cmdline.txt, the kernel,
#   initrd and device trees, as Debian's raspi-firmware lays them out in /boot/firmware.
#
#   images/disk.sh [--arch amd64|arm64] [--release-root ROOT.json] [--reuse-rootfs] OUTPUT_DIR
#
# Builds the root filesystem with images/build.sh --kernel, then the image with
# systemd-repart from the definitions in images/repart.d/ (no partition arithmetic here).
# Output: OUTPUT_DIR/palvelupiste-x86-64.img or palvelupiste-arm64.img, and .img.zst
# (what a technician writes).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
EXTRA=()
BUILD=1
ARCH=$(dpkg --print-architecture)
while [ $# -gt 1 ]; do
    case "$1" in
        --release-root) EXTRA+=(--release-root "$2"); shift ;;
        --reuse-rootfs) BUILD=0 ;;  # OUTPUT_DIR/rootfs from an earlier build, as it is
        --arch) ARCH=$2; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ $# -eq 1 ] || { echo "usage: images/disk.sh [--arch amd64|arm64] [--release-root ROOT.json] [--reuse-rootfs] OUTPUT_DIR" >&2; exit 2; }
# The architecture as the image's name and the GPT root partition type say it.
case "$ARCH" in
    amd64) NAME=x86-64 ;;
    arm64) NAME=arm64 ;;
    *) echo "--arch: amd64 or arm64, not $ARCH" >&2; exit 2 ;;
esac
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
for tool in systemd-repart mkfs.vfat mcopy mkfs.ext4 zstd; do
    command -v "$tool" >/dev/null || { echo "install $tool first (./run image-test installs what this needs)" >&2; exit 2; }
done

[ "$BUILD" -eq 0 ] || bash "$REPO/images/build.sh" --kernel --arch "$ARCH" "${EXTRA[@]}" "$OUT"
ROOT="$OUT/rootfs"
STAGE="$OUT/boot-staging"
rm -rf "$STAGE" && mkdir -p "$STAGE"

if [ "$ARCH" = arm64 ]; then
    say "boot partition: the Raspberry Pi's firmware, kernel, initrd and device trees"
    # What raspi-firmware keeps up to date in /boot/firmware (the kiosk mounts the boot
    # partition there, so a kernel upgrade on the kiosk updates it in place).
    cp -r "$ROOT/boot/firmware/." "$STAGE/"
    for need in config.txt cmdline.txt start4.elf; do
        [ -f "$STAGE/$need" ] || { echo "the Pi's $need is missing from $ROOT/boot/firmware" >&2; exit 1; }
    done
else
    say "boot partition: systemd-boot, the kernel and its initrd"
    mkdir -p "$STAGE/EFI/BOOT" "$STAGE/loader/entries"
    # The image's own systemd-boot (Debian 13's), not this machine's.
    cp "$ROOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$STAGE/EFI/BOOT/BOOTX64.EFI"
    KERNEL=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -1)
    cp "$KERNEL" "$STAGE/vmlinuz"
    cp "$ROOT/boot/initrd.img-${KERNEL##*/vmlinuz-}" "$STAGE/initrd.img"
    cat >"$STAGE/loader/loader.conf" <<'LOADER'
default palvelupiste.conf
timeout 0
editor no
LOADER
    # The root by its label, read-only; the journal also to the serial console (what a
    # technician's laptop, or the boot test, reads on a kiosk that shows nothing).
    cat >"$STAGE/loader/entries/palvelupiste.conf" <<'ENTRY'
title Palvelupiste kiosk
linux /vmlinuz
initrd /initrd.img
options root=LABEL=kiosk-root ro rootwait console=tty1 console=ttyS0,115200 quiet loglevel=3 systemd.show_status=auto systemd.journald.forward_to_console=1
ENTRY
fi

say "file systems, made without mounting anything"
# FAT for the boot partition (mtools), ext4 for root and state (mkfs.ext4 -d copies the
# tree in): this works where no file system can be mounted, as in a CI container.
ESP_MB=256
rm -f "$OUT/boot.img" "$OUT/root.img" "$OUT/state.img"
mkfs.vfat -C -n KIOSK-BOOT "$OUT/boot.img" $((ESP_MB * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$OUT/boot.img" "$STAGE"/* ::/
# The root's /boot/firmware is only where the boot partition is mounted: its copy of the
# Pi's boot files (107 MB, hidden on a kiosk) stays out of the root's file system.
ASIDE="$OUT/boot-firmware.aside"
[ ! -d "$ASIDE" ] || { rm -rf "$ROOT/boot/firmware" && mv "$ASIDE" "$ROOT/boot/firmware"; }
if [ -d "$ROOT/boot/firmware" ]; then
    mv "$ROOT/boot/firmware" "$ASIDE" && install -d -m 0755 "$ROOT/boot/firmware"
fi
ROOT_MB=$(( $(du -sm "$ROOT" | cut -f1) * 115 / 100 + 64 ))
mkfs.ext4 -q -L kiosk-root -d "$ROOT" "$OUT/root.img" "${ROOT_MB}M"
if [ -d "$ASIDE" ]; then
    rmdir "$ROOT/boot/firmware" && mv "$ASIDE" "$ROOT/boot/firmware"
fi
# No blocks reserved for root on the state partition: only the kiosk user writes there,
# and the space reserve it keeps for a full disk must be usable by it when given back.
mkfs.ext4 -q -m 0 -L kiosk-state "$OUT/state.img" 512M

say "disk image (systemd-repart: GPT, partition types and labels from images/repart.d)"
IMAGE="$OUT/palvelupiste-$NAME.img"
rm -f "$IMAGE"
# "Type=root" means this machine's root type to systemd-repart: the image's own named.
DEFINITIONS="$OUT/repart.d"
rm -rf "$DEFINITIONS" && cp -r "$REPO/images/repart.d" "$DEFINITIONS"
sed -i "s/^Type=root$/Type=root-$NAME/" "$DEFINITIONS"/*.conf
systemd-repart --empty=create --size=auto --dry-run=no --no-pager \
    --definitions="$DEFINITIONS" --root="$OUT" "$IMAGE" >"$OUT/repart.log" 2>&1 \
    || { tail -30 "$OUT/repart.log" >&2; exit 1; }
rm -f "$OUT/boot.img" "$OUT/root.img" "$OUT/state.img"

say "compressed: $(basename "$IMAGE").zst"
zstd -q -T0 -10 -f "$IMAGE" -o "$IMAGE.zst"
say "done: $IMAGE ($(du -h --apparent-size "$IMAGE" | cut -f1); compressed $(du -h "$IMAGE.zst" | cut -f1))"
