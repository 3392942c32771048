# nspawn.sh - boot a copy of a cached Debian 12 root (mkroot.sh) under
# systemd-nspawn and run commands in it.  Sourced by a test script (sh):
#
#   . tests/nspawn/nspawn.sh
#   ns_boot build/deb-root build/deb-run   # copy, boot, wait for systemd
#   ns_run systemctl is-system-running     # a command inside, as root
#   ns_stop                                # power off, remove the copy
#
# The machine's PID 1 is not systemd, so the container is started with
# --register=no --keep-unit (no machined, no scope of its own) and
# --private-network (a loopback of its own: port 21 inside is free).
# Commands enter every namespace of the container's init with nsenter.
# Every wait is bounded; ns_stop ends only the nspawn process ns_boot
# started (by its pid) and is safe to call twice (trap it on EXIT).
#
# NS_OVERLAY=1 before ns_boot: no copy; the cached root is booted read-only
# under a tmpfs overlay (systemd-nspawn --volatile=overlay), a copy on
# write that vanishes at power-off: seconds less to boot and to clean up,
# and the cache stays untouched.  Write into it from the host through
# $NS_ROOT (/proc/<its init>/root, the container's own view), never
# through the cache's path.

NS_PID=		# systemd-nspawn
NS_INIT=	# the container's systemd (PID 1 inside)
NS_DIR=		# the run directory holding the copy (and console.log)
NS_ROOT=	# the container's root seen from the host, after ns_boot

# ns_boot CACHED_ROOT RUNDIR
ns_boot() {
	NS_DIR=$2
	rm -rf "$NS_DIR"
	mkdir -p "$NS_DIR"
	if [ -n "${NS_OVERLAY:-}" ]; then
		set -- "$1" --volatile=overlay -D "$1"
	else
		cp -a "$1" "$NS_DIR/root" || return 1
		set -- "$1" -D "$NS_DIR/root"
	fi
	shift
	# A machine name of its own (nspawn keeps /run/systemd/nspawn/propagate/
	# NAME), so that two test runs can boot at once.
	systemd-nspawn -q -b --register=no --keep-unit --private-network \
		-M "miniftpd-test-$$" "$@" >"$NS_DIR/console.log" 2>&1 </dev/null &
	NS_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		NS_INIT=$(pgrep -P "$NS_PID" 2>/dev/null | head -n 1)
		[ -n "$NS_INIT" ] && break
		kill -0 "$NS_PID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	if [ -z "$NS_INIT" ]; then
		echo "nspawn: the container did not start (see $NS_DIR/console.log)" >&2
		tail -n 5 "$NS_DIR/console.log" >&2
		return 1
	fi
	# The child may not be systemd yet (nspawn forks, then sets the
	# namespaces up and execs): until then systemctl answers nothing.
	# running, or degraded (systemctl --failed names the failed units).
	i=0 state=
	while [ $i -lt 60 ]; do
		state=$(ns_run_t 60 systemctl is-system-running --wait 2>/dev/null)
		[ -n "$state" ] && [ "$state" != offline ] && break
		kill -0 "$NS_PID" 2>/dev/null || break
		sleep 0.2; i=$((i + 1))
		NS_INIT=$(pgrep -P "$NS_PID" 2>/dev/null | head -n 1)
	done
	NS_ROOT=$NS_DIR/root
	[ -n "${NS_OVERLAY:-}" ] && NS_ROOT=/proc/$NS_INIT/root
	case $state in
	running|degraded) return 0 ;;
	*) echo "nspawn: systemd in the container is \"$state\"" >&2; return 1 ;;
	esac
}

# ns_run_t SECONDS CMD... - CMD inside the container, bounded in time
ns_run_t() {
	t=$1; shift
	timeout -k 5 "$t" nsenter -t "$NS_INIT" -a -- "$@"
}

# ns_run CMD... - CMD inside the container, at most 120 s
ns_run() {
	ns_run_t 120 "$@"
}

# ns_stop - power the container off (SIGTERM to nspawn: a clean shutdown),
# after 15 s kill it; then remove the copy unless NS_KEEP is set.
ns_stop() {
	if [ -n "$NS_PID" ] && kill -0 "$NS_PID" 2>/dev/null; then
		kill -TERM "$NS_PID" 2>/dev/null
		i=0
		while kill -0 "$NS_PID" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1; i=$((i + 1))
		done
		if kill -0 "$NS_PID" 2>/dev/null; then
			echo "nspawn: container still up after 15 s, killing it" >&2
			kill -KILL "$NS_PID" 2>/dev/null
			# the container's init: its pid namespace ends with it
			[ -n "$NS_INIT" ] && kill -KILL "$NS_INIT" 2>/dev/null
		fi
		wait "$NS_PID" 2>/dev/null
	fi
	NS_PID=
	if [ -n "$NS_DIR" ] && [ -z "${NS_KEEP:-}" ] && [ -z "${NS_OVERLAY:-}" ]; then
		rm -rf "$NS_DIR/root"
	fi
}
