#!/bin/bash
# bench/run.sh - miniftpd side by side with vsftpd and Pure-FTPd (issue 8).
#
# Called by `make bench` (bench/bench.mk) as: bench/run.sh BUILD FTPLOAD
# Environment: QUICK=1 (small sizes, few runs, under two minutes),
# RUNS=N, BENCH_PORT=N (first of the control ports), BENCH_LIMITD=auto|yes|no,
# BENCH_LIMITD_VM=auto|no (full runs: limitd at 100,000 held sessions in a VM
# when this machine's descriptor limit is too low, bench/limitd-vm.sh),
# BENCH_MINIFTPD=path (a miniftpd binary other than BUILD/miniftpd),
# BENCH_SERVERS="mini minisa minisl vsftpd pure" (a subset, for quick comparisons),
# BENCH_TLS=yes|no (the FTPS rows, issue 17), BENCH_TLS_SIZE_MB=N (their
# transfer size), BENCH_TLS_KEY=ec|rsa (the certificate's key),
# BENCH_ROWS=all|tls (tls: the FTPS rows alone), BENCH_REV (the revision
# to report where there is no git, as in bench/ktls.sh's VM).
#
# Every server listens on its own loopback port; every wait is bounded; the
# servers, the temporary user, the tmpfs mount and the work directory are
# removed on exit, failure or signal.  Only processes started here are killed,
# by PID.  See bench/README.md for what each number means.
set -u

BUILD=${1:?usage: run.sh BUILD FTPLOAD}
FTPLOAD=$(readlink -f "${2:?usage: run.sh BUILD FTPLOAD}")
TOP=$(pwd)
QUICK=${QUICK:-0}
MINIFTPD=$(readlink -f "${BENCH_MINIFTPD:-$BUILD/miniftpd}")
LIMITD_BIN=$(readlink -f "$BUILD/limitd" 2>/dev/null || echo "$BUILD/limitd")
LIMITD_MODE=${BENCH_LIMITD:-auto}
PORT0=${BENCH_PORT:-21101}
OUT=$TOP/build/bench
LOG=$OUT/bench.log
RESULTS=${BENCH_RESULTS:-$TOP/bench/RESULTS.md}
# One system user per run (root): two runs at once (two worktrees) must not
# share or delete each other's.  Leftovers of runs killed hard (GECOS below,
# name mftpb<pid>) are removed by the next run that finds no other running.
BENCH_USER=mftpb$$
LOCK=/run/lock/miniftpd-bench.lock	# held shared by every running bench (root)
# before anything is written: report() rewrites RESULTS.md, which is tracked
REV=${BENCH_REV:-$(cd "$TOP" && git describe --always --dirty 2>/dev/null)}
GECOS="miniftpd bench (temporary)"

R=${RUNS:-}
if [ "$QUICK" = 1 ]; then	# sessions cost the most time: 2 runs, only the
	# targets' 8 and 32 clients; PSS (steady) 1 run
	SIZE_MB=64; RUNS=${R:-3}; SRUNS=${R:-2}; PRUNS=${R:-1}; SECS=1; HOLD=100; LREP=3
	CLIENTS="8 32"
	TLS_CLIENTS="8 32"
else
	SIZE_MB=1024; RUNS=${R:-5}; SRUNS=$RUNS; PRUNS=$RUNS; SECS=5; HOLD=100; LREP=5
	CLIENTS="1 8 32"
	TLS_CLIENTS="8 32"
fi
SIZE=$((SIZE_MB * 1024 * 1024))
LIST_N=10000

# FTPS (issue 17): a second instance of each standalone server with TLS, on
# ports of its own, so that the plain rows measure the servers as before.
# One certificate for all (made here, deleted with the work directory);
# TLS 1.3 with TLS_AES_128_GCM_SHA256 only, which ftpload offers alone.
TLS_MODE=${BENCH_TLS:-yes}
ROWS=${BENCH_ROWS:-all}
[ "$ROWS" = tls ] && TLS_MODE=yes
TLS_SIZE_MB=${BENCH_TLS_SIZE_MB:-$SIZE_MB}
TLS_SIZE=$((TLS_SIZE_MB * 1024 * 1024))
TLS_KEY=${BENCH_TLS_KEY:-ec}
TLS_SUITE=TLS_AES_128_GCM_SHA256
TLS12_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256
declare -A TLSOF=([mini]=minitls [vsftpd]=vsftpdtls [pure]=puretls)

ALL_SERVERS="mini minisa minisl vsftpd pure minitls vsftpdtls puretls"
SERVERS=${BENCH_SERVERS:-mini minisa minisl vsftpd pure}
if [ "$TLS_MODE" != no ]; then	# each selected standalone server's TLS twin
	for s in mini vsftpd pure; do
		[[ " $SERVERS " == *" $s "* ]] && SERVERS="$SERVERS ${TLSOF[$s]}"
	done
fi
PLAIN=$(for s in $SERVERS; do case $s in *tls) ;; *) echo "$s";; esac; done | xargs)
declare -A NAME=([mini]="miniftpd" [minisa]="miniftpd (socket-activated)"
		 [minisl]="miniftpd (socket-activated, Accept=no)"
		 [vsftpd]="vsftpd" [pure]="Pure-FTPd" [minitls]="miniftpd (FTPS)"
		 [vsftpdtls]="vsftpd (FTPS)" [puretls]="Pure-FTPd (FTPS)")
declare -A PORT PID WHY	# control port, PID we started, why a server is absent
declare -A CAP		# "server.what" -> ok | unsupported VERB | failed: ...
declare -A FAILNOTE	# server -> the session runs counted despite a few failures

mkdir -p "$OUT"
: > "$LOG"
log() { echo "bench: $*" | tee -a "$LOG" >&2; }

# ---------------------------------------------------------------- cleanup

W=""; MOUNTED=""; MADE_USER=""; ANON_DIR=""; MADE_FTPHOME=""; HOLDPID=""; LOCKFD=""

