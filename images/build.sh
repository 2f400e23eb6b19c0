#!/usr/bin/env bash
# Build the kiosk's Debian 13 ("trixie") root filesystem: the software as the factory
# release in /opt/palvelupiste (a release bundle, installed offline), the units enabled,
# the kiosk user, a read-only root with the state on its own partition, unattended
# security upgrades for the OS.
#
#   images/build.sh [--no-software] [--tar] [--kernel] [--arch amd64|arm64] [--release-root ROOT.json] OUTPUT_DIR
#
# Needs root and mmdebstrap. Packages come from Debian's mirror (deb.debian.org, or
# DEBIAN_MIRROR); the Python packages come from a release bundle built here, in a
# throwaway Debian 13 build root of the image's own architecture (its Python, 3.13, and
# its CPU: a bundle is built on the kiosk's own kind of machine, central/updates/bundle.py),
# also left in OUTPUT_DIR to publish. --release-root: the release repository's root.json,
# the trust anchor kiosks verify updates with (without it, the image installs no updates).
# Output: OUTPUT_DIR/rootfs (and OUTPUT_DIR/palvelupiste-rootfs.tar.gz with --tar).
# --kernel adds the kernel and what a bootable disk needs (images/disk.sh makes the disk).
# --arch arm64 on an x86-64 machine builds for the Raspberry Pi 4, 400, CM4 and 5 through
# qemu-user (binfmt_misc; ./run image-test installs it): the kernel from trixie-backports
# (Debian 13's own 6.12 has the Pi 5's device tree but not its SD card, USB or Ethernet
# drivers), the Pi's firmware from Debian (raspi-firmware, in non-free-firmware).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SOFTWARE=1
TAR=0
RELEASE_ROOT=""
KERNEL=0
HOST_ARCH=$(dpkg --print-architecture)
ARCH=$HOST_ARCH
while [ $# -gt 1 ]; do
    case "$1" in
        --no-software) SOFTWARE=0 ;;
        --tar) TAR=1 ;;
        --kernel) KERNEL=1 ;;
        --arch) ARCH=$2; shift ;;
        --release-root) RELEASE_ROOT=$(realpath "$2"); shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ $# -eq 1 ] || { echo "usage: images/build.sh [--no-software] [--tar] [--kernel] [--arch amd64|arm64] [--release-root ROOT.json] OUTPUT_DIR" >&2; exit 2; }
case "$ARCH" in amd64|arm64) ;; *) echo "--arch: amd64 or arm64, not $ARCH" >&2; exit 2 ;; esac
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
ROOT="$OUT/rootfs"
SUITE=trixie
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "images/build.sh must run as root (mmdebstrap --mode=root)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "install mmdebstrap first (apt-get install mmdebstrap)" >&2; exit 2; }
if [ "$ARCH" != "$HOST_ARCH" ] && ! arch-test "$ARCH" >/dev/null 2>&1; then
    echo "this machine cannot run $ARCH programs: install qemu-user-static and binfmt-support (and arch-test)" >&2
    exit 2
fi

# What the kiosk runs on: systemd, the compositor, the device stacks, speech, fonts.
PACKAGES=(
    systemd systemd-sysv udev dbus polkitd libpam-systemd
    python3 python3-venv
    cage xwayland libgl1 libegl1 libgl1-mesa-dri libmtdev1
    sane-utils pcscd libpcsclite1 cups-client espeak-ng
    fonts-materialdesignicons-webfont
    pipewire pipewire-pulse wireplumber libspa-0.2-modules pulseaudio-utils libpulse0
    fonts-dejavu-core ca-certificates unattended-upgrades
    systemd-resolved systemd-timesyncd
    # The zones the box's clock follows (its site's; kiosk/box_timezone.py).
    tzdata
    dbus-user-session
    openssh-server
)
# A bootable disk: the kernel (initramfs-tools comes with it) and what grows the state
# partition on first boot.
# On a Raspberry Pi: Debian's arm64 kernel, the Pi's boot firmware (it copies the kernel,
# initrd and device trees to /boot/firmware and writes config.txt and cmdline.txt) and
# the Pi's Wi-Fi firmware.
if [ "$KERNEL" -eq 1 ]; then
    # zstd: the initramfs compressed with it (without it, gzip: larger, slower to unpack).
    # systemd-repart: its own package since Debian 13 (first boot grows the state
    # partition and makes the releases partition with it).
    # initramfs-tools named: trixie-backports' kernel would take dracut (its first choice),
    # and the Pi's initramfs settings and hooks here are initramfs-tools'.
    PACKAGES+=(e2fsprogs dosfstools zstd systemd-repart initramfs-tools)
    case "$ARCH" in
        # systemd-boot from Debian 13 (images/disk.sh puts it on the boot partition).
        amd64) PACKAGES+=(linux-image-amd64 systemd-boot-efi) ;;
        # The Pi 5 needs trixie-backports' kernel (see above); the Pi 4 runs it as well.
        arm64) PACKAGES+=(linux-image-arm64/$SUITE-backports raspi-firmware firmware-brcm80211) ;;
    esac
