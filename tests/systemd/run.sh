#!/bin/bash
# tests/systemd/run.sh - `make check-systemd`: the installed units under a
# live systemd (issue 18).  Builds, makes or reuses the Debian 12 root
# check-deb uses (build/deb-root, tests/nspawn/mkroot.sh: the same package
# list, so one cache serves both), boots it under a tmpfs overlay (a copy on
# write: tests/nspawn/nspawn.sh, NS_OVERLAY), runs `make install
# DESTDIR=/proc/<its init>/root` (the from-source install: /usr/local/sbin,
# /lib/systemd/system, into the overlay, never into the cache) and checks
# there, each group named in brackets:
#
#   [enable]     systemctl enable --now limitd.socket ftp.socket; port 21
#   [transfer]   curl LIST/STOR/RETR as a local user and anonymously
#   [sessions]   5 held sessions in limitd --status and --json, 5 ftp@ units
#   [journal]    the FTP_* journal fields of a session (-o json, -o verbose)
#   [security]   systemd-analyze security of every installed service unit
#   [max_per_ip] max_per_ip=2: the third session gets 421
#   [restart]    restarting limitd.service, then limitd.socket, with 5
#                sessions held: they register again
#   [limitd-down] stopped limitd comes back (Wants=); masked: limitd_fail=
#                open admits (logged), closed refuses with 421
#   [listener]   miniftpd-listener.socket serves; reload re-reads the
#                configuration for new sessions, an old one stays up; a
#                download in progress completes through its stop
#   [ftps]       ftps.socket (implicit, 990), AUTH TLS on ftp.socket,
#                ftps-listener.socket
#   [stop]       stopping ftp.socket, then a session's unit, during a
#                rate-limited download: the transfer ends complete (xferlog);
#                past shutdown_timeout it is aborted with 426, the client
#                holding a prefix and xferlog an incomplete line
#   [end]        no failed unit, the system "running"
#
# The clients are the root's own curl and bash (/dev/tcp: hold.sh); JSON is
# read on the host (jmatch.py, python3).  Needs root, mmdebstrap and
# systemd-nspawn; prints the time of each step and ends with one line:
# "check-systemd: N passed, M failed (...)".  build/systemd-run keeps the
# container's console and the install log.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/nspawn/nspawn.sh

ROOT_CACHE=${DEB_ROOT:-build/deb-root}
NS_OVERLAY=1	# boot the cache under a tmpfs overlay: nothing to copy or delete
RUN=build/systemd-run
BUILD=${BUILD:-build/rel}
pass=0 fail=0 failed= group=
t0=$(date +%s) t_root= t_boot= cached=cold
PY=/usr/bin/python3
CONF=/etc/miniftpd.conf

# each line ends with the seconds since the start
ok()   { pass=$((pass + 1)); echo "  ok    [$group] $* ($(elapsed))"; }
bad()  { fail=$((fail + 1)); failed="$failed [$group] $*;"; echo "  FAIL  [$group] $* ($(elapsed))"; }
indent() { sed 's/^/        /' | tail -n "${1:-15}"; }
# check DESCRIPTION CMD... - CMD inside the container must succeed
check() { d=$1; shift; if out=$(ns_run "$@" 2>&1); then ok "$d"; else bad "$d"; printf '%s\n' "$out" | indent; fi; }
sh_in() { ns_run sh -c "$1"; }
# check_sh DESCRIPTION SCRIPT - the same with a shell script
check_sh() { check "$1" sh -c "$2"; }
# check_host DESCRIPTION CMD... - CMD on the host (it reads the container)
check_host() { d=$1; shift; if out=$("$@" 2>&1); then ok "$d"; else bad "$d"; printf '%s\n' "$out" | indent; fi; }
elapsed() { echo $(( $(date +%s) - t0 )); }
section() { group=$1; echo "== $group: $2 ($(elapsed) s)"; }