descendants() {	# PID...: the PIDs and all their descendants
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		{ kids[$2] = kids[$2] " " $1 }
		END { n = split(roots, q, " "); for (i = 1; i <= n; i++) { print q[i];
		      m = split(kids[q[i]], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}

stop_pid() {	# PID: TERM it and its descendants, KILL after 3 s
	local all p i
	all=$(descendants "$1")
	kill -TERM $all 2>/dev/null
	for i in $(seq 30); do
		for p in $all; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && return 0
		sleep 0.1
	done
	kill -KILL $all 2>/dev/null
}

cleanup() {
	local s
	trap - EXIT INT TERM HUP
	[ -n "$HOLDPID" ] && stop_pid "$HOLDPID"
	for s in "${PID[@]}"; do stop_pid "$s"; done
	wait 2>/dev/null
	[ -n "$MOUNTED" ] && { umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED"; }
	[ -n "$MADE_USER" ] && userdel "$BENCH_USER" 2>/dev/null
	[ -n "$ANON_DIR" ] && rm -rf "$ANON_DIR"
	[ -n "$MADE_FTPHOME" ] && rmdir "$MADE_FTPHOME" 2>/dev/null
	last_out
	[ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 1' INT TERM HUP

# ---------------------------------------------------------------- setup

ROOT=0; [ "$(id -u)" -eq 0 ] && ROOT=1

install_deps() {
	local miss="" p
	for p in vsftpd curl passwd procps systemd iproute2; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			miss="$miss $p"
	done
	[ -z "$miss" ] && return 0
	if [ "$ROOT" = 0 ]; then
		log "not root: cannot install$miss"
		return 1
	fi
	log "installing$miss"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends $miss >>"$LOG" 2>&1 || {
		apt-get update -q >>"$LOG" 2>&1
		apt-get install -y -q --no-install-recommends $miss >>"$LOG" 2>&1
	}
}

# Pure-FTPd conflicts with vsftpd as an installed package: unpack its binary.
fetch_pure() {
	PURE=$OUT/pure-ftpd/usr/sbin/pure-ftpd
	if [ ! -x "$PURE" ]; then
		[ "$ROOT" = 1 ] || { WHY[pure]="not root: cannot fetch Pure-FTPd"; return 1; }
		rm -rf "$OUT/pkg" && mkdir -p "$OUT/pkg"
		(cd "$OUT/pkg" && apt-get download pure-ftpd >>"$LOG" 2>&1) ||
			{ apt-get update -q >>"$LOG" 2>&1; (cd "$OUT/pkg" && apt-get download pure-ftpd >>"$LOG" 2>&1); }
		dpkg -x "$OUT"/pkg/pure-ftpd_*.deb "$OUT/pure-ftpd" >>"$LOG" 2>&1 ||
			{ WHY[pure]="apt-get download pure-ftpd failed"; return 1; }
	fi
	if ldd "$PURE" | grep -q "not found"; then
		# its libraries do not conflict: install them as packages
		local deps
		deps=$(dpkg-deb -f "$OUT"/pkg/pure-ftpd_*.deb Depends 2>/dev/null | tr ',' '\n' |
		       sed 's/(.*//; s/ //g' | grep '^lib')
		[ "$ROOT" = 1 ] && apt-get install -y -q --no-install-recommends $deps >>"$LOG" 2>&1
	fi
	ldd "$PURE" | grep -q "not found" && { WHY[pure]="Pure-FTPd libraries missing"; return 1; }
	return 0
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

pick_ports() {
	local i=0 s p
	for s in $ALL_SERVERS; do
		p=$((PORT0 + i))
		port_free "$p" || { log "port $p is taken; set BENCH_PORT"; exit 1; }
		PORT[$s]=$p
		PASV_MIN[$s]=$((22000 + i * 1000)); PASV_MAX[$s]=$((22999 + i * 1000))
		i=$((i + 1))
	done
}
declare -A PASV_MIN PASV_MAX

ours() { [ "$(getent passwd "$1" | cut -d: -f5)" = "$GECOS" ]; }	# USER: a bench made it

# The last run to leave removes ftp and its home if a bench made them:
# another run may be using them until then.
last_out() {
	local home
	[ -n "$LOCKFD" ] && flock -x -n "$LOCKFD" && ours ftp || return 0
	home=$(getent passwd ftp | cut -d: -f6)
	userdel ftp 2>/dev/null
	rmdir "$home" 2>/dev/null
}

# Join the running benches (a shared lock on LOCK, held until exit); when
# none runs, first remove the users that runs killed hard left behind.
bench_lock() {
	local u
	mkdir -p "${LOCK%/*}" && exec {LOCKFD}>"$LOCK" || exit 1
	if flock -x -n "$LOCKFD"; then
		for u in $(getent passwd | awk -F: -v g="$GECOS" '$5 == g && $1 ~ /^mftpb[0-9]+$/ { print $1 }'); do
			log "removing user $u, left by a bench killed hard"
			userdel "$u" 2>/dev/null
		done
	fi
	flock -s -w 60 "$LOCKFD" || { log "cannot lock $LOCK"; exit 1; }
}

make_user() {
	if getent passwd "$BENCH_USER" >/dev/null; then
		# left by a run killed hard whose pid was ours: only if the comment says so
		ours "$BENCH_USER" || { log "user $BENCH_USER exists"; exit 1; }
		userdel "$BENCH_USER" 2>/dev/null
	fi
	useradd -r -M -d "$W/home" -s /bin/bash -c "$GECOS" "$BENCH_USER" || exit 1
	MADE_USER=1
	PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$BENCH_USER:$PASS" | chpasswd -c SHA512 || exit 1
	HASH=$(getent shadow "$BENCH_USER" | cut -d: -f2)
	case $HASH in '$6$'*) ;; *) log "no sha512-crypt hash for $BENCH_USER"; exit 1;; esac
	BUID=$(id -u "$BENCH_USER")
}

# The anonymous root is ftp's home for every server (Pure-FTPd takes no other).
anon_setup() {
	if [ "$ROOT" = 0 ]; then	# miniftpd alone: any directory will do
		FTPHOME=$W/anon; ANON_SUB=sub; mkdir -p "$FTPHOME/sub/small"
		make_small "$FTPHOME/sub/small"
		return
	fi
	# outside W (another run may use it after this one); two runs
	# starting together: one makes it, the other finds it
	getent passwd ftp >/dev/null ||
		useradd -r -M -d /srv/ftp -s /usr/sbin/nologin -c "$GECOS" ftp ||
		getent passwd ftp >/dev/null || return 1
	FTPHOME=$(getent passwd ftp | cut -d: -f6)
	if [ ! -d "$FTPHOME" ]; then
		mkdir -p "$FTPHOME" && MADE_FTPHOME=$FTPHOME
		chmod 755 "$FTPHOME"
	fi
	ANON_SUB=$(basename "$W")
	ANON_DIR=$FTPHOME/$ANON_SUB
	mkdir -p "$ANON_DIR/small" && make_small "$ANON_DIR/small"
	chmod -R a+rX "$ANON_DIR"
}

make_small() { local i; for i in 1 2 3 4 5; do echo "file $i" > "$1/f$i.txt"; done; }

# The one certificate of every FTPS server, made for this run (never kept).
make_cert() {
	local k
	[ "$TLS_MODE" = no ] && return 0
	case $TLS_KEY in
	rsa) k=(-newkey rsa:2048);;
	*) k=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1);;
	esac
	mkdir -p "$W/tls" && chmod 755 "$W/tls"
	openssl req -x509 "${k[@]}" -nodes -days 2 -subj /CN=localhost \
		-keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" >>"$LOG" 2>&1 || {
		log "openssl req failed: no FTPS rows"
		for k in minitls vsftpdtls puretls; do WHY[$k]="no certificate"; done
	}
}

tls_conf() {	# the FTPS lines of a miniftpd configuration
	cat <<EOF
ssl_enable=YES
rsa_cert_file=$W/tls/cert.pem
rsa_private_key_file=$W/tls/key.pem
ssl_ciphers=$TLS12_CIPHERS
force_local_logins_ssl=YES
force_local_data_ssl=YES
EOF
}

make_files() {
	local h=$W/home
	mkdir -p "$h/small" "$h/list10k" "$h/up"
	make_small "$h/small"
	"$FTPLOAD" --gen "$h/big.bin" --size "$SIZE" || exit 1
	cat "$h/big.bin" > /dev/null	# into the page cache
	(cd "$h/list10k" && seq -f "f%05g" 0 $((LIST_N - 1)) | xargs touch) || exit 1
	chmod -R a+rX "$h"
	# uploads go to a fresh tmpfs
	if [ "$ROOT" = 1 ] && mount -t tmpfs -o "size=$((SIZE_MB * 2 + 64))m,mode=0755" tmpfs "$h/up"; then
		MOUNTED=$h/up
		UPFS=tmpfs
	else
		UPFS="$(stat -f -c %T "$h/up") (no tmpfs mount)"
	fi
	[ -n "${BUID:-}" ] && chown "$BUID" "$h/up"
	chmod 755 "$h/up"
}

# ---------------------------------------------------------------- servers

mini_conf() {	# SERVER LISTEN(YES|NO)
	local s=$1
	cat <<EOF
listen=$2
listen_address=127.0.0.1
listen_port=${PORT[$s]}
pasv_min_port=${PASV_MIN[$s]}
pasv_max_port=${PASV_MAX[$s]}
max_clients=0
max_per_ip=0
write_enable=YES
local_umask=022
anon_umask=022
anonymous_enable=YES
anon_root=$FTPHOME
ftp_username=ftp
local_max_rate=0
anon_max_rate=0
xferlog_enable=NO
EOF
	if [ "$ROOT" = 1 ]; then
		# nobody, as vsftpd's default: no account of its own needed here
		printf 'local_enable=YES\nchroot_local_user=YES\nnopriv_user=nobody\n'
	else
		printf 'user_db_file=%s\n' "$W/users"
	fi
	if [ "$USE_LIMITD" = 1 ]; then
		printf 'limitd_enable=YES\nlimitd_socket=%s\n' "$W/limitd.sock"
	else
		printf 'limitd_enable=NO\n'
	fi
}

start_limitd() {
	USE_LIMITD=0
	[ "$LIMITD_MODE" = no ] && return 0
	if [ ! -x "$LIMITD_BIN" ]; then
		[ "$LIMITD_MODE" = yes ] && log "BENCH_LIMITD=yes but $LIMITD_BIN is missing"
		return 0
	fi
	USE_LIMITD=1
	mini_conf mini YES > "$W/limitd.conf"
	"$LIMITD_BIN" "$W/limitd.conf" >>"$LOG" 2>&1 &
	PID[limitd]=$!
	local i
	for i in $(seq 30); do [ -S "$W/limitd.sock" ] && return 0; sleep 0.1; done
	log "limitd did not create its socket in 3 s; miniftpd runs without it"
	stop_pid "${PID[limitd]}"; unset 'PID[limitd]'
	USE_LIMITD=0
}

start_mini() {
	[[ " $SERVERS " == *" mini"* ]] || return
	[ -x "$MINIFTPD" ] || { WHY[mini]="not built ($MINIFTPD)"; WHY[minisa]=${WHY[mini]}
				WHY[minisl]=${WHY[mini]}; WHY[minitls]=${WHY[mini]}; return; }
	mini_conf mini YES > "$W/mini.conf"
	mini_conf minisa NO > "$W/minisa.conf"
	mini_conf minisl YES > "$W/minisl.conf"
	{ mini_conf minitls YES; tls_conf; } > "$W/minitls.conf"
	if ! "$MINIFTPD" "$W/mini.conf" -t >>"$LOG" 2>&1; then
		WHY[mini]="configuration refused (see build/bench/bench.log)"; WHY[minisa]=${WHY[mini]}
		WHY[minisl]=${WHY[mini]}; WHY[minitls]=${WHY[mini]}
		return
	fi
	"$MINIFTPD" "$W/mini.conf" >>"$LOG" 2>&1 &
	PID[mini]=$!
	if up minitls; then
		if "$MINIFTPD" "$W/minitls.conf" -t >>"$LOG" 2>&1; then
			"$MINIFTPD" "$W/minitls.conf" >>"$LOG" 2>&1 &
			PID[minitls]=$!
		else
			WHY[minitls]="FTPS configuration refused (see build/bench/bench.log)"
		fi
	fi
	if command -v systemd-socket-activate >/dev/null; then
		systemd-socket-activate -l "127.0.0.1:${PORT[minisa]}" --accept \
			"$MINIFTPD" "$W/minisa.conf" >>"$LOG" 2>&1 &
		PID[minisa]=$!
		# Accept=no: the activator execs miniftpd in its own place at the
		# first connection, with the listening socket as fd 3
		systemd-socket-activate -l "127.0.0.1:${PORT[minisl]}" \
			"$MINIFTPD" "$W/minisl.conf" >>"$LOG" 2>&1 &
		PID[minisl]=$!
	else
		WHY[minisa]="systemd-socket-activate missing"; WHY[minisl]=${WHY[minisa]}
	fi
}

start_vsftpd() {
	local v=/usr/sbin/vsftpd s
	for s in vsftpd vsftpdtls; do
		up "$s" || continue
		[ -x "$v" ] || { WHY[$s]="not installed"; continue; }
		[ "$ROOT" = 1 ] || { WHY[$s]="needs root"; continue; }
		start_vsftpd_as "$s"
	done
}

start_vsftpd_as() {	# vsftpd|vsftpdtls
	local v=/usr/sbin/vsftpd s=$1
	mkdir -p /var/run/vsftpd/empty
	{ cat <<EOF
listen=YES
listen_ipv6=NO
background=NO
listen_address=127.0.0.1
listen_port=${PORT[$s]}
pasv_enable=YES
pasv_min_port=${PASV_MIN[$s]}
pasv_max_port=${PASV_MAX[$s]}
max_clients=0
max_per_ip=0
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
anonymous_enable=YES
anon_root=$FTPHOME
no_anon_password=YES
anon_umask=022
use_sendfile=YES
local_max_rate=0
anon_max_rate=0
xferlog_enable=NO
dirmessage_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=/var/run/vsftpd/empty
EOF
	# FTPS: require_ssl_reuse stays at its default, YES
	# (vsftpd reads miniftpd's FTPS lines: the same option names)
	[ "$s" = vsftpdtls ] && { tls_conf; echo allow_anon_ssl=NO; }
	} > "$W/$s.conf"
	"$v" "$W/$s.conf" >>"$LOG" 2>&1 &
	PID[$s]=$!
}

start_pure() {
	local s
	for s in pure puretls; do
		up "$s" || continue
		[ "$ROOT" = 1 ] || { WHY[$s]="needs root"; continue; }
		# -L: the default listing cap (2000 files) would cut the 10,000-entry LIST.
		# FTPS: --tls=1 (-Y 1) with the bench's certificate (-2 CERT,KEY) and
		# the TLS 1.2 ciphers (-J); TLS 1.3 suites are OpenSSL's, the client's choice
		"$PURE" -S "127.0.0.1,${PORT[$s]}" -p "${PASV_MIN[$s]}:${PASV_MAX[$s]}" \
			-l unix -A -H -u 1 -U 022:022 -c 2000 -C 2000 -L 100000:10 -I 300 -f none \
			$([ "$s" = puretls ] && echo "-Y 1 -2 $W/tls/cert.pem,$W/tls/key.pem -J $TLS12_CIPHERS") \
			>>"$LOG" 2>&1 &
		PID[$s]=$!
	done
}

# Wait up to 5 s for a 220 banner on PORT.
wait_banner() {
	local i
	for i in $(seq 50); do
		( exec 9<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 line <&9 &&
		  case $line in 220*) exit 0;; *) exit 1;; esac ) 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_servers() {
	local s
	for s in $ALL_SERVERS; do
		[[ " $SERVERS " == *" $s "* ]] || WHY[$s]="not selected (BENCH_SERVERS)"
	done
	start_limitd
	start_mini
	start_vsftpd
	start_pure
	for s in $SERVERS; do
		[ -n "${WHY[$s]:-}" ] && continue
		if ! wait_banner "${PORT[$s]}"; then
			WHY[$s]="did not greet on port ${PORT[$s]} (see build/bench/bench.log)"
			[ -n "${PID[$s]:-}" ] && stop_pid "${PID[$s]}" && unset "PID[$s]"
		fi
	done
	for s in $SERVERS; do
		[ -n "${WHY[$s]:-}" ] && log "${NAME[$s]}: ${WHY[$s]}"
	done
}

