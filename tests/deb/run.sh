#!/bin/bash
# tests/deb/run.sh - `make check-deb`: the Debian package in a booted
# Debian 12 container.  Builds miniftpd_<version>_amd64.deb (scripts/mkdeb.sh,
# lintian clean) and the same tree as <version>+1, makes or reuses the root
# build/deb-root (tests/nspawn/mkroot.sh), boots a copy of it
# (tests/nspawn/nspawn.sh) and checks there: install, serve, upgrade over a
# running server, remove, purge, and a second install over the accounts
# the first one left.  Needs root, mmdebstrap and systemd-nspawn.
# Ends with one summary line: "check-deb: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/nspawn/nspawn.sh

ROOT_CACHE=${DEB_ROOT:-build/deb-root}
RUN=build/deb-run
pass=0 fail=0
t0=$(date +%s)

ok()   { pass=$((pass + 1)); echo "  ok    $*"; }
bad()  { fail=$((fail + 1)); echo "  FAIL  $*"; }
# check DESCRIPTION CMD... - CMD inside the container must succeed
check() { d=$1; shift; if out=$(ns_run "$@" 2>&1); then ok "$d"; else bad "$d"; printf '%s\n' "$out" | sed 's/^/        /' | tail -n 15; fi; }
# check_not DESCRIPTION CMD... - CMD inside the container must fail
check_not() { d=$1; shift; if out=$(ns_run "$@" 2>&1); then bad "$d"; printf '%s\n' "$out" | sed 's/^/        /' | tail -n 15; else ok "$d"; fi; }
sh_in() { ns_run sh -c "$1"; }
# start_load OUT N MAXTIME PAUSE: in the background, a slow download of
# /pub/big into OUT (its curl status in /tmp/slow.rc) and N connections one
# after another, each of at most MAXTIME s, PAUSE s apart ("N FAILED" in
# /tmp/probe.out); sets $slow and $probe to their PIDs for `wait`.
start_load() {
	sh_in "curl -sS --max-time 90 -o $1 ftp://127.0.0.1/pub/big; echo \$? > /tmp/slow.rc" \
		>/dev/null 2>&1 &
	slow=$!
	sh_in "n=0; f=0; while [ \$n -lt $2 ]; do curl -sS --max-time $3 ftp://127.0.0.1/pub/hello.txt | grep -qx hello || f=\$((f+1)); n=\$((n+1)); sleep $4; done; echo \"\$n \$f\" > /tmp/probe.out" \
		>/dev/null 2>&1 &
	probe=$!
	sleep 1
}
step() { echo "== $* ($(( $(date +%s) - t0 )) s)"; }
# socket_units: the names of the package's socket units, one a line
socket_units() { sh_in 'dpkg -L miniftpd | sed -n "s|^/lib/systemd/system/\(.*\.socket\)$|\1|p"'; }
# port21_socket YES|NO: the package's socket unit on port 21 with Accept=$1
port21_socket() {
	sh_in "cd /lib/systemd/system && grep -l '^Accept=$1' $(socket_units | tr '\n' ' ') | xargs grep -l '^ListenStream=21\$' | head -n 1"
}
finish() {
	ns_stop
	echo "check-deb: $pass passed, $fail failed ($(( $(date +%s) - t0 )) s)"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}
trap finish EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "check-deb: skipped: needs root (systemd-nspawn, dpkg in a container)"
	trap - EXIT; exit 0
fi

arch=$(dpkg --print-architecture)
version=$(sed -n 's/^#define MINIFTPD_VERSION[[:space:]]*"\(.*\)"/\1/p' include/defs.h)
up="$version+1"
deb="miniftpd_${version}_$arch.deb"
updeb="miniftpd_${up}_$arch.deb"

step "build $deb and $updeb"
# DEB_REUSE=1: take the packages a previous run left (while editing this test)
if [ -n "${DEB_REUSE:-}" ] && [ -f build/deb/"$deb" ] && [ -f build/deb-up/"$updeb" ]; then
	echo "  reusing build/deb/$deb and build/deb-up/$updeb (DEB_REUSE)"
else
	sh scripts/mkdeb.sh build/deb >/dev/null || { bad "make deb (build, lintian)"; exit 1; }
	ok "$deb built, lintian clean"
	sh scripts/mkdeb.sh --version "$up" build/deb-up >/dev/null || { bad "build $updeb"; exit 1; }
	ok "$updeb built, lintian clean"