fi
# Debian 13 with its updates and security fixes, and the component the Pi's firmware is
# in; trixie-backports for the Pi's kernel only (backports never replace another package:
# apt prefers them only for what was installed from there).
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SOURCES=(
    "deb $MIRROR $SUITE main non-free-firmware"
    "deb $MIRROR $SUITE-updates main non-free-firmware"
    "deb $SECURITY_MIRROR $SUITE-security main non-free-firmware"
    "deb $MIRROR $SUITE-backports main non-free-firmware"
)

# Nobody reads manuals, package docs or the programs' translations on a kiosk (the UI has
# its own): dpkg leaves them out, now and at every upgrade (about 100 MB; the licences stay).
SLIM=(
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-include=/usr/share/locale/locale.alias'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    # espeak-ng's pronunciation dictionaries for the UI's own languages only (kiosk/ui/
    # speech.py: Finnish, also for Sámi, Swedish, English): 20 MB of 117 languages.
    --dpkgopt='path-exclude=/usr/lib/*/espeak-ng-data/*_dict'
    --dpkgopt='path-include=/usr/lib/*/espeak-ng-data/fi_dict'
    --dpkgopt='path-include=/usr/lib/*/espeak-ng-data/sv_dict'
    --dpkgopt='path-include=/usr/lib/*/espeak-ng-data/en_dict'
    # The arm64 kernel's device trees: the Raspberry Pi's (broadcom/, which raspi-firmware
    # copies to the boot partition) only, not those of 20 other SoC families (119 MB).
    --dpkgopt='path-exclude=/usr/lib/modules/*/dtb/*'
    --dpkgopt='path-include=/usr/lib/modules/*/dtb/broadcom/*'
)

# The debug symbols of the installed packages' compiled modules (Kivy's wheels carry
# them: 92 files, 101 MB, 22 MB without; 20 MB of the compressed image). Nobody debugs C
# on a kiosk. Only files that have them: the others (auditwheel's patched libraries
# among them) are left as they are. The updater checks wheels, not installed files.
strip_debug_symbols() {
    local tool=strip
    if [ "$(dpkg --print-architecture)" != "$ARCH" ]; then
        case "$ARCH" in
            arm64) tool=aarch64-linux-gnu-strip ;;
            amd64) tool=x86_64-linux-gnu-strip ;;
        esac
    fi
    if ! command -v "$tool" >/dev/null; then
        say "not stripping debug symbols: $tool is missing (binutils for $ARCH)"
        return 0
    fi
    local count=0 file
    while IFS= read -r -d '' file; do
        # Not `readelf | grep -q`: grep leaving early fails readelf (SIGPIPE), and with
        # pipefail the test with it, for some files (seen: 10 of 92 left with their symbols).
        if [[ $(readelf -S "$file" 2>/dev/null) == *.debug_info* ]]; then
            "$tool" --strip-debug "$file" && count=$((count + 1))
        fi
    done < <(find "$1" -type f -name '*.so*' -print0)
    say "debug symbols stripped from $count compiled modules"
}