up() { [ -z "${WHY[$1]:-}" ] && [[ " $SERVERS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- measuring

# Results live in $W/res/METRIC.SERVER, one value (or "NA text") per line.
put() { echo "$3" >> "$W/res/$1.$2"; }

kv() {	# KEY LINE: the value of KEY=VALUE in LINE
	sed -n "s/.*\\b$1=\\(\"[^\"]*\"\\|[^ ]*\\).*/\\1/p" <<<"$2" | tr -d '"'
}

load() {	# SERVER ARGS...: run ftpload against SERVER, print its line
	local s=$1; shift
	"$FTPLOAD" -p "${PORT[$s]}" -T 15000 "$@" 2>>"$LOG"
}

who() {	# local|anon -> ftpload login and NLST arguments
	if [ "$1" = anon ]; then
		echo "-u anonymous -w bench@example.org -d $ANON_SUB/small"
	else
		echo "-u $LOGIN_USER -w $PASS -d small"
	fi
}

# Probe one capability with a one-session run; record ok / unsupported / failed.
probe() {	# SERVER WHAT ARGS...
	local s=$1 what=$2 line rc; shift 2
	line=$(load "$s" -c 1 -n 1 -t 20 "$@"); rc=$?
	echo "probe $s $what rc=$rc $line" >> "$LOG"
	case $rc in
	0) CAP[$s.$what]=ok;;
	3) CAP[$s.$what]="unsupported $(kv unsupported "$line")";;
	*) CAP[$s.$what]="failed: $(kv error "$line")";;
	esac
}