# conf KEY=VALUE... - set options in /etc/miniftpd.conf (KEY= alone: drop
# it), then miniftpd -t; one shell in the container
conf() {
	script=
	for kv; do
		k=${kv%%=*} v=${kv#*=}
		script="$script sed -i '/^$k=/d' $CONF &&"
		[ -n "$v" ] && script="$script echo '$kv' >> $CONF &&"
	done
	sh_in "$script miniftpd -t $CONF >/dev/null"
}

# hold TAG N [USER PASS PORT] - N sessions logged in and held (hold.sh) in
# the background; waits up to 15 s for them.  release TAG ends them.
hold() {
	ns_run_t 180 bash /root/hold.sh "$@" >/dev/null 2>&1 &
	eval "HOLD_$1=$!"
	i=0
	while [ $i -lt 150 ]; do
		r=$(sh_in "cat /run/hold.$1.ready 2>/dev/null")
		[ -n "$r" ] && break
		sleep 0.1; i=$((i + 1))
	done
	[ "$r" = "$2 up" ] || { echo "hold $1: ${r:-nothing after 15 s}"; return 1; }
}
release() {
	sh_in "rm -f /run/hold.$1"
	eval "p=\${HOLD_$1:-}"
	[ -n "$p" ] && wait "$p"
	eval "HOLD_$1="
}
# held_alive TAG N - after release: each of the N held sessions answered NOOP
held_alive() { sh_in "test \"\$(grep -c '^noop 200\$' /run/hold.$1.log)\" = $2 && grep -qx done /run/hold.$1.log" || { sh_in "cat /run/hold.$1.log" | tail -n 8; return 1; }; }

# status_field EXPR - a value of `limitd --status --json` (Python expression over j)
status_field() {
	ns_run limitd --status --json | $PY -c "import json, sys; j = json.load(sys.stdin); print($1)"
}
# json_check PYTHON - asserts over j, `limitd --status --json`
json_check() {
	ns_run limitd --status --json | $PY -c "import json, sys
j = json.load(sys.stdin)
$1"
}
# wait_sessions N OLDPID - until limitd (not OLDPID) counts N sessions, 10 s at most
wait_sessions() {
	i=0
	while [ $i -lt 100 ]; do
		got=$(status_field '"%d %d" % (j["pid"], j["totals"]["sessions"])' 2>/dev/null)
		[ -n "$got" ] && [ "${got% *}" != "$2" ] && [ "${got#* }" = "$1" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "limitd pid and sessions: ${got:-no answer} (want a pid other than $2, $1 sessions)"
	return 1
}
# journal_has SINCE COND... - a journal record since SINCE (epoch s) meets COND... (jmatch.py)
journal_has() {
	since=$1; shift
	ns_run journalctl -q -o json --no-pager --since "@$since" | $PY tests/systemd/jmatch.py "$@"
}
now_in() { ns_run date +%s; }
# curl_in ARGS... - curl in the container, at most 30 s
curl_in() { ns_run curl -sS --max-time 30 "$@"; }
# greeting URL - the first reply of a connection (curl -v), e.g. "421 ..."
greeting() { ns_run curl -sv --max-time 10 "$1" 2>&1 | sed -n 's/^< //p' | head -n 1 | tr -d '\r'; }

# slow_download OUT: in the background, RETR /pub/slow (rate-limited by
# the caller) into OUT, curl's status into OUT.rc; returns once bytes arrive
# (5 s at most); $slow is its pid for `wait`.
slow_download() {
	sh_in "curl -sS --max-time 60 -o $1 ftp://127.0.0.1/pub/slow 2>$1.err; echo \$? > $1.rc" >/dev/null 2>&1 &
	slow=$!
	i=0
	while [ $i -lt 50 ]; do
		sh_in "test -s $1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "the download did not start"
	return 1
}
# in_flight OUT: slow_download OUT has not ended yet (checked)
in_flight() { check_sh "a download in flight" "test ! -e $1.rc"; }
xfer_lines() { sh_in 'wc -l < /var/log/xferlog 2>/dev/null || echo 0'; }

finish() {
	# background clients still running (jobs: never a pid reused since)
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	t_checks=$(elapsed)
	ns_stop
	t=$(elapsed)
	[ -n "$failed" ] && echo "check-systemd: failed:$failed"
	echo "check-systemd: $pass passed, $fail failed ($t s, $cached root: root ${t_root:-?} s, boot $((${t_boot:-0} - ${t_root:-0})) s, checks $((t_checks - ${t_boot:-$t_checks})) s, power-off $((t - t_checks)) s)"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}
trap finish EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "check-systemd: skipped: needs root (systemd-nspawn)"
	trap - EXIT; exit 0
fi

group=setup
echo "== build ($(elapsed) s)"
make -s all >/dev/null || { bad "make"; exit 1; }
ok "make"
# Neither the root nor the boot involves miniftpd: when the machine cannot
# make one (no network) or boot it (no privilege for namespaces), the
# container tests are skipped, not failed.
skip() { trap - EXIT; ns_stop; echo "check-systemd: skipped: $*"; exit 0; }
echo "== root $ROOT_CACHE ($(elapsed) s)"
[ -x "$ROOT_CACHE/lib/systemd/systemd" ] && cached=warm
sh tests/nspawn/mkroot.sh "$ROOT_CACHE" || skip "could not make the Debian 12 root (mmdebstrap, network?)"
t_root=$(elapsed)
echo "== boot it under an overlay ($(elapsed) s)"
ns_boot "$ROOT_CACHE" "$RUN" || skip "could not boot it with systemd-nspawn ($RUN/console.log)"
t_boot=$(elapsed)
ok "container up (init pid $NS_INIT)"

# ------------------------------------------------------------------ install
echo "== make install DESTDIR=$NS_ROOT ($(elapsed) s)"
R=$NS_ROOT
if make -s install DESTDIR="$R" >"$RUN/install.log" 2>&1; then ok "make install DESTDIR=$R"
else bad "make install DESTDIR=$R"; indent < "$RUN/install.log"; exit 1; fi
cp tests/systemd/hold.sh scripts/add-account.sh "$R/root/"
# A certificate for the FTPS checks, made now (the container has no openssl).
mkdir -p "$R/etc/miniftpd"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$R/etc/miniftpd/key.pem" \
	-out "$R/etc/miniftpd/cert.pem" >/dev/null 2>&1 && chmod 600 "$R/etc/miniftpd/key.pem" ||
	bad "openssl req (test certificate)"
SIZE=2097152	# /srv/ftp/pub/big and alice's big
SLOW=1048576	# /srv/ftp/pub/slow: 4 s at anon_max_rate=262144
check_sh "accounts, files and configuration" "
	systemctl daemon-reload &&
	sh /root/add-account.sh miniftpd >/dev/null &&
	useradd --system --home-dir /srv/ftp --no-create-home --shell /usr/sbin/nologin ftp &&
	mkdir -p /srv/ftp/pub /srv/ftp/incoming && chown ftp /srv/ftp/incoming &&
	head -c $SIZE /dev/urandom > /srv/ftp/pub/big && head -c $SLOW /dev/urandom > /srv/ftp/pub/slow &&
	echo hello > /srv/ftp/pub/hello.txt &&
	useradd -m -s /bin/bash alice && echo alice:Secret-pw-1 | chpasswd &&
	head -c $SIZE /dev/urandom > /home/alice/big && chown alice: /home/alice/big &&
	printf '%s\n' anonymous_enable=YES local_enable=YES write_enable=YES \
		anon_upload_enable=YES xferlog_enable=YES >> $CONF &&
	miniftpd -t $CONF"

# ------------------------------------------------------------------- 1
section enable "the one command"
check "systemctl enable --now limitd.socket ftp.socket" systemctl enable --now limitd.socket ftp.socket
check_sh "both sockets enabled and listening" \
	'systemctl is-enabled --quiet limitd.socket ftp.socket && systemctl is-active --quiet limitd.socket ftp.socket'
check_sh "port 21 is systemd's (ss)" 'ss -Hltnp "sport = :21" | grep -q "systemd"'
check_sh "a connection gets 220 from miniftpd" \
	'curl -sv --max-time 10 ftp://127.0.0.1/ 2>&1 | sed -n "s/^< //p" | head -n 1 | grep -q "^220 (miniftpd "'

# ------------------------------------------------------------------- 2
section transfer "curl as a local user and anonymously"
U=alice:Secret-pw-1
check_sh "local LIST shows big" "curl -sS --max-time 30 -u $U ftp://127.0.0.1/ | grep -q ' big\$'"
check_sh "local STOR then RETR, the same bytes" \
	"curl -sS --max-time 30 -u $U -T /srv/ftp/pub/big ftp://127.0.0.1/up.bin &&
	 cmp /srv/ftp/pub/big /home/alice/up.bin &&
	 curl -sS --max-time 30 -u $U -o /tmp/up.back ftp://127.0.0.1/up.bin && cmp /tmp/up.back /srv/ftp/pub/big &&
	 test \"\$(stat -c %U /home/alice/up.bin)\" = alice"
check_sh "anonymous LIST of /pub" "curl -sS --max-time 30 ftp://127.0.0.1/pub/ | grep -q ' hello.txt\$'"
check_sh "anonymous RETR, the same bytes" \
	"curl -sS --max-time 30 -o /tmp/anon.big ftp://127.0.0.1/pub/big && cmp /tmp/anon.big /srv/ftp/pub/big"
check_sh "anonymous STOR into /incoming, the same bytes, owned by ftp" \
	"curl -sS --max-time 30 -T /home/alice/big ftp://127.0.0.1/incoming/a.bin &&
	 cmp /srv/ftp/incoming/a.bin /home/alice/big && test \"\$(stat -c %U /srv/ftp/incoming/a.bin)\" = ftp"
check_sh "anonymous root is /srv/ftp: CWD .. twice stays there" \
	"l=\$(curl -sS --max-time 30 --path-as-is ftp://127.0.0.1/../../) && printf '%s\n' \"\$l\" | grep -q ' pub\$' &&
	 ! printf '%s\n' \"\$l\" | grep -q ' etc\$'"

# ------------------------------------------------------------------- 3
section sessions "5 held sessions"
if hold s 5; then
	ok "5 anonymous sessions logged in and held"
	check_sh "limitd --status: sessions: 5, 127.0.0.1 5, ftp 5" \
		'out=$(limitd --status) && printf "%s\n" "$out" | head -n 12 &&
		 printf "%s\n" "$out" | grep -q "^sessions: *5 of max_clients" &&
		 printf "%s\n" "$out" | grep -Eq "^127\.0\.0\.1 +5\$" && printf "%s\n" "$out" | grep -Eq "^ftp +5\$"'
	check_host "limitd --status --json: totals.sessions 5, 5 session records" json_check '
assert j["totals"]["sessions"] == 5, j["totals"]
assert len(j["sessions"]) == 5, j["sessions"]
assert all(s["user"] == "ftp" and s["address"] == "127.0.0.1" for s in j["sessions"]), j["sessions"]
assert j["addresses"] == [{"address": "127.0.0.1", "sessions": 5}], j["addresses"]'
	check_sh "5 units ftp@<n>-127.0.0.1:21-127.0.0.1:<port>.service running, one per session" \
		'systemctl list-units --no-legend --plain --state=running "ftp@*.service" | tee /dev/stderr |
		 grep -Ec "^ftp@[0-9]+-127\.0\.0\.1:21-127\.0\.0\.1:[0-9]+\.service " | grep -qx 5'
	check_sh "each session's processes are in its unit's cgroup" \
		'for p in $(limitd --status --json | grep -o "\"pid\":[0-9]*" | sed 1d | cut -d: -f2); do
			grep -q "/system-ftp.slice/ftp@" /proc/$p/cgroup || { echo "pid $p: $(cat /proc/$p/cgroup)"; exit 1; }; done'
	release s
	check_host "each held session still answered NOOP" held_alive s 5
	check_sh "the units are gone when the sessions end" \
		'i=0; while [ -n "$(systemctl list-units --no-legend --plain "ftp@*.service")" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		 test -z "$(systemctl list-units --no-legend --plain "ftp@*.service")"'
else bad "5 sessions held"; fi

# ------------------------------------------------------------------- 4
section journal "the FTP_* fields"
# _SYSTEMD_UNIT only where the process lives on after the record: journald
# reads it from /proc, too late for the last records of an exiting process.
since=$(now_in)
check "a local session: login, RETR big" curl -sS --max-time 30 -u "$U" -o /tmp/j.big ftp://127.0.0.1/big
check_host "connect: FTP_EVENT, FTP_SESSION, REMOTE_ADDR, in an ftp@ unit" journal_has "$since" \
	FTP_EVENT=connect FTP_SESSION REMOTE_ADDR=127.0.0.1 REMOTE_PORT SYSLOG_IDENTIFIER=miniftpd "_SYSTEMD_UNIT^=ftp@"
check_host "login: FTP_USER=alice" journal_has "$since" FTP_EVENT=login FTP_USER=alice FTP_SESSION "_SYSTEMD_UNIT^=ftp@"
check_host "download: FTP_FILE, FTP_BYTES=$SIZE, FTP_COMMAND=RETR, FTP_DURATION_MS" journal_has "$since" \
	FTP_EVENT=download FTP_USER=alice FTP_FILE=/home/alice/big FTP_BYTES=$SIZE FTP_COMMAND=RETR FTP_DURATION_MS FTP_SESSION SYSLOG_IDENTIFIER=miniftpd
check_host "disconnect: FTP_EVENT=disconnect" journal_has "$since" FTP_EVENT=disconnect FTP_USER=alice SYSLOG_IDENTIFIER=miniftpd
check_sh "journalctl -o verbose FTP_USER=alice shows the fields" \
	"journalctl -q -o verbose --no-pager --since @$since FTP_USER=alice FTP_EVENT=download | grep -q '^ *FTP_BYTES=$SIZE\$'"

# ------------------------------------------------------------------- 5
section security "systemd-analyze security under the live manager"
# The bound: what README.md states for the session unit (every unit that
# runs sessions has the same settings), and 1.0 for limitd.service.
readme_level=$(sed -n 's/.*\*\*exposure level \([0-9.]*\)\*\*.*/\1/p' README.md | head -n 1)
# Every service unit make install installed (units/ and the generated ones).
units=$(cd units && ls *.service; cd "$top/$BUILD/units" && ls *.service)
levels=
for u in $units; do
	case $u in *.service) ;; *) continue ;; esac
	inst=$u
	case $u in *@.service) inst=${u%@.service}@check.service ;; esac
	lvl=$(ns_run systemd-analyze security --no-pager "$inst" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	max=${readme_level:-0}
	[ "$u" = limitd.service ] && max=1.0
	levels="$levels $u=$lvl"
	if [ -n "$lvl" ] && awk "BEGIN { exit !($lvl <= $max) }"; then ok "$u: exposure $lvl (at most $max)"
	else bad "$u: exposure ${lvl:-none} (at most $max)"; fi
done
echo "  exposure levels:$levels"

# ------------------------------------------------------------------- 6
section max_per_ip "the third session from one address"
check_host "max_per_ip=2" conf max_per_ip=2
check "systemctl reload limitd.service" systemctl reload limitd.service
if hold m 2; then
	ok "2 sessions held"
	g=$(greeting ftp://127.0.0.1/)
	if [ "$g" = "421 There are too many connections from your internet address." ]; then ok "the third gets: $g"
	else bad "the third gets: ${g:-nothing} (want 421 too many connections from your internet address)"; fi
	release m
	check_host "the two held sessions stayed up" held_alive m 2
else bad "2 sessions held"; fi
check_host "max_per_ip back to the default" conf max_per_ip=
check "systemctl reload limitd.service" systemctl reload limitd.service
check_sh "a session is admitted again" 'test "$(curl -sS --max-time 10 ftp://127.0.0.1/pub/hello.txt)" = hello'

# ------------------------------------------------------------------- 7
section restart "limitd restarted under 5 held sessions"
if hold r 5; then
	ok "5 sessions held"
	old=$(status_field 'j["pid"]')
	pids=$(status_field '", ".join(str(p) for p in sorted(s["pid"] for s in j["sessions"]))')
	check "systemctl restart limitd.service" systemctl restart limitd.service
	check_host "a new limitd counts the 5 again (re-registered)" wait_sessions 5 "$old"
	old=$(status_field 'j["pid"]')
	check "systemctl restart limitd.socket limitd.service" systemctl restart limitd.socket limitd.service
	check_host "after the socket's restart, the 5 again" wait_sessions 5 "$old"
	check_host "--json names the same 5 session pids as before" json_check "
assert sorted(s['pid'] for s in j['sessions']) == [$pids], j['sessions']"
	release r
	check_host "the held sessions went on through both restarts" held_alive r 5
	check_sh "limitd counts none once they ended" \
		'i=0; while [ $i -lt 50 ]; do limitd --status | grep -q "^sessions: *0 " && exit 0; sleep 0.1; i=$((i+1)); done; limitd --status | head -n 3; exit 1'
else bad "5 sessions held"; fi

# ------------------------------------------------------------------- 8
section limitd-down "limitd stopped, then masked"
# Stopped by hand, limitd comes back with the next session (ftp@.service
# Wants=limitd.socket): enforcement is not lost by accident.
check "systemctl stop limitd.socket limitd.service" systemctl stop limitd.socket limitd.service
check_sh "a new session starts limitd.socket and limitd.service again (Wants=)" \
	'curl -sS --max-time 10 ftp://127.0.0.1/pub/hello.txt >/dev/null && systemctl is-active --quiet limitd.socket limitd.service'
# (stopped before masked: a running unit masked has no unit file left)
check "stop both, mask --runtime: limitd unreachable" sh -c \
	'systemctl stop limitd.socket limitd.service && systemctl mask --runtime --quiet limitd.socket limitd.service &&
	 ! systemctl is-active --quiet limitd.socket'
since=$(now_in)
check_sh "limitd_fail=open (the default): admitted" 'test "$(curl -sS --max-time 10 ftp://127.0.0.1/pub/hello.txt)" = hello'
check_host "... logged as a warning: admitting (limitd_fail=open)" journal_has "$since" \
	"MESSAGE~=Failed to ask limitd" "MESSAGE~=admitting the session (limitd_fail=open)" PRIORITY=4 SYSLOG_IDENTIFIER=miniftpd
check_sh "limitd.socket stayed down (masked)" '! systemctl is-active --quiet limitd.socket'
check_host "limitd_fail=closed" conf limitd_fail=closed
since=$(now_in)
g=$(greeting ftp://127.0.0.1/pub/hello.txt)
if [ "$g" = "421 Service not available, please try later." ]; then ok "refused: $g"
else bad "refused with 421 (got: ${g:-nothing})"; fi
check_host "... the journal: refused, limitd_fail=closed" journal_has "$since" FTP_EVENT=refused "FTP_REASON^=limitd unreachable"
check_host "limitd_fail back to open" conf limitd_fail=
check "unmask and start limitd.socket" sh -c \
	'systemctl unmask --runtime --quiet limitd.socket limitd.service && systemctl start limitd.socket'
check_sh "served, limitd.service running again" \
	'test "$(curl -sS --max-time 10 ftp://127.0.0.1/pub/hello.txt)" = hello && systemctl is-active --quiet limitd.service'

# ------------------------------------------------------------------- 9
section listener "miniftpd-listener.socket and reload"
check "switch: disable --now ftp.socket, enable --now miniftpd-listener.socket" sh -c \
	'systemctl disable --now --quiet ftp.socket && systemctl enable --now --quiet miniftpd-listener.socket'
check_sh "limitd.socket enabled with it (Also=)" 'systemctl is-enabled --quiet limitd.socket'
check_sh "anonymous RETR through the listener" \
	"curl -sS --max-time 30 -o /tmp/l.big ftp://127.0.0.1/pub/big && cmp /tmp/l.big /srv/ftp/pub/big"
check_sh "miniftpd-listener.service runs, no ftp@ unit" \
	'systemctl is-active --quiet miniftpd-listener.service && test -z "$(systemctl list-units --no-legend --plain "ftp@*.service")"'
if hold l 1; then
	ok "a session held"
	check_host "ftpd_banner changed" conf "ftpd_banner=Reloaded by check-systemd"
	lpid=$(ns_run systemctl show -P MainPID miniftpd-listener.service)
	check "systemctl reload miniftpd-listener.service" systemctl reload miniftpd-listener.service
	g=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		g=$(greeting ftp://127.0.0.1/)
		[ "$g" = "220 Reloaded by check-systemd" ] && break
		sleep 0.2
	done
	if [ "$g" = "220 Reloaded by check-systemd" ]; then ok "a new session gets the new banner"
	else bad "a new session gets the new banner (got: ${g:-nothing})"; fi
	check_sh "the same listener process (reloaded, not restarted)" \
		"test \"\$(systemctl show -P MainPID miniftpd-listener.service)\" = $lpid"
	release l
	check_host "the old session stayed up through the reload" held_alive l 1
else bad "a session held"; fi
check_host "ftpd_banner back" conf ftpd_banner=
# The listener stopped during a download (KillMode=mixed: SIGTERM to it
# alone; it passes it on and waits shutdown_timeout for its sessions).
check_host "anon_max_rate=262144" conf anon_max_rate=262144
check "systemctl reload miniftpd-listener.service" systemctl reload miniftpd-listener.service
n0=$(xfer_lines)
if slow_download /tmp/stopl; then
	in_flight /tmp/stopl
	check "systemctl stop miniftpd-listener.service during it" systemctl stop miniftpd-listener.service
	wait "$slow"
	check_sh "the download completed, the same bytes" 'test "$(cat /tmp/stopl.rc)" = 0 && cmp /tmp/stopl /srv/ftp/pub/slow'
	check_sh "xferlog: one complete line for it" \
		"tail -n +$((n0 + 1)) /var/log/xferlog | grep ' $SLOW /pub/slow b _ o a ' | grep -q ' c\$'"
	check_sh "the listener stopped, not failed" \
		'! systemctl is-active --quiet miniftpd-listener.service && ! systemctl is-failed --quiet miniftpd-listener.service'
else bad "a slow download through the listener"; fi
check_host "anon_max_rate back" conf anon_max_rate=
check "switch back to ftp.socket" sh -c \
	'systemctl disable --now --quiet miniftpd-listener.socket && systemctl stop miniftpd-listener.service &&
	 systemctl enable --now --quiet limitd.socket ftp.socket'
check_sh "served by ftp.socket again" 'test "$(curl -sS --max-time 10 ftp://127.0.0.1/pub/hello.txt)" = hello'

# ------------------------------------------------------------------ 10
section ftps "implicit FTPS on 990, AUTH TLS on 21"
CA="--cacert /etc/miniftpd/cert.pem"
check_host "rsa_cert_file, rsa_private_key_file" conf \
	rsa_cert_file=/etc/miniftpd/cert.pem rsa_private_key_file=/etc/miniftpd/key.pem
check "systemctl enable --now ftps.socket" systemctl enable --now ftps.socket
since=$(now_in)
check_sh "ftps:// (implicit, 990) RETR as alice, the same bytes, the certificate verified" \
	"curl -sS --max-time 30 $CA -u $U -o /tmp/s.big ftps://127.0.0.1/big && cmp /tmp/s.big /home/alice/big"
check_sh "ftps:// STOR as alice, the same bytes" \
	"curl -sS --max-time 30 $CA -u $U -T /srv/ftp/pub/big ftps://127.0.0.1/s.up && cmp /home/alice/s.up /srv/ftp/pub/big"
check_host "the journal: TLS version in an ftps@ unit" journal_has "$since" FTP_TLS_VERSION "_SYSTEMD_UNIT^=ftps@"
check_sh "plain FTP on 990 gets no greeting in clear" \
	"! curl -sS --max-time 2 ftp://127.0.0.1:990/ 2>/dev/null"
check_host "ssl_enable=YES for ftp.socket" conf ssl_enable=YES
check_sh "AUTH TLS on 21 (curl --ssl-reqd) RETR as alice, the same bytes" \
	"curl -sS --max-time 30 $CA --ssl-reqd -u $U -o /tmp/e.big ftp://127.0.0.1/big && cmp /tmp/e.big /home/alice/big"
check "systemctl disable --now ftps.socket" systemctl disable --now --quiet ftps.socket
check "systemctl enable --now ftps-listener.socket" systemctl enable --now --quiet ftps-listener.socket
check_sh "ftps:// through ftps-listener.service, the same bytes" \
	"curl -sS --max-time 30 $CA -u $U -o /tmp/t.big ftps://127.0.0.1/big && cmp /tmp/t.big /home/alice/big &&
	 systemctl is-active --quiet ftps-listener.service"
check "ftps-listener off again" sh -c \
	'systemctl disable --now --quiet ftps-listener.socket && systemctl stop ftps-listener.service && systemctl enable --quiet limitd.socket'
check_host "ssl_enable back" conf ssl_enable=

# ------------------------------------------------------------------ 11
section stop "stop during a rate-limited download"
# anon_max_rate 256 KiB/s: the 1 MiB download of /pub/slow takes 4 s.
check_host "anon_max_rate=262144" conf anon_max_rate=262144
# A closed socket stops new connections only: the running session is a unit
# of its own and goes on.
n0=$(xfer_lines)
if slow_download /tmp/stop1; then
	in_flight /tmp/stop1
	check "systemctl stop ftp.socket during it" systemctl stop ftp.socket
	check_sh "new connections refused" '! curl -sS --max-time 5 ftp://127.0.0.1/ >/dev/null 2>&1'
	wait "$slow"
	check_sh "the download completed, the same bytes" 'test "$(cat /tmp/stop1.rc)" = 0 && cmp /tmp/stop1 /srv/ftp/pub/slow'
	check_sh "xferlog: one complete line for it" \
		"tail -n +$((n0 + 1)) /var/log/xferlog | grep ' $SLOW /pub/slow b _ o a ' | grep -q ' c\$'"
else bad "a slow download running"; fi
check "systemctl start ftp.socket" systemctl start ftp.socket
# Stopping the session's own unit: SIGTERM; the transfer in progress goes
# on (for up to shutdown_timeout), then the session says 421 and ends.
n0=$(xfer_lines)
if slow_download /tmp/stop2; then
	in_flight /tmp/stop2
	u=$(ns_run systemctl list-units --no-legend --plain --state=running 'ftp@*.service' | cut -d' ' -f1 | head -n 1)
	check "systemctl stop $u during it" systemctl stop "$u"
	check_sh "the unit stopped after the transfer, not failed" "! systemctl is-active --quiet '$u' && ! systemctl is-failed --quiet '$u'"
	wait "$slow"
	check_sh "the download completed, the same bytes" 'test "$(cat /tmp/stop2.rc)" = 0 && cmp /tmp/stop2 /srv/ftp/pub/slow'
	check_sh "xferlog: one complete line for it" \
		"tail -n +$((n0 + 1)) /var/log/xferlog | grep ' $SLOW /pub/slow b _ o a ' | grep -q ' c\$'"
else bad "a slow download running"; fi
# Past shutdown_timeout the session aborts the transfer itself: the client
# gets 426 and holds a prefix, xferlog an incomplete line.
check_host "shutdown_timeout=1" conf shutdown_timeout=1
n0=$(xfer_lines)
since=$(now_in)
if slow_download /tmp/stop3; then
	in_flight /tmp/stop3
	u=$(ns_run systemctl list-units --no-legend --plain --state=running 'ftp@*.service' | cut -d' ' -f1 | head -n 1)
	check "systemctl stop $u during it" systemctl stop "$u"
	wait "$slow"
	check_sh "the client saw the transfer fail and holds a prefix of the file" \
		'rc=$(cat /tmp/stop3.rc); n=$(stat -c %s /tmp/stop3); echo "curl $rc, $n bytes: $(cat /tmp/stop3.err)";
		 test "$rc" != 0 && test "$n" -gt 0 && test "$n" -lt '"$SLOW"' && cmp -n "$n" /tmp/stop3 /srv/ftp/pub/slow'
	check_host "the journal: download, FTP_REASON=server shutting down" journal_has "$since" \
		FTP_EVENT=download FTP_FILE=/pub/slow "FTP_REASON=server shutting down" SYSLOG_IDENTIFIER=miniftpd
	check_sh "xferlog: an incomplete line with the bytes sent" \
		"tail -n +$((n0 + 1)) /var/log/xferlog | tee /dev/stderr | grep ' /pub/slow b _ o a ' | grep -q ' i\$'"
	check_sh "the unit stopped, not failed" "! systemctl is-active --quiet '$u' && ! systemctl is-failed --quiet '$u'"
else bad "a slow download running"; fi
check_host "rates and timeout back" conf anon_max_rate= shutdown_timeout=

# ------------------------------------------------------------------ 12
section end "nothing left failed"
check_sh "systemctl --failed lists no unit" \
	'test -z "$(systemctl --failed --no-legend --plain)" || { systemctl --failed --no-legend --plain; exit 1; }'
check_sh "systemctl is-system-running: running" 'test "$(systemctl is-system-running)" = running || { systemctl is-system-running; exit 1; }'
# The errors the checks above cause on purpose: limitd_fail=closed's refusal
# and the plain-FTP client on port 990 (no TLS handshake).
check_sh "no other miniftpd or limitd error in the journal" \
	'! journalctl -q --no-pager -o cat -p err -t miniftpd -t limitd |
	 grep -v -e "limitd_fail=closed" -e "TLS handshake" | grep .'
