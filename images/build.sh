#!/usr/bin/env bash
# Build the kiosk's Debian 12 root filesystem: the software in /opt/palvelupiste/venv,
# the units enabled, the kiosk user, a read-only root with the state on its own partition.
#
#   images/build.sh [--no-software] [--tar] OUTPUT_DIR
#
# Needs root and mmdebstrap. Packages come from this machine's apt sources; the Python
# packages are built into wheels here first and installed offline inside the image.
# Output: OUTPUT_DIR/rootfs (and OUTPUT_DIR/palvelupiste-rootfs.tar.gz with --tar).
# Putting it on a disk with a kernel and bootloader for a given board is not done here.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SOFTWARE=1
TAR=0
while [ $# -gt 1 ]; do
    case "$1" in
        --no-software) SOFTWARE=0 ;;
        --tar) TAR=1 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ $# -eq 1 ] || { echo "usage: images/build.sh [--no-software] [--tar] OUTPUT_DIR" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
ROOT="$OUT/rootfs"
PY="${PYTHON:-$REPO/.venv/bin/python}"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "images/build.sh must run as root (mmdebstrap --mode=root)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "install mmdebstrap first (apt-get install mmdebstrap)" >&2; exit 2; }

# What the kiosk runs on: systemd, the compositor, the device stacks, speech, fonts.
PACKAGES=(
    systemd systemd-sysv udev dbus polkitd libpam-systemd
    python3 python3-venv
    cage xwayland libgl1 libegl1 libgl1-mesa-dri libmtdev1
    sane-utils pcscd libpcsclite1 cups-client espeak-ng
    pipewire pipewire-pulse wireplumber libspa-0.2-modules pulseaudio-utils libpulse0
    fonts-dejavu-core ca-certificates
)

rm -rf "$ROOT"
say "root filesystem (Debian 12, ${#PACKAGES[@]} packages)"
mmdebstrap --variant=apt --mode=root --format=directory \
    --include="$(IFS=,; echo "${PACKAGES[*]}")" bookworm "$ROOT" >"$OUT/mmdebstrap.log" 2>&1 \
    || { tail -20 "$OUT/mmdebstrap.log" >&2; exit 1; }

say "units, users, directories, device rules"
install -m 0644 "$REPO"/systemd/*.service "$ROOT/usr/lib/systemd/system/"
install -m 0644 "$REPO/systemd/sysusers.d/palvelupiste.conf" "$ROOT/usr/lib/sysusers.d/"
install -m 0644 "$REPO/systemd/tmpfiles.d/palvelupiste.conf" "$ROOT/usr/lib/tmpfiles.d/"
install -m 0644 "$REPO/systemd/udev/70-palvelupiste.rules" "$ROOT/usr/lib/udev/rules.d/"
install -d "$ROOT/etc/pipewire/pipewire.conf.d"
install -m 0644 "$REPO/systemd/pipewire/palvelupiste-echo-cancel.conf" "$ROOT/etc/pipewire/pipewire.conf.d/"
install -d "$ROOT/etc/polkit-1/rules.d"
install -m 0644 "$REPO/systemd/polkit/50-palvelupiste.rules" "$ROOT/etc/polkit-1/rules.d/"
systemd-sysusers --root="$ROOT" >/dev/null
systemd-tmpfiles --root="$ROOT" --create "$ROOT/usr/lib/tmpfiles.d/palvelupiste.conf"

if [ "$SOFTWARE" -eq 1 ]; then
    say "Python wheels (built here, installed offline in the image)"
    WHEELS="$ROOT/tmp/wheels"
    mkdir -p "$WHEELS"
    "$PY" -m pip wheel -q --wheel-dir "$WHEELS" "$REPO" >"$OUT/wheels.log" 2>&1 \
        || { tail -20 "$OUT/wheels.log" >&2; exit 1; }
    chroot "$ROOT" python3 -m venv /opt/palvelupiste/venv
    chroot "$ROOT" /opt/palvelupiste/venv/bin/pip install -q --no-index \
        --find-links /tmp/wheels palvelupiste >"$OUT/install.log" 2>&1 \
        || { tail -20 "$OUT/install.log" >&2; exit 1; }
    rm -rf "$WHEELS"
    install -d "$ROOT/opt/palvelupiste/src"
    cp -r "$REPO/docs" "$ROOT/opt/palvelupiste/src/"
fi

say "read-only root, state on its own partition, logs in RAM"
cat >"$ROOT/etc/fstab" <<'FSTAB'
# The root is read-only: a power cut cannot corrupt it, and nothing a citizen does is
# written there. Everything that changes lives on the kiosk-state partition.
LABEL=kiosk-root   /               ext4   ro,noatime              0 1
LABEL=kiosk-state  /var/lib/kiosk  ext4   rw,noatime,nosuid,nodev 0 2
tmpfs              /tmp            tmpfs  nosuid,nodev,size=256m  0 0
tmpfs              /var/tmp        tmpfs  nosuid,nodev,size=64m   0 0
FSTAB
install -d "$ROOT/etc/systemd/journald.conf.d"
cat >"$ROOT/etc/systemd/journald.conf.d/palvelupiste.conf" <<'JOURNAL'
# Logs in RAM, bounded: months of uptime never fill anything.
[Journal]
Storage=volatile
RuntimeMaxUse=64M
JOURNAL
# A new machine id on first boot (the image is copied to many kiosks).
: >"$ROOT/etc/machine-id"
echo kiosk >"$ROOT/etc/hostname"

say "enable the kiosk's units"
systemctl --root="$ROOT" enable kiosk-firstboot.service kiosk-agent.service kiosk-ui.service
systemctl --root="$ROOT" set-default graphical.target

if [ "$TAR" -eq 1 ]; then
    say "palvelupiste-rootfs.tar.gz"
    tar -C "$ROOT" --numeric-owner -czf "$OUT/palvelupiste-rootfs.tar.gz" .
fi
say "done: $ROOT ($(du -sh "$ROOT" | cut -f1))"