probe_all() {
	local s
	for s in $PLAIN; do
		up "$s" || continue
		probe "$s" nlst $(who local)
		probe "$s" anon $(who anon)
		probe "$s" retr $(who local) --no-list --retr small/f1.txt
		probe "$s" stor $(who local) --no-list --stor up/probe --size 100000 --verify --delete
		probe "$s" list $(who local) --list-time small -r 1
		for w in nlst anon retr stor list; do
			[ "${CAP[$s.$w]}" = ok ] || log "${NAME[$s]}: $w: ${CAP[$s.$w]}"
		done
	done
}

na_for() {	# SERVER CAP: print the NA text when the capability is missing
	local c=${CAP[$1.$2]:-}
	case $c in
	ok) return 1;;
	unsupported*) echo "NA n/a (unsupported: ${c#unsupported })";;
	*) echo "NA failed";;
	esac
}

mbps() {	# BYTES PRETRANSFER TOTAL: the transfer's own rate, logins excluded
	awk -v b="$1" -v p="$2" -v t="$3" 'BEGIN { printf "%.0f\n", b / (t - p) / 1e6 }'
}

m_retr() {	# SERVER
	local s=$1 r
	r=$(curl -s --disable-epsv --max-time 300 -o /dev/null -u "$LOGIN_USER:$PASS" \
		-w '%{size_download} %{time_pretransfer} %{time_total}' \
		"ftp://127.0.0.1:${PORT[$s]}/big.bin")
	echo "retr $s $r" >> "$LOG"
	set -- $r
	[ "${1:-0}" = "$SIZE" ] || { VAL="NA failed"; return; }
	VAL=$(mbps "$@")
}

m_stor() {	# SERVER
	local s=$1 r k0 k1 dst=$W/home/up/stor.bin
	[ -r "$REPORTED" ] && warm_uploads
	k0=$(reported_kib)
	r=$(curl -s --disable-epsv --max-time 300 -u "$LOGIN_USER:$PASS" -T "$W/home/big.bin" \
		-w '%{size_upload} %{time_pretransfer} %{time_total}' \
		"ftp://127.0.0.1:${PORT[$s]}/up/stor.bin")
	k1=$(reported_kib)
	echo "stor $s $r reported_kib=$((k1 - k0))" >> "$LOG"
	[ "$k1" = "$k0" ] || STOR_REPORTED=$((STOR_REPORTED + 1))
	set -- $r
	if [ "${1:-0}" != "$SIZE" ] || ! cmp -s "$W/home/big.bin" "$dst"; then
		rm -f "$dst"; VAL="NA failed"; return
	fi
	rm -f "$dst"
	VAL=$(mbps "$@")
}

# Every upload writes SIZE of fresh page cache.  This VM hands free memory
# back to its host (free page reporting, /sys/module/page_reporting): about
# 2 s after a large free the kernel reports the freed blocks, and the host
# must fault memory it was told of back in when the guest uses it again.
# An upload that runs while the kernel reports, or into reported memory,
# takes 2-3.5x the CPU at 0.4-1.6 GB/s instead of 2.6-2.8, whatever the
# server (bench/README.md, STOR).  So where the kernel reports, each STOR
# first writes and deletes one untimed copy (warm_uploads: memory the host
# backs, freed and not yet reported) and starts at once; the log counts
# the uploads that still overlapped a report.
REPORTED=/sys/module/page_reporting/parameters/reported_kib
STOR_REPORTED=0

reported_kib() {
	cat "$REPORTED" 2>/dev/null || echo 0
}

# One untimed copy of SIZE written and deleted: before the first STOR (the
# first file written to a fresh tmpfs is slow, 1 GiB: 2.2 s against 0.5-0.9
# s for the next ones here) and, where the kernel reports, before each.
warm_uploads() {
	cp "$W/home/big.bin" "$W/home/up/warm.bin" && rm -f "$W/home/up/warm.bin"
}

m_list() {	# SERVER
	local s=$1 line lines
	line=$(load "$s" $(who local) --list-time list10k -r "$LREP")
	echo "list $s $line" >> "$LOG"
	lines=$(kv lines "$line")
	[ "${lines:-0}" -ge "$LIST_N" ] || { VAL="NA failed"; return; }
	VAL=$(kv median_ms "$line")
}

# A run with a few failed sessions (at most 1 in 200, e.g. a peer's passive
# port still in TIME_WAIT) still measures the server; more means it failed.
few_failures() {	# LINE
	local ok fail
	ok=$(kv ok "$1"); fail=$(kv fail "$1")
	[ -n "$ok" ] && [ -n "$fail" ] && [ "$ok" -gt 0 ] && [ "$(kv refused "$1")" = 0 ] &&
		[ $((fail * 200)) -le $((ok + fail)) ] && [ "$(kv unsupported "$1")" = none ]
}