fi

step "root $ROOT_CACHE"
# Neither the root nor the boot involves the package: when the machine
# cannot make one (no network) or boot it (no privilege for namespaces),
# the container tests are skipped, not failed.
skip() { trap - EXIT; ns_stop; echo "check-deb: skipped the container tests: $* ($pass passed before)"; exit 0; }
sh tests/nspawn/mkroot.sh "$ROOT_CACHE" || skip "could not make the Debian 12 root (mmdebstrap, network?)"
step "boot a copy"
ns_boot "$ROOT_CACHE" "$RUN" || skip "could not boot it with systemd-nspawn ($RUN/console.log)"
# the packages go in through the copy's file system
# (/root: systemd mounts a tmpfs on /tmp)
cp build/deb/"$deb" build/deb-up/"$updeb" "$RUN/root/root/"
ok "container up (init pid $NS_INIT)"

no_failed_units() { check "no failed unit ($1)" sh -c 'test -z "$(systemctl --failed --no-legend --plain)" || { systemctl --failed --no-legend --plain; exit 1; }'; }
nothing_on_21() { check "nothing listens on port 21 ($1)" sh -c '! ss -Hltn "sport = :21" | grep -q .'; }

# ---------------------------------------------------------------- install
step "install"
check "dpkg -i $deb" sh -c "dpkg -i /root/$deb </dev/null"
check "status: install ok installed, $version" sh -c \
	"test \"\$(dpkg-query -W -f='\${Status} \${Version}' miniftpd)\" = 'install ok installed $version'"
check "account miniftpd: system, no shell, no home" sh -c \
	'IFS=: read -r n x uid gid g home shell <<E
$(getent passwd miniftpd)
E
test "$uid" -lt 1000 && test "$home" = /nonexistent && test "$shell" = /usr/sbin/nologin && test ! -e /nonexistent && getent group miniftpd'
check "no password for either account" sh -c \
	'for a in miniftpd ftp; do p=$(getent shadow $a | cut -d: -f2); case $p in "*"|"!"*) ;; *) echo "$a: $p"; exit 1;; esac; done'
check "account ftp: system, home /srv/ftp" sh -c \
	'test "$(getent passwd ftp | cut -d: -f6,7)" = /srv/ftp:/usr/sbin/nologin && test "$(id -u ftp)" -lt 1000'
check "/srv/ftp: root:ftp 0755" sh -c 'test "$(stat -c "%U:%G %a" /srv/ftp)" = "root:ftp 755"'
check "/run/miniftpd/empty: root's, empty (secure_chroot_dir)" sh -c \
	'test "$(stat -c "%U %a" /run/miniftpd/empty)" = "root 755" && test -z "$(ls -A /run/miniftpd/empty)"'
check "conffiles: /etc/miniftpd.conf and the xinetd entry" sh -c \
	"dpkg-query -W -f='\${Conffiles}\n' miniftpd | awk 'NF {print \$1}' | sort | tr '\n' ' ' | grep -qx '/etc/miniftpd.conf /etc/xinetd.d/miniftpd '"
check "the units name /usr/sbin and /etc/miniftpd.conf" sh -c \
	'! grep -l /usr/local $(dpkg -L miniftpd | grep "^/lib/systemd/system/") /etc/xinetd.d/miniftpd'
socks=$(socket_units | tr '\n' ' ')
check "every socket unit installed disabled and inactive" sh -c \
	'[ $# -gt 0 ] || exit 1; for u; do
		s=$(systemctl is-enabled "$u"); a=$(systemctl is-active "$u")
		echo "$u: $s $a"; [ "$s" = disabled ] && [ "$a" = inactive ] || exit 1; done' sh $socks
nothing_on_21 "after install"
check "miniftpd -t /etc/miniftpd.conf" miniftpd -t /etc/miniftpd.conf
no_failed_units "after install"

# ------------------------------------------------------------------ serve
# The per-connection socket (Accept=yes, port 21), whatever its name.
ftpsock=$(port21_socket yes)
step "serve ($ftpsock)"
[ -n "$ftpsock" ] || { bad "no Accept=yes socket unit in the package"; exit 1; }
check "enable anonymous_enable in /etc/miniftpd.conf" sh -c \
	'sed -i "s/^#anonymous_enable=NO$/anonymous_enable=YES/" /etc/miniftpd.conf && grep -qx anonymous_enable=YES /etc/miniftpd.conf && miniftpd -t /etc/miniftpd.conf'
