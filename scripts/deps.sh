#!/bin/sh
# deps.sh - make sure the Debian packages miniftpd builds and tests with are
# installed: install the missing ones when run as root, otherwise name them
# in one line and fail.
set -u

BUILD_PKGS="gcc make pkg-config libc6-dev libcap-dev libcrypt-dev libsystemd-dev libseccomp-dev libcmocka-dev libssl-dev"
TEST_PKGS="python3 python3-pytest curl lftp openssl xinetd systemd passwd iproute2 procps util-linux mandoc man-db strace valgrind vsftpd"
EXTRA_PKGS="${EXTRA_PKGS:-}"

missing=""
for p in $BUILD_PKGS $TEST_PKGS $EXTRA_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (as root: apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/miniftpd-apt.log 2>&1; then
	apt-get update -q >>/tmp/miniftpd-apt.log 2>&1
	apt-get install -y -q --no-install-recommends $missing >>/tmp/miniftpd-apt.log 2>&1 || {
		echo "deps: apt-get install failed, see /tmp/miniftpd-apt.log" >&2
		tail -n 20 /tmp/miniftpd-apt.log >&2
		exit 1
	}
fi