# Sessions: one run gives three numbers (rate, p50, p99).
m_sessions() {	# SERVER USER(local|anon) CLIENTS [EXTRA]
	local s=$1 u=$2 c=$3 line rc key=sess.$2.$3${4:+.nolist}
	line=$(load "$s" $(who "$u") ${4:-} -c "$c" -t "$SECS" -n 1000000); rc=$?
	echo "sessions $s $u c=$c ${4:-} rc=$rc $line" >> "$LOG"
	if [ $rc -ne 0 ] && few_failures "$line"; then	# counted, and said under the table
		FAILNOTE[$s]="${FAILNOTE[$s]:-}; $(kv fail "$line") of $(kv sessions "$line") sessions failed in one $(user_label "$u") run with $c clients ($(kv error "$line")), counted"
		rc=0
	fi
	if [ $rc -ne 0 ] || [ "$(kv ok "$line")" = 0 ]; then
		put "$key.rate" "$s" "NA failed"; put "$key.p50" "$s" "NA failed"
		put "$key.p99" "$s" "NA failed"; return
	fi
	put "$key.rate" "$s" "$(kv rate "$line")"
	put "$key.p50" "$s" "$(kv p50_ms "$line")"
	put "$key.p99" "$s" "$(kv p99_ms "$line")"
}

# PSS of all the server's processes while HOLD sessions sit logged in.
server_pids() {	# SERVER
	local s=$1
	if [ "$s" = minisa ]; then	# the activator plays systemd's part: not counted
		descendants "${PID[$s]}" | tail -n +2
	else
		descendants "${PID[$s]}"
	fi
	case $s in mini|minisa|minisl|minitls) [ -n "${PID[limitd]:-}" ] && echo "${PID[limitd]}";; esac
}

pss_kib() {	# PID...: summed Pss in KiB
	local p
	for p in "$@"; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}

# With BENCH_SMAPS=DIR, each counted process's smaps and status go to
# DIR/SERVER/PID.{smaps,status}: bench/pss_roles.py splits miniftpd's PSS by
# the role each process plays in its session.
save_smaps() {	# SERVER PID...
	local s=$1 p d; shift
	[ -n "${BENCH_SMAPS:-}" ] || return 0
	d=$BENCH_SMAPS/$s; rm -rf "$d"; mkdir -p "$d"
	for p in "$@"; do
		cat "/proc/$p/smaps" > "$d/$p.smaps" 2>/dev/null
		cat "/proc/$p/status" > "$d/$p.status" 2>/dev/null
	done
}

m_pss() {	# SERVER
	local s=$1 f=$W/hold.out i line held total
	"$FTPLOAD" -p "${PORT[$s]}" -T 15000 $(who local) --hold "$HOLD" -c 8 -t 120 > "$f" 2>>"$LOG" &
	HOLDPID=$!
	for i in $(seq 600); do grep -q '^ready' "$f" && break; sleep 0.1; done
	line=$(grep '^ready' "$f")
	held=$(kv held "$line")
	sleep 0.5	# let the last logins settle
	total=$(pss_kib $(server_pids "$s"))
	save_smaps "$s" $(server_pids "$s")
	stop_pid "$HOLDPID"; wait "$HOLDPID" 2>/dev/null; HOLDPID=""
	echo "pss $s $line total_kib=$total" >> "$LOG"
	[ "${held:-0}" = "$HOLD" ] || { VAL="NA failed"; return; }
	VAL=$(awk -v t="$total" -v n="$HOLD" 'BEGIN { printf "%.0f\n", t / n }')
}

# ---------------------------------------------------------------- FTPS

# The FTPS rows measure each standalone server's TLS twin (TLSOF) with
# ftpload --tls: TLS 1.3, TLS_AES_128_GCM_SHA256 alone, PROT P, every data
# connection resuming the control session.  Results are filed under the
# plain server's name (tls.* metrics), so the table's columns and ratios
# are the plain rows'.
tload() {	# SERVER ARGS...: ftpload --tls against SERVER's TLS twin
	local s=${TLSOF[$1]}; shift
	"$FTPLOAD" -p "${PORT[$s]}" -T 15000 --tls --tls-suite "$TLS_SUITE" "$@" 2>>"$LOG"
}

tls_ok() {	# LINE: the session used the forced version and suite
	[ "$(kv tls "$1")" = "TLSv1.3/$TLS_SUITE" ]
}

tprobe() {	# SERVER: one session with a LIST, a RETR and a STOR read back
	local s=$1 line rc
	line=$(tload "$s" $(who local) --list-verb LIST --retr small/f1.txt \
		--stor up/tprobe --size 100000 --verify --delete -c 1 -n 1 -t 20); rc=$?
	echo "tls-probe $s rc=$rc $line" >> "$LOG"
	if [ $rc = 0 ] && tls_ok "$line"; then
		CAP[$s.tls]=ok
	elif [ $rc = 3 ]; then
		CAP[$s.tls]="unsupported $(kv unsupported "$line")"
	else
		CAP[$s.tls]="failed: $(kv error "$line") tls=$(kv tls "$line")"
		log "${NAME[${TLSOF[$s]}]}: ${CAP[$s.tls]}"
	fi
}

m_tls_retr() {	# SERVER
	local s=$1 line
	line=$(tload "$s" $(who local) --no-list --retr tls.bin --retr-size "$TLS_SIZE" \
		-c 1 -n 1 -t 300)
	echo "tls-retr $s $line" >> "$LOG"
	[ "$(kv ok "$line")" = 1 ] && tls_ok "$line" || { VAL="NA failed"; return; }
	VAL=$(kv xfer_mb_per_s "$line")
}

m_tls_stor() {	# SERVER
	local s=$1 line k0 k1 f
	[ -r "$REPORTED" ] && warm_uploads
	k0=$(reported_kib)
	line=$(tload "$s" $(who local) --no-list --stor up/tstor --stor-file "$W/home/tls.bin" \
		-c 1 -n 1 -t 300)
	k1=$(reported_kib)
	echo "tls-stor $s $line reported_kib=$((k1 - k0))" >> "$LOG"
	[ "$k1" = "$k0" ] || STOR_REPORTED=$((STOR_REPORTED + 1))
	f=$(ls "$W"/home/up/tstor.* 2>/dev/null | head -1)
	if [ "$(kv ok "$line")" != 1 ] || ! tls_ok "$line" || [ -z "$f" ] ||
	   ! cmp -s "$W/home/tls.bin" "$f"; then
		rm -f "$W"/home/up/tstor.*; VAL="NA failed"; return
	fi
	rm -f "$W"/home/up/tstor.*
	VAL=$(kv xfer_mb_per_s "$line")
}