check "a file to serve (/srv/ftp/pub/big, 4 MiB)" sh -c \
	'mkdir -p /srv/ftp/pub && head -c 4194304 /dev/urandom > /srv/ftp/pub/big && echo hello > /srv/ftp/pub/hello.txt'
# The first and only command a user types (issue 18): the FTP socket alone
# brings limitd.socket with it ([Install] Also=, Wants=).
check "systemctl enable --now $ftpsock (alone)" systemctl enable --now "$ftpsock"
check "limitd.socket enabled and listening with it" sh -c \
	'systemctl is-enabled --quiet limitd.socket && systemctl is-active --quiet limitd.socket'
check "systemctl status $ftpsock names miniftpd" sh -c "systemctl status --no-pager $ftpsock | grep -q miniftpd"
check "anonymous LIST" sh -c 'curl -sS --max-time 20 ftp://127.0.0.1/pub/ | grep -q "hello.txt"'
check "anonymous RETR, same bytes" sh -c \
	'curl -sS --max-time 20 -o /tmp/big.1 ftp://127.0.0.1/pub/big && cmp /tmp/big.1 /srv/ftp/pub/big'
check "limitd.service was started by its socket" systemctl is-active limitd.service
no_failed_units "serving"

# ---------------------------------------------------------------- upgrade
step "upgrade to $up under load"
sock_since=$(ns_run systemctl show -P ActiveEnterTimestampMonotonic "$ftpsock")
limitd_id=$(ns_run systemctl show -P InvocationID limitd.service)
# A slow download in flight through the upgrade (4 MiB at anon_max_rate
# 256 KiB/s, 16 s: dpkg takes about 8), and new connections one after
# another all along it.
check "anon_max_rate=262144 for the next sessions" sh -c \
	'sed -i "s/^#anon_max_rate=0$/anon_max_rate=262144/" /etc/miniftpd.conf && grep -qx anon_max_rate=262144 /etc/miniftpd.conf'
start_load /tmp/big.2 25 10 0.2
check "dpkg -i $updeb over the running server" sh -c "dpkg -i /root/$updeb </dev/null"
if kill -0 "$slow" 2>/dev/null; then ok "the download was still in flight when dpkg ended"
else bad "the download ended before dpkg did: the upgrade was not under load"; fi
wait "$slow" "$probe"
check "status: install ok installed, $up" sh -c \
	"test \"\$(dpkg-query -W -f='\${Status} \${Version}' miniftpd)\" = 'install ok installed $up'"
check "the download in flight finished, same bytes" sh -c \
	'test "$(cat /tmp/slow.rc)" = 0 && cmp /tmp/big.2 /srv/ftp/pub/big'
check "25 connections during the upgrade, none refused" sh -c \
	'cat /tmp/probe.out; test "$(cat /tmp/probe.out)" = "25 0"'
if [ -n "$sock_since" ] && [ "$sock_since" != 0 ] &&
   [ "$(ns_run systemctl show -P ActiveEnterTimestampMonotonic "$ftpsock")" = "$sock_since" ]; then
	ok "$ftpsock kept open (not restarted)"; else bad "$ftpsock was restarted"; fi
if [ -n "$limitd_id" ] && [ "$(ns_run systemctl show -P InvocationID limitd.service)" != "$limitd_id" ]; then
	ok "limitd.service restarted (runs the new binary)"; else bad "limitd.service not restarted"; fi
check "$ftpsock still enabled, limitd.socket too" systemctl is-enabled --quiet "$ftpsock" limitd.socket
check "the changed conffile kept" grep -qx anonymous_enable=YES /etc/miniftpd.conf
check "LIST and RETR after the upgrade" sh -c \
	'curl -sS --max-time 20 ftp://127.0.0.1/pub/ | grep -q big && test "$(curl -sS --max-time 20 ftp://127.0.0.1/pub/hello.txt)" = hello'
no_failed_units "after the upgrade"

