#!/bin/sh
# mkroot.sh ROOT [PACKAGE...] - make the minimal Debian 12 root the nspawn
# tests boot (tests/nspawn/nspawn.sh), unless ROOT already holds one made
# with the same package list.  The root is a cache: a test never changes it,
# it boots a copy (nspawn.sh copy).  Needs root and mmdebstrap; fetches from
# deb.debian.org (bookworm, bookworm-updates, bookworm-security).
#
# Always in the root: systemd (booted as PID 1 by systemd-nspawn -b), the
# libraries miniftpd and limitd link (so that a .deb installs with dpkg -i
# inside a container without network), adduser, curl, iproute2, procps.
# PACKAGE... adds more (e.g. lftp python3).
# MKROOT_TIMEOUT (seconds, default 900) bounds mmdebstrap: a root with a
# kernel (tests/ktls) runs mkinitramfs twice, minutes on a loaded machine.
set -eu
root=${1:?usage: mkroot.sh ROOT [PACKAGE...]}
shift
base="systemd,systemd-sysv,adduser,curl,iproute2,procps,libcap2,libcrypt1,libssl3,libseccomp2,libsystemd0,libhiredis0.14,ca-certificates"
pkgs=$base
for p in "$@"; do pkgs="$pkgs,$p"; done
stamp="$root.pkgs"

if [ -x "$root/lib/systemd/systemd" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkgs" ]; then
	echo "mkroot: reusing $root"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mkroot: mmdebstrap is missing" >&2; exit 1; }
rm -rf "$root" "$root.tmp" "$stamp"
mkdir -p "$(dirname "$root")"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# --variant=minbase: essential packages and apt; no recommends.
timeout "${MKROOT_TIMEOUT:-900}" mmdebstrap --quiet --variant=minbase --include="$pkgs" \
	--customize-hook='echo miniftpd-test > "$1/etc/hostname"' \
	--customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
	bookworm "$root.tmp" \
	"deb $mirror bookworm main" \
	"deb $mirror bookworm-updates main" \
	"deb $security bookworm-security main"
mv "$root.tmp" "$root"
echo "$pkgs" > "$stamp"
echo "mkroot: made $root"