m_tls_sessions() {	# SERVER CLIENTS: AUTH TLS + login + PBSZ/PROT P + LIST, QUIT
	local s=$1 c=$2 line rc key=tls.sess.$2
	line=$(tload "$s" $(who local) --list-verb LIST -c "$c" -t "$SECS" -n 1000000); rc=$?
	echo "tls-sessions $s c=$c rc=$rc $line" >> "$LOG"
	if [ $rc -ne 0 ] && few_failures "$line"; then
		FAILNOTE[$s]="${FAILNOTE[$s]:-}; $(kv fail "$line") of $(kv sessions "$line") FTPS sessions failed in one run with $c clients ($(kv error "$line")), counted"
		rc=0
	fi
	if [ $rc -ne 0 ] || [ "$(kv ok "$line")" = 0 ] || ! tls_ok "$line"; then
		put "$key.rate" "$s" "NA failed"; put "$key.p99" "$s" "NA failed"; return
	fi
	put "$key.rate" "$s" "$(kv rate "$line")"
	put "$key.p99" "$s" "$(kv p99_ms "$line")"
}

m_tls_pss() {	# SERVER: PSS of the TLS twin's processes, HOLD idle FTPS sessions
	local s=$1 t=${TLSOF[$1]} f=$W/hold.out i line held total
	tload "$s" $(who local) --hold "$HOLD" -c 8 -t 120 > "$f" &
	HOLDPID=$!
	for i in $(seq 600); do grep -q '^ready' "$f" && break; sleep 0.1; done
	line=$(grep '^ready' "$f")
	held=$(kv held "$line")
	sleep 0.5
	total=$(pss_kib $(server_pids "$t"))
	save_smaps "$t" $(server_pids "$t")
	stop_pid "$HOLDPID"; wait "$HOLDPID" 2>/dev/null; HOLDPID=""
	echo "tls-pss $s $line total_kib=$total" >> "$LOG"
	[ "${held:-0}" = "$HOLD" ] && tls_ok "$line" || { VAL="NA failed"; return; }
	VAL=$(awk -v t="$total" -v n="$HOLD" 'BEGIN { printf "%.0f\n", t / n }')
}

# miniftpd's send path of its last FTPS download (its log line,
# "... TLS send: ktls|userspace"), for the RETR row's label.
tls_send_path() {
	grep -o 'TLS send: [a-z]*' "$LOG" | tail -1 | sed 's/TLS send: //'
}

tls_runs() {
	local peers="" s r c m na
	for s in mini vsftpd pure; do up "${TLSOF[$s]}" && peers="$peers $s"; done
	[ -n "$peers" ] || return 0
	log "FTPS rows: $TLS_SIZE_MB MiB transfers, TLS 1.3 $TLS_SUITE, $TLS_KEY certificate"
	for s in $peers; do tprobe "$s"; done
	"$FTPLOAD" --gen "$W/home/tls.bin" --size "$TLS_SIZE" >/dev/null || return 1
	chmod a+r "$W/home/tls.bin"; cat "$W/home/tls.bin" > /dev/null	# into the page cache
	for m in retr stor; do
		for r in $(seq "$RUNS"); do
			for s in $(rotated "$r" $peers); do
				if na=$(tls_na "$s"); then [ "$r" = 1 ] && put "tls.$m" "$s" "$na"; continue; fi
				VAL=""; "m_tls_$m" "$s"; put "tls.$m" "$s" "$VAL"
			done
		done
	done
	TLS_SEND=$(tls_send_path)
	for c in $TLS_CLIENTS; do
		for r in $(seq "$SRUNS"); do
			for s in $(rotated "$r" $peers); do
				if na=$(tls_na "$s"); then
					[ "$r" = 1 ] && put "tls.sess.$c.rate" "$s" "$na" && put "tls.sess.$c.p99" "$s" "$na"
					continue
				fi
				m_tls_sessions "$s" "$c"
			done
		done
	done
	for r in $(seq "$PRUNS"); do
		for s in $(rotated "$r" $peers); do
			if na=$(tls_na "$s"); then [ "$r" = 1 ] && put tls.pss "$s" "$na"; continue; fi
			VAL=""; m_tls_pss "$s"; put tls.pss "$s" "$VAL"
		done
	done
}

tls_na() {	# SERVER: the NA text when its TLS twin failed the probe
	local c=${CAP[$1.tls]:-}
	case $c in
	ok) return 1;;
	unsupported*) echo "NA n/a (unsupported: ${c#unsupported })";;
	*) echo "NA failed";;
	esac
}

tls_rows() {
	local c
	[ "$TLS_MODE" = no ] && return 0
	row tls.retr "FTPS RETR $TLS_SIZE_MB MiB, PROT P, MB/s ↑ (miniftpd sends: ${TLS_SEND:-?})" hi 0
	row tls.stor "FTPS STOR $TLS_SIZE_MB MiB to $UPFS, PROT P, MB/s ↑" hi 0
	for c in $TLS_CLIENTS; do
		row "tls.sess.$c.rate" "FTPS sessions/s (AUTH TLS, login, PROT P, LIST), $(user_label local), $c clients ↑" hi 0
		row "tls.sess.$c.p99" "FTPS session p99 ms, $(user_label local), $c clients ↓" lo 0
	done
	row tls.pss "PSS per idle FTPS session, KiB ($HOLD sessions) ↓" lo 0
}