# ------------------------------------------- upgrade, the resident listener
# The Accept=no socket on port 21, whatever its name.
lsock=$(port21_socket no)
lsvc=${lsock%.socket}.service
step "reinstall under load with the resident listener ($lsock)"
if [ -z "$lsock" ]; then bad "no Accept=no socket on port 21 in the package"; else
check "switch to $lsock" sh -c "systemctl disable --now $ftpsock && systemctl enable --now $lsock"
check "RETR through $lsvc" sh -c 'test "$(curl -sS --max-time 20 ftp://127.0.0.1/pub/hello.txt)" = hello'
lsvc_id=$(ns_run systemctl show -P InvocationID "$lsvc")
start_load /tmp/big.4 10 60 0.5
check "dpkg -i $updeb again over the running listener" sh -c "dpkg -i /root/$updeb </dev/null"
wait "$slow" "$probe"
check "the download in flight finished, same bytes" sh -c \
	'test "$(cat /tmp/slow.rc)" = 0 && cmp /tmp/big.4 /srv/ftp/pub/big'
check "10 connections during it, none refused (held while the listener stopped)" sh -c \
	'cat /tmp/probe.out; test "$(cat /tmp/probe.out)" = "10 0"'
if [ -n "$lsvc_id" ] && [ "$(ns_run systemctl show -P InvocationID "$lsvc")" != "$lsvc_id" ]; then
	ok "$lsvc restarted (runs the new binary)"; else bad "$lsvc not restarted"; fi
check "RETR after it" sh -c 'test "$(curl -sS --max-time 20 ftp://127.0.0.1/pub/hello.txt)" = hello'
no_failed_units "after the listener's upgrade"
fi

# ----------------------------------------------------------------- remove
step "remove"
check "dpkg -r miniftpd" sh -c 'dpkg -r miniftpd </dev/null'
check "status: deinstall ok config-files" sh -c \
	"test \"\$(dpkg-query -W -f='\${Status}' miniftpd)\" = 'deinstall ok config-files'"
check "binaries and units gone" sh -c \
	'for f in /usr/sbin/miniftpd /usr/sbin/limitd /lib/systemd/system/limitd.socket "/lib/systemd/system/$1"; do
		[ ! -e "$f" ] || { echo "$f is left"; exit 1; }; done' sh "$ftpsock"
check "every socket stopped ($socks)" sh -c 'for u; do ! systemctl is-active --quiet "$u" || exit 1; done' sh $socks
nothing_on_21 "after remove"
check "conffiles kept" test -f /etc/miniftpd.conf -a -f /etc/xinetd.d/miniftpd
no_failed_units "after remove"

# ------------------------------------------------------------------ purge
step "purge"
ns_run rm -rf /srv/ftp/pub
check "dpkg -P miniftpd" sh -c 'dpkg -P miniftpd </dev/null'
check "status: not installed" sh -c '! dpkg-query -W -f="\${Status}" miniftpd 2>/dev/null | grep -q installed'
check "conffiles gone" sh -c '! ls /etc/miniftpd.conf /etc/xinetd.d/miniftpd 2>/dev/null | grep .'
check "/srv/ftp (made by postinst, empty) gone" test ! -e /srv/ftp
check "/run/miniftpd and /var/lib/miniftpd gone" test ! -e /run/miniftpd -a ! -e /var/lib/miniftpd
check "no enablement link left" sh -c \
	'! find /etc/systemd/system -name "*miniftpd*" -o -name "limitd*" -o -name "'"$ftpsock"'" | grep .'
check "no deb-systemd-helper state left" sh -c \
	'! grep -rl "limitd\|miniftpd" /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked 2>/dev/null | grep .'
check "accounts miniftpd and ftp kept (README.Debian)" sh -c 'getent passwd miniftpd && getent passwd ftp'
no_failed_units "after purge"

# ------------------------------------------------ install over old accounts
step "install again over the accounts left"
ns_run sh -c 'touch /srv/keep; mkdir -p /srv/ftp; echo mine > /srv/ftp/mine'
check "dpkg -i $deb again" sh -c "dpkg -i /root/$deb </dev/null"
check "the existing accounts reused" sh -c 'test "$(getent passwd miniftpd | wc -l)" = 1 && test "$(getent passwd ftp | wc -l)" = 1'
check "dpkg -P miniftpd again" sh -c 'dpkg -P miniftpd </dev/null'
check "an /srv/ftp postinst did not make stays" test -f /srv/ftp/mine
no_failed_units "at the end"
