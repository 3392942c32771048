#!/bin/sh
# run-integ.sh BUILD - the integration tests (pytest-3) against BUILD/miniftpd.
#
# As an ordinary user: one run.  As root: a run as root (privilege
# separation for real), then a second run as an ordinary user (nobody,
# or INTEG_USER) from a fresh copy of the tree and the build directory
# under /tmp, because the checks differ (no chroot, only virtual and
# anonymous users).
# Exits non-zero if any run fails; pytest's "no tests ran" (5) is a failure.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD" >&2
	exit 2
fi
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$top/$build ;;
esac
pytest=/usr/bin/pytest-3
limit=${INTEG_TIMEOUT:-1800}
as_user=${INTEG_USER:-nobody}

if [ ! -x "$pytest" ]; then
	echo "run-integ.sh: $pytest missing (Debian package python3-pytest)" >&2
	exit 1
fi
if [ ! -x "$build/miniftpd" ]; then
	echo "run-integ.sh: $build/miniftpd missing; run make first" >&2
	exit 1
fi

asan_opts=${ASAN_OPTIONS:-}

# run_pytest LABEL DIR BUILD [PREFIX...]: pytest on DIR/tests/integ
run_pytest() {
	label=$1 dir=$2 bdir=$3
	shift 3
	echo "== integration tests as $label ($bdir)"
	(cd "$dir" && "$@" env BUILD="$bdir" MINIFTPD_BIN="$bdir/miniftpd" \
		PYTHONDONTWRITEBYTECODE=1 ASAN_OPTIONS="$asan_opts" \
		timeout --kill-after=30 "$limit" "$pytest" -q -rs -p no:cacheprovider tests/integ)
	rc=$?
	[ $rc -eq 5 ] && echo "pytest ran no tests as $label"
	[ $rc -eq 124 ] && echo "pytest timed out after ${limit}s as $label"
	echo "== integration tests as $label: exit status $rc"
	return $rc
}

if [ "$(id -u)" -ne 0 ]; then
	run_pytest "$(id -un)" "$top" "$build"
	exit $?
fi

# Sanitizer builds (SANITIZE=1): LeakSanitizer stops the process with a
# ptrace()d helper task and reads /proc.  A session process that changed
# its uid is not dumpable (the kernel clears the flag), so that ptrace is
# refused, and a chrooted one has no /proc: LSan would only report its own
# failure.  The root run therefore checks ASan and UBSan without leaks; the
# run as an ordinary user (no uid change, no chroot) checks leaks too.
# ASAN_OPTIONS is ignored by release builds.
asan_opts=${ASAN_OPTIONS:-detect_leaks=0}
run_pytest root "$top" "$build"
rc_root=$?
asan_opts=${ASAN_OPTIONS:-}

# The same tests as an ordinary user, from a copy of the tree (sources
# for the tests that run make, and the build directory with its time
# stamps, so nothing is rebuilt) that the user can read and write.
copy=$(mktemp -d /tmp/miniftpd-integ-user.XXXXXX) || exit 1
trap 'rm -rf "$copy"' EXIT INT TERM
rel=${build#"$top"/}
[ "$rel" = "$build" ] && rel=build/$(basename "$build")
tar -C "$top" --exclude=./.git --exclude=./build --exclude=__pycache__ \
	--exclude=.pytest_cache -cf - . | tar -C "$copy" -xpf - || exit 1
mkdir -p "$copy/$rel"
tar -C "$build" -cf - . | tar -C "$copy/$rel" -xpf - || exit 1
chmod -R a+rX "$copy"
chown -R "$as_user" "$copy"
if command -v runuser >/dev/null 2>&1; then
	run_pytest "$as_user" "$copy" "$copy/$rel" runuser -u "$as_user" -- \
		env HOME="$copy"
else
	run_pytest "$as_user" "$copy" "$copy/$rel" setpriv --reuid="$as_user" \
		--regid="$(id -g "$as_user")" --init-groups --reset-env env HOME="$copy"
fi
rc_user=$?

echo "integration: root exit status $rc_root, $as_user exit status $rc_user"
[ $rc_root -eq 0 ] && [ $rc_user -eq 0 ]