# SERVERS rotated by R - 1 places: run R starts with its R-th server, so
# no server always runs first (after a pause) or right after the same peer.
rotated() {	# R SERVERS...
	local r=$1 k; shift
	k=$(( (r - 1) % $# ))
	echo "${@:k+1}" "${@:1:k}"
}

# One value per run, servers alternating within each run (rotated, above).
run_simple() {	# METRIC CAP RUNS SERVERS...
	local m=$1 cap=$2 runs=$3 r s na; shift 3
	for r in $(seq "$runs"); do
		for s in $(rotated "$r" "$@"); do
			up "$s" || continue
			if [ "$cap" != - ] && na=$(na_for "$s" "$cap"); then
				[ "$r" = 1 ] && put "$m" "$s" "$na"; continue
			fi
			VAL=""
			"m_$m" "$s"
			put "$m" "$s" "$VAL"
		done
	done
}

run_sessions() {	# USER CAP [--no-list] ; the clients counts of CLIENTS
	local u=$1 cap=$2 extra=${3:-} r c s na k
	for c in $CLIENTS; do
		[ -n "$extra" ] && [ "$c" = 1 ] && continue
		for r in $(seq "$SRUNS"); do
			for s in $(rotated "$r" $PLAIN); do
				up "$s" || continue
				if [ -z "$extra" ] && na=$(na_for "$s" "$cap"); then
					if [ "$r" = 1 ]; then
						for k in rate p50 p99; do put "sess.$u.$c.$k" "$s" "$na"; done
					fi
					continue
				fi
				m_sessions "$s" "$u" "$c" "$extra"
			done
		done
	done
}

# The kernel's part of the LIST: getdents64 + fstatat of every entry and
# nothing else (bench/listfloor.c), against the best peer's LIST time.
# One round of LREP after each round of the servers' LISTs, as the machine
# drifts; the note gives the median of the rounds' medians.
list_runs() {
	local r line
	for r in $(seq "$RUNS"); do
		run_simple list list 1 $(rotated "$r" mini vsftpd pure)
		[ -x "$BUILD/listfloor" ] || continue
		line=$("$BUILD/listfloor" "$W/home/list10k" "$LREP" 2>>"$LOG")
		echo "listfloor $line" >> "$LOG"
		put listfloor bench "$(kv median_ms "$line")"
	done
}

list_floor_note() {
	local f v p best=""
	f=$(median listfloor bench); [ -n "$f" ] || return 0
	for p in vsftpd pure; do
		v=$(median list "$p"); [ -n "$v" ] || continue
		if [ -z "$best" ] || awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then best=$v; fi
	done
	printf -- "- LIST floor: %s ms for getdents64 + fstatat of the %s entries alone (bench/listfloor.c, no server)" "$f" "$LIST_N"
	[ -n "$best" ] && awk -v f="$f" -v b="$best" 'BEGIN { printf ", %.2f of the best peer'"'"'s LIST", f / b }'
	echo
}

stor_note() {
	[ -r "$REPORTED" ] || return 0
	echo "- STOR: this machine hands free memory back to its host (free page reporting); $STOR_REPORTED of the timed uploads overlapped a report, which slows any server 2-3x (bench/README.md)"
}

limitd_bench() {
	LIMITD_ROW=""; LIMITD_VM_ROW=""
	[ -x "$BUILD/limitd_bench" ] || return 0
	local line
	line=$(timeout 300 "$BUILD/limitd_bench" $([ "$QUICK" = 1 ] && echo --quick) 2>>"$LOG")
	echo "limitd_bench $line" >> "$LOG"
	LIMITD_ROW=$line
	# 100,000 held sessions need 100,000 descriptors in limitd: where this
	# machine cannot have them, a VM can (not in QUICK mode: ~40 s more)
	[ "$(kv bytes_per_session_100000 "$line")" = n/a ] && [ "$QUICK" != 1 ] &&
		[ "${BENCH_LIMITD_VM:-auto}" != no ] || return 0
	log "limitd at 100,000 held sessions: in a VM (bench/limitd-vm.sh)"
	line=$(bash "$TOP/bench/limitd-vm.sh" "$BUILD" "$OUT/vm" 2>>"$LOG")
	echo "limitd_bench in a VM: ${line:-failed}" >> "$LOG"
	LIMITD_VM_ROW=$line
}

limitd_vm_note() {
	[[ "$(kv bytes_per_session_100000 "${LIMITD_VM_ROW:-}")" =~ ^[0-9]+$ ]] || return 0
	echo "- limitd at 100,000 held sessions: measured in a VM (bench/limitd-vm.sh: the same limitd and limitd_bench with their libraries, Debian's kernel $(kv vm_kernel "$LIMITD_VM_ROW") under qemu/$(kv vm_accel "$LIMITD_VM_ROW")), as limitd cannot have 100,000 descriptors here (RLIMIT_NOFILE $(kv nofile "$LIMITD_ROW")); 10,000 in the VM: $(kv bytes_per_session_10000 "$LIMITD_VM_ROW") bytes"
}

# ---------------------------------------------------------------- report

cell() {	# METRIC SERVER: "median (min-max)" or the NA text
	local f=$W/res/$1.$2
	[ -s "$f" ] || { up "$2" && echo "–" || echo "n/a (${WHY[$2]%% (*})"; return; }
	if grep -q '^NA' "$f"; then grep -m1 '^NA' "$f" | sed 's/^NA //'; return; fi
	sort -g "$f" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		fmt = m >= 100 ? "%.0f" : (m >= 10 ? "%.1f" : "%.2f")
		if (NR == 1) printf fmt, m
		else printf fmt " (" fmt "–" fmt ")", m, v[1], v[NR] }'
}

median() {	# METRIC SERVER: the bare median, empty when absent
	local f=$W/res/$1.$2
	[ -s "$f" ] && ! grep -q '^NA' "$f" || return 0
	sort -g "$f" | awk '{ v[NR] = $1 } END {
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {	# METRIC A B: median(A) / median(B)
	local a b
	a=$(median "$1" "$2"); b=$(median "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] || { echo "–"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "–"; else printf "%.2f\n", a / b }'
}

# Best peer for the metric (higher or lower is better), and SERVER/best ratio.
sa_ratio() {	# METRIC DIR(hi|lo) SERVER
	local v p best=""
	for p in vsftpd pure; do
		v=$(median "$1" "$p"); [ -n "$v" ] || continue
		if [ -z "$best" ] || awk -v v="$v" -v b="$best" -v d="$2" \
			'BEGIN { exit !(d == "hi" ? v > b : v < b) }'; then best=$v; fi
	done
	v=$(median "$1" "$3")
	[ -n "$v" ] && [ -n "$best" ] || { echo "–"; return; }
	awk -v a="$v" -v b="$best" 'BEGIN { if (b == 0) print "–"; else printf "%.2f\n", a / b }'
}

row() {	# METRIC LABEL DIR(hi|lo) SA(1 if socket-activated is measured)
	local m=$1 sa="—" sl="—" sar="—" slr="—"
	if [ "$4" = 1 ]; then
		sa=$(cell "$m" minisa); sl=$(cell "$m" minisl)
		sar=$(sa_ratio "$m" "$3" minisa); slr=$(sa_ratio "$m" "$3" minisl)
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(cell "$m" mini)" \
		"$sa" "$sl" "$(cell "$m" vsftpd)" "$(cell "$m" pure)" "$(ratio "$m" mini vsftpd)" \
		"$(ratio "$m" mini pure)" "$sar" "$slr"
}

user_label() {	# local|anon
	case $1 in anon) echo anonymous;; *) [ "$ROOT" = 1 ] && echo "local user" || echo "virtual user";; esac
}

table() {
	local u c lab n
	echo "| metric | miniftpd | miniftpd (socket-activated) | miniftpd (socket-activated, Accept=no) | vsftpd | Pure-FTPd | miniftpd / vsftpd | miniftpd / Pure-FTPd | socket-activated / best peer | Accept=no / best peer |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	if [ "$ROWS" = tls ]; then tls_rows; return; fi
	row retr "RETR $SIZE_MB MiB from page cache, MB/s ↑" hi 0
	row stor "STOR $SIZE_MB MiB to $UPFS, MB/s ↑" hi 0
	for u in local anon; do
		lab=$(user_label "$u")
		for c in $CLIENTS; do
			n="$c clients"; [ "$c" = 1 ] && n="1 client"
			row "sess.$u.$c.rate" "sessions/s, $lab, $n ↑" hi 1
			row "sess.$u.$c.p50" "session p50 ms, $lab, $n ↓" lo 1
			row "sess.$u.$c.p99" "session p99 ms, $lab, $n ↓" lo 1
		done
	done
	if [ -n "$NOLIST" ]; then
		for u in local anon; do
			lab=$(user_label "$u")
			for c in $CLIENTS; do
				[ "$c" = 1 ] && continue
				row "sess.$u.$c.nolist.rate" "sessions/s without PASV+NLST, $lab, $c clients ↑" hi 1
			done
		done
	fi
	row pss "PSS per idle logged-in session, KiB ($HOLD sessions) ↓" lo 1
	row list "LIST of $LIST_N entries, ms ↓" lo 0
	tls_rows
	limitd_rows
}

limitd_rows() {
	local a b c cap fl nf
	if [ -z "$LIMITD_ROW" ]; then
		echo "| limitd admissions/s ↑ | not measured | — | — | — | — | — | — | — | — |"
		echo "| limitd bytes per held session (10,000 / 100,000) ↓ | not measured | — | — | — | — | — | — | — | — |"
		return
	fi
	a=$(kv admissions_per_s "$LIMITD_ROW"); b=$(kv bytes_per_session_10000 "$LIMITD_ROW")
	c=$(kv bytes_per_session_100000 "$LIMITD_ROW"); cap=$(kv limitd_capacity_per_s "$LIMITD_ROW")
	fl=$(kv syscall_floor_per_s "$LIMITD_ROW"); nf=$(kv nofile "$LIMITD_ROW")
	if [ "$c" = n/a ] && [[ "$(kv bytes_per_session_100000 "${LIMITD_VM_ROW:-}")" =~ ^[0-9]+$ ]]; then
		c="$(kv bytes_per_session_100000 "$LIMITD_VM_ROW") (in a VM)"
	elif [ "$c" = n/a ] && [ -n "$nf" ]; then
		c="n/a (RLIMIT_NOFILE $nf)"
	fi
	echo "| limitd admissions/s ↑ (on a CPU of its own / kernel floor) | ${a:-failed} (${cap:-?} / ${fl:-?}) | — | — | — | — | — | — | — | — |"
	echo "| limitd bytes per held session (10,000 / 100,000) ↓ | ${b:-?} / ${c:-?} | — | — | — | — | — | — | — | — |"
}

# What the machine charges for a system call, a fork and a page fault
# (bench/machcost.c), measured before any server starts: sessions are made
# of these, and machines differ in them tenfold (bench/README.md).
machine_prices() {
	[ -x "$BUILD/machcost" ] || return 0
	PRICES=$("$BUILD/machcost" "$([ "$QUICK" = 1 ] && echo 7 || echo 21)" 2>>"$LOG")
	echo "machcost $PRICES" >> "$LOG"
}

machine() {
	local mem cpu
	mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
	echo "- machine: $(nproc) CPUs ($cpu), $mem memory, Linux $(uname -r)"
	[ -n "${PRICES:-}" ] &&
		echo "- the machine's prices (bench/machcost.c, medians): a system call" \
		     "$(kv syscall_us "$PRICES") us (getppid), fork + exit + wait" \
		     "$(kv fork_us "$PRICES") us, a page fault on fresh memory" \
		     "$(kv fault_us "$PRICES") us, a forked child's first read of a page its" \
		     "parent had filled (no fault) $(kv touch_us "$PRICES") us"
	echo "- miniftpd: ${REV:-unknown}," \
	     "$([ "$USE_LIMITD" = 1 ] && echo "with limitd" || echo "limitd_enable=NO")"
	echo "- vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null)," \
	     "Pure-FTPd $(ls "$OUT"/pkg/pure-ftpd_*.deb 2>/dev/null | sed 's/.*pure-ftpd_\([^_]*\)_.*/\1/')," \
	     "$(curl --version | head -1 | cut -d' ' -f1-2)"
	echo "- mode: $([ "$QUICK" = 1 ] && echo "QUICK=1 (small sizes, few runs)" || echo full)," \
	     "$RUNS runs per transfer/LIST metric, $SRUNS runs of ${SECS} s per session metric, $PRUNS of PSS," \
	     "servers alternating within each run in an order rotated from run to run; cells are median (min–max)"
	[ "$TLS_MODE" != no ] &&
		echo "- FTPS: TLS 1.3 with $TLS_SUITE, the only suite ftpload offers; one $TLS_KEY" \
		     "certificate for all, made for the run; TLS 1.2 ciphers $TLS12_CIPHERS on every" \
		     "server; $(openssl version | cut -d' ' -f1-2); kernel TLS:" \
		     "$(grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null && echo available ||
			echo "not available (no tls in tcp_available_ulp)"), miniftpd sent with: ${TLS_SEND:-?}"
	echo "- local user: system user with a sha512-crypt password (the same hash for all)" \
	     "$([ "$ROOT" = 1 ] || echo "— not root: miniftpd virtual user instead, peers skipped")"
}