# mmdebstrap for ARCH from those sources; extra args after the first two.
debian_root() {
    local target=$1 packages=$2
    shift 2
    mmdebstrap --variant=apt --mode=root --architectures="$ARCH" "${SLIM[@]}" \
        --include="$packages" "$@" "$SUITE" "$target" "${SOURCES[@]}"
}

# The initramfs made once, at the end, not at each package that asks for it (each run
# takes minutes under emulation): update-initramfs is a no-op while packages install.
KERNEL_HOOKS=()
if [ "$KERNEL" -eq 1 ]; then
    KERNEL_HOOKS+=(--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"')
    if [ "$ARCH" = arm64 ]; then
        # The Pi's firmware reads config.txt and cmdline.txt from the boot partition;
        # raspi-firmware writes them from these when the initramfs is made. "ro" last
        # in the extra command line: the kernel takes the last of rw/ro.
        KERNEL_HOOKS+=(--customize-hook="upload $REPO/images/raspi/raspi-firmware /etc/default/raspi-firmware")
        KERNEL_HOOKS+=(--customize-hook="upload $REPO/images/raspi/raspi-extra-cmdline /etc/default/raspi-extra-cmdline")
        # The Pi 5: the drivers for its SD card and USB in the initramfs. Its firmware boots
        # only an unpacked kernel, which Debian's arm64 vmlinuz is (an Image with an EFI
        # stub, checked by the boot test): the same config.txt serves both boards.
        KERNEL_HOOKS+=(--customize-hook="upload $REPO/images/raspi/initramfs-modules /etc/initramfs-tools/modules")
    fi
    KERNEL_HOOKS+=(--customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs && chroot "$1" update-initramfs -c -k all')
fi

rm -rf "$ROOT"
say "root filesystem (Debian 13 $ARCH, ${#PACKAGES[@]} packages)"
debian_root "$ROOT" "$(IFS=,; echo "${PACKAGES[*]}")" --format=directory "${KERNEL_HOOKS[@]}" \
    >"$OUT/mmdebstrap.log" 2>&1 || { tail -20 "$OUT/mmdebstrap.log" >&2; exit 1; }
if [ "$KERNEL" -eq 1 ] && [ "$ARCH" = arm64 ]; then
    grep -q "root=LABEL=kiosk-root" "$ROOT/boot/firmware/cmdline.txt" \
        || { echo "raspi-firmware did not write the Pi's cmdline.txt" >&2; exit 1; }
fi

say "units, users, directories, device rules"
install -m 0644 "$REPO"/systemd/*.service "$REPO"/systemd/*.timer "$ROOT/usr/lib/systemd/system/"
install -m 0644 "$REPO/systemd/sysusers.d/palvelupiste.conf" "$ROOT/usr/lib/sysusers.d/"
install -m 0644 "$REPO/systemd/tmpfiles.d/palvelupiste.conf" "$ROOT/usr/lib/tmpfiles.d/"
install -m 0644 "$REPO/systemd/udev/70-palvelupiste.rules" "$ROOT/usr/lib/udev/rules.d/"
install -D -m 0755 -t "$ROOT/usr/lib/palvelupiste" "$REPO"/systemd/libexec/*
install -d "$ROOT/etc/pipewire/pipewire.conf.d"
install -m 0644 "$REPO/systemd/pipewire/palvelupiste-echo-cancel.conf" "$ROOT/etc/pipewire/pipewire.conf.d/"
# The sound server when something first asks for it (a call, speech), through its
# sockets, not at every login: started with the kiosk user's session, PipeWire, its
# PulseAudio server, WirePlumber and filter-chain took the CPU while cage and the UI
# started (and filter-chain has nothing to do here). WirePlumber still comes with PipeWire.
rm -f "$ROOT"/etc/systemd/user/default.target.wants/{pipewire,pipewire-pulse,filter-chain}.service
# SSH: sshd runs only for a technician's keys from the boot partition, key-only, as root
# (kiosk-ssh-keys.service); every kiosk makes its own host key, the image carries none.
install -d "$ROOT/etc/ssh/sshd_config.d" "$ROOT/etc/systemd/system/ssh.service.d"
install -m 0644 "$REPO/systemd/ssh/palvelupiste.conf" "$ROOT/etc/ssh/sshd_config.d/"
install -m 0644 "$REPO/systemd/ssh/ssh.service.conf" "$ROOT/etc/systemd/system/ssh.service.d/palvelupiste.conf"
rm -f "$ROOT"/etc/ssh/ssh_host_*
install -d "$ROOT/etc/polkit-1/rules.d"
install -m 0644 "$REPO/systemd/polkit/50-palvelupiste.rules" "$ROOT/etc/polkit-1/rules.d/"
# The image's own sysusers (Debian 12's cannot read Debian 13's packages' files: "u!").
chroot "$ROOT" systemd-sysusers >/dev/null
systemd-tmpfiles --root="$ROOT" --create "$ROOT/usr/lib/tmpfiles.d/palvelupiste.conf"
# What the packages' own tmpfiles rules want under /etc, done now: on the read-only root
# they cannot be done at boot (seen: polkit's rules directory mode failed there).
systemd-tmpfiles --root="$ROOT" --create --prefix=/etc >/dev/null 2>&1 || true

if [ "$SOFTWARE" -eq 1 ]; then
    VERSION=$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$REPO/contract/release.py")
    # The same lock (requirements/kiosk.lock, hashes checked), its wheels for Debian 13's
    # Python on $ARCH, and pyscard compiled there: in a throwaway build root (emulated
    # for another architecture than this machine's: slow).
    say "release bundle $VERSION, built in a Debian 13 $ARCH build root"
    BUILD_IN_ROOT='cd /build && python3 -m venv venv && venv/bin/pip install -q --require-hashes --no-deps -r source/requirements/kiosk.lock && venv/bin/pip install -q --no-deps ./source && venv/bin/python -m central.updates.cli build --version '"$VERSION"' --out /build/out --source /build/source'
    debian_root /dev/null python3-venv,python3-dev,gcc,swig,libpcsclite-dev,pkg-config,ca-certificates \
        --format=null \
        --customize-hook='mkdir -p "$1/build/source" "$1/build/out"' \
        --customize-hook="upload ${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt} /build/ca.crt" \
        --customize-hook="copy-in $REPO/contract $REPO/central $REPO/kiosk $REPO/hardware $REPO/provisioning $REPO/systemd $REPO/requirements $REPO/pyproject.toml /build/source" \
        --customize-hook="chroot \"\$1\" env -i PATH=/usr/bin:/bin HOME=/root PIP_CERT=/build/ca.crt sh -c '$BUILD_IN_ROOT'" \
        --customize-hook="copy-out /build/out/palvelupiste-$VERSION.tar $OUT" \
        >"$OUT/bundle.log" 2>&1 || { tail -20 "$OUT/bundle.log" >&2; exit 1; }
    FACTORY="$ROOT/opt/palvelupiste"
    mkdir -p "$FACTORY"
    tar -C "$FACTORY" -xf "$OUT/palvelupiste-$VERSION.tar" manifest.json units
    install -d "$ROOT/tmp/factory-wheels"
    tar -C "$ROOT/tmp/factory-wheels" -xf "$OUT/palvelupiste-$VERSION.tar" wheels
    # Without a pip of its own (the updater makes each new release's venv with one): pip
    # runs here from Debian's wheel of it.
    chroot "$ROOT" python3 -m venv --without-pip /opt/palvelupiste/venv
    chroot "$ROOT" sh -c 'set -- /usr/share/python-wheels/pip-*.whl && /opt/palvelupiste/venv/bin/python "$1/pip" install -q --no-index --no-deps /tmp/factory-wheels/wheels/*.whl' \
        >"$OUT/install.log" 2>&1 || { tail -20 "$OUT/install.log" >&2; exit 1; }
    # The wheels do not stay (150 MB of the image's download, which must stay under
    # 500 MB): the first update after the factory release comes as the full bundle (the
    # updater falls back to it when a delta's base wheels are missing); later ones, from
    # releases installed with their wheels, as deltas.
    rm -rf "$ROOT/tmp/factory-wheels"
    strip_debug_symbols "$ROOT/opt/palvelupiste/venv"
    # Complete: kiosk-update-boot adopts it as the first current and committed release.
    echo "$VERSION" >"$FACTORY/.installed"
    install -d "$FACTORY/src"
    cp -r "$REPO/docs" "$FACTORY/src/"
fi
if [ -n "$RELEASE_ROOT" ]; then
    install -D -m 0644 "$RELEASE_ROOT" "$ROOT/etc/palvelupiste/release-root.json"
fi

say "unattended security upgrades for the OS (root made writable for them only)"
cat >"$ROOT/etc/apt/apt.conf.d/20auto-upgrades" <<'APT'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT
cat >"$ROOT/etc/apt/apt.conf.d/52palvelupiste-unattended" <<'APT'
// Security updates only, and the kernel's updates where it comes from backports (the
// Raspberry Pi's: apt upgrades from backports only what was installed from there); never
// reboot by itself (the kiosk may be serving someone).
Unattended-Upgrade::Origins-Pattern {
    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
    "origin=Debian Backports,codename=${distro_codename}-backports,label=Debian Backports";
};
Unattended-Upgrade::Automatic-Reboot "false";
Unattended-Upgrade::MinimalSteps "true";
APT
for unit in apt-daily.service apt-daily-upgrade.service; do
    install -d "$ROOT/etc/systemd/system/$unit.d"
    cat >"$ROOT/etc/systemd/system/$unit.d/palvelupiste-writable-root.conf" <<'UNIT'
# The root filesystem is read-only: writable only while apt works, then read-only again.
[Service]
ExecStartPre=/bin/mount -o remount,rw /
ExecStopPost=/bin/mount -o remount,ro /
UNIT
done

say "read-only root, state on its own partition, logs in RAM"
# On a bootable disk the state partition grows to the disk on first boot (systemd-repart),
# and its file system with it when mounted.
STATE_GROWS=""
# Ordered after repart, not requiring it: a repart that fails leaves the partition as it
# was, and the kiosk must still come up with its state.
[ "$KERNEL" -eq 0 ] || STATE_GROWS=",x-systemd.after=systemd-repart.service,x-systemd.growfs"
cat >"$ROOT/etc/fstab" <<FSTAB
# The root is read-only: a power cut cannot corrupt it, and nothing a citizen does is
# written there. Everything that changes lives on the kiosk-state partition, which
# nothing runs from (noexec): the releases the updater installs have their own partition.
LABEL=kiosk-root   /               ext4   ro,noatime              0 1
LABEL=kiosk-state  /var/lib/kiosk  ext4   rw,noatime,nosuid,nodev,noexec$STATE_GROWS 0 2
tmpfs              /tmp            tmpfs  nosuid,nodev,size=256m  0 0
tmpfs              /var/tmp        tmpfs  nosuid,nodev,size=64m   0 0
# What the system's own services write on a read-only root, kept in RAM (found booting
# the image: without them logind cannot start, so no session, so no UI).
tmpfs              /var/log        tmpfs  nosuid,nodev,noexec,size=32m 0 0
tmpfs              /var/lib/systemd/linger   tmpfs nosuid,nodev,noexec,size=1m,mode=0755 0 0
tmpfs              /var/lib/systemd/timesync tmpfs nosuid,nodev,noexec,size=1m,mode=0755 0 0
FSTAB
install -d "$ROOT/var/lib/systemd/linger" "$ROOT/var/lib/systemd/timesync"
echo 'LANG=C.UTF-8' >"$ROOT/etc/default/locale"

say "network: DHCP on any wired or wireless interface, DNS through resolved, time by NTP"
install -d "$ROOT/etc/systemd/network"
cat >"$ROOT/etc/systemd/network/80-kiosk.network" <<'NETWORK'
[Match]
Name=en* eth* wl*

[Network]
DHCP=yes
NETWORK
ln -sf /run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
systemctl --root="$ROOT" enable systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service systemd-networkd-wait-online.service
# "Online" is one link up, for at most 30 s: a kiosk with one cable of two, or none,
# still comes up to its screen (it works offline).
install -d "$ROOT/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat >"$ROOT/etc/systemd/system/systemd-networkd-wait-online.service.d/palvelupiste.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
UNIT
# Two of Debian 13's units that fail at every boot on the read-only root, masked:
# networkd's move of its state to /var/lib/systemd/network (its leases stay in /run), and
# growing the root's file system (systemd-repart flags a root partition for growing, and
# Debian 13's gpt-auto-generator then asks for it; the root never grows).
systemctl --root="$ROOT" mask systemd-networkd-persistent-storage.service \
    systemd-growfs-root.service >/dev/null
install -d "$ROOT/etc/systemd/journald.conf.d"
cat >"$ROOT/etc/systemd/journald.conf.d/palvelupiste.conf" <<'JOURNAL'
# Logs in RAM, bounded: months of uptime never fill anything.
[Journal]
Storage=volatile
RuntimeMaxUse=64M
JOURNAL
# A new machine id on first boot (the image is copied to many kiosks).
: >"$ROOT/etc/machine-id"
# D-Bus reads the same id (its tmpfiles rule would make this link on the read-only root).
install -d "$ROOT/var/lib/dbus"
ln -sf /etc/machine-id "$ROOT/var/lib/dbus/machine-id"
echo kiosk >"$ROOT/etc/hostname"
# The box's time zone follows its site's: the agent points /run/kiosk-zone/localtime at it
# (tmpfiles makes it Helsinki at boot); the read-only root only points there.
ln -sf /run/kiosk-zone/localtime "$ROOT/etc/localtime"
rm -f "$ROOT/etc/timezone"

if [ "$KERNEL" -eq 1 ]; then
    say "first boot grows the state partition to the disk; the boot partition mounted"
    install -d "$ROOT/usr/lib/repart.d"
    for def in "$REPO"/images/repart.d/*.conf; do
        # The same partitions as the image, without their contents: repart on the kiosk
        # only grows the last one (no size limit) to the end of the disk.
        grep -v -e '^CopyBlocks=' "$def" >"$ROOT/usr/lib/repart.d/$(basename "$def")"
    done
    # And one the image does not carry: the releases partition, made on first boot.
    install -m 0644 "$REPO"/images/first-boot.repart.d/*.conf "$ROOT/usr/lib/repart.d/"
    install -d "$ROOT/etc/systemd/system/sysinit.target.wants"
    ln -sf /lib/systemd/system/systemd-repart.service "$ROOT/etc/systemd/system/sysinit.target.wants/"
    cat >>"$ROOT/etc/fstab" <<'FSTAB'
# The boot partition: the enrolment file comes here; never executable.
PARTLABEL=kiosk-boot /boot/firmware vfat rw,noexec,nosuid,nodev,umask=0077,nofail 0 2
# The releases the updater installs (each a Python venv: executable), made on first boot.
# Without it (a disk too small) the factory release on the root still runs.
PARTLABEL=kiosk-releases /var/lib/kiosk/releases ext4 rw,noatime,nosuid,nodev,nofail,x-systemd.after=systemd-repart.service,x-systemd.before=local-fs.target,x-systemd.device-timeout=30s 0 2
FSTAB
    install -d "$ROOT/boot/firmware"
fi

say "enable the kiosk's units"
systemctl --root="$ROOT" enable kiosk-firstboot.service kiosk-update-boot.service \
    kiosk-agent.service kiosk-ui.service kiosk-update.timer kiosk-ssh-keys.service ssh.service
systemctl --root="$ROOT" set-default graphical.target
# No login anywhere: not on the screen's consoles (cage holds tty1), not on the serial
# console (systemd would start a getty there for console=ttyS0). A technician reads the
# serial console's log; nobody logs in on it.
systemctl --root="$ROOT" mask getty@.service serial-getty@.service autovt@.service \
    console-getty.service >/dev/null

if [ "$TAR" -eq 1 ]; then
    say "palvelupiste-rootfs.tar.gz"
    tar -C "$ROOT" --numeric-owner -czf "$OUT/palvelupiste-rootfs.tar.gz" .
fi
say "done: $ROOT ($(du -sh "$ROOT" | cut -f1))"
