#!/bin/sh
# deps.sh - make sure the Debian packages miniftpd builds and tests with are
# installed: install the missing ones when run as root, otherwise name them
# in one line and fail.  Arguments add package sets: deb (make deb),
# nspawn (the tests in a booted Debian 12 container), ktls (make check-ktls:
# Debian 12's kernel under qemu, software emulation).
set -u

BUILD_PKGS="gcc make pkg-config libc6-dev libcap-dev libcrypt-dev libsystemd-dev libseccomp-dev libcmocka-dev libssl-dev libpam0g-dev libhiredis-dev"
TEST_PKGS="python3 python3-pytest curl lftp openssl xinetd systemd passwd iproute2 procps util-linux mandoc man-db strace valgrind tnftp filezilla xvfb xdotool vsftpd redis-server"
EXTRA_PKGS="${EXTRA_PKGS:-}"
# Only for `make deb` (deps.sh deb), the container tests (deps.sh nspawn)
# and the kernel TLS VM (deps.sh ktls).
DEB_PKGS="debhelper dpkg-dev lintian"
NSPAWN_PKGS="mmdebstrap systemd-container"
KTLS_PKGS="mmdebstrap qemu-system-x86 e2fsprogs"
for set in "$@"; do
	case $set in
	deb) EXTRA_PKGS="$EXTRA_PKGS $DEB_PKGS" ;;
	nspawn) EXTRA_PKGS="$EXTRA_PKGS $NSPAWN_PKGS" ;;
	ktls) EXTRA_PKGS="$EXTRA_PKGS $KTLS_PKGS" ;;
	*) echo "deps: unknown package set $set (deb, nspawn, ktls)" >&2; exit 2 ;;
	esac
done

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
# Test packages such as vsftpd and xinetd would start their daemons (vsftpd on
# port 21) at install: forbid that for this install only, unless the machine
# already has a policy.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# deps.sh: no daemon starts while miniftpd installs its packages\nexit 101\n' >$policy
	chmod 755 $policy
	trap 'rm -f $policy' EXIT
fi
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/miniftpd-apt.log 2>&1; then
	apt-get update -q >>/tmp/miniftpd-apt.log 2>&1
	apt-get install -y -q --no-install-recommends $missing >>/tmp/miniftpd-apt.log 2>&1 || {
		echo "deps: apt-get install failed, see /tmp/miniftpd-apt.log" >&2
		tail -n 20 /tmp/miniftpd-apt.log >&2
		exit 1
	}
fi
