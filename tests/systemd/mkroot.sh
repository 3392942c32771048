#!/bin/sh
# mkroot.sh DIR - the Debian 12 root that `make check-systemd` boots with
# systemd-nspawn, made once with mmdebstrap and cached in DIR (build/nspawn/root).
#
# DIR/.stamp records what it was made from (suite, mirror, packages); a root
# whose stamp matches is reused as it is, any other is made again.  The root
# is only ever copied by the tests, never changed.  The packages: systemd as
# init, dbus for systemctl, the libraries miniftpd and limitd link
# (libcap2, libcrypt1, libssl3, libsystemd0; ldd build/rel/*), passwd for
# useradd and chpasswd, curl as the client, iproute2 and procps to look
# around.  The mirror is the first Debian one this machine's apt uses.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
suite=bookworm
pkgs=systemd,systemd-sysv,dbus,libcap2,libcrypt1,libssl3,libsystemd0,passwd,curl,iproute2,procps

mirror=$(grep -rhsE '^(deb |URIs:)' /etc/apt/sources.list /etc/apt/sources.list.d/ |
	grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}
stamp="suite=$suite mirror=$mirror packages=$pkgs"

if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
	echo "check-systemd: reusing the cached root $dir"
	exit 0
fi
echo "check-systemd: making the Debian 12 root $dir with mmdebstrap ($mirror)"
rm -rf "$dir" "$dir.tmp"
mkdir -p "$(dirname "$dir")"
if ! timeout 600 mmdebstrap --quiet --variant=essential --include="$pkgs" \
	--customize-hook='echo miniftpd-systemd > "$1/etc/hostname"' \
	--customize-hook=': > "$1/etc/machine-id"' \
	"$suite" "$dir.tmp" "$mirror" > "$dir.log" 2>&1; then
	tail -n 20 "$dir.log" >&2
	echo "check-systemd: mmdebstrap failed (log: $dir.log)" >&2
	rm -rf "$dir.tmp"
	exit 1
fi
echo "$stamp" > "$dir.tmp/.stamp"
mv "$dir.tmp" "$dir"