report() {
	local t
	t=$(table)
	echo
	echo "$t"
	{
		echo "# Benchmark results"
		echo
		echo "Generated by \`make bench$([ "$QUICK" = 1 ] && echo " QUICK=1")\` on $(date -u '+%Y-%m-%d %H:%M UTC'); see bench/README.md for what each number means."
		echo
		machine
		echo
		echo "$t"
		echo
		echo "↑ higher is better, ↓ lower is better; ratios are of medians."
		local s
		for s in $SERVERS; do
			[ -n "${WHY[$s]:-}" ] && echo "- ${NAME[$s]}: ${WHY[$s]}"
			[ -n "${FAILNOTE[$s]:-}" ] && echo "- ${NAME[$s]}: ${FAILNOTE[$s]#; }"
		done
		[ -n "$NOLIST" ] && echo "- $NOLIST"
		list_floor_note
		stor_note
		limitd_vm_note
		true
	} > "$RESULTS"
	log "wrote ${RESULTS#$TOP/}"
}

# ---------------------------------------------------------------- main

main() {
	local t0=$SECONDS
	[ "$ROOT" = 1 ] || log "not root: no packages, no system user, no tmpfs, no peers; miniftpd alone with a virtual user"
	[ -x "$FTPLOAD" ] || { log "no ftpload at $FTPLOAD"; exit 1; }
	install_deps || true
	fetch_pure || { log "Pure-FTPd: ${WHY[pure]}"; WHY[puretls]=${WHY[pure]}; }
	machine_prices
	W=$(mktemp -d /var/tmp/miniftpd-bench.XXXXXX) || exit 1
	chmod 755 "$W"
	mkdir -p "$W/res" "$W/home"
	pick_ports
	if [ "$ROOT" = 1 ]; then
		bench_lock
		make_user
		LOGIN_USER=$BENCH_USER
	else
		LOGIN_USER=benchvirt
		PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
		HASH=$(printf '%s\n' "$PASS" | openssl passwd -6 -stdin)
		echo "$LOGIN_USER:$HASH:$W/home" > "$W/users"
	fi
	anon_setup || { log "cannot set up the anonymous root"; exit 1; }
	make_files
	make_cert
	log "files ready: $SIZE_MB MiB, $LIST_N-entry directory, uploads to $UPFS"
	start_servers
	NOLIST=""; LIMITD_ROW=""; LIMITD_VM_ROW=""
	if [ "$ROWS" = tls ]; then	# BENCH_ROWS=tls: the FTPS rows alone
		warm_uploads
		tls_runs
		log "all done ($((SECONDS - t0)) s)"
		report
		return
	fi
	probe_all
	run_simple retr retr "$RUNS" mini vsftpd pure
	warm_uploads
	run_simple stor stor "$RUNS" mini vsftpd pure
	list_runs
	log "transfers done ($((SECONDS - t0)) s)"
	run_sessions local nlst
	run_sessions anon anon
	case "${CAP[mini.nlst]:-}" in unsupported*)
		NOLIST="miniftpd answers 500/502 to PASV or NLST, so sessions were also measured without PASV+NLST (login, PWD, QUIT)"
		run_sessions local - --no-list
		run_sessions anon - --no-list;;
	esac
	log "sessions done ($((SECONDS - t0)) s)"
	run_simple pss - "$PRUNS" $PLAIN
	tls_runs
	limitd_bench
	log "all done ($((SECONDS - t0)) s)"
	report
}

main
