#!/bin/sh
# run-unit.sh BUILD UNIT_BINS... -- FUZZ_BINS...
#
# Runs every cmocka test binary, then replays every fuzz binary over
# tests/fuzz/corpus/NAME/ (NAME: the binary's name without "fuzz_").
# Each binary counts once.  Ends with "N passed, N failed" on a line of
# its own and exits 1 when anything failed (or nothing ran).

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD UNIT_BINS... -- FUZZ_BINS..." >&2
	exit 2
fi
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/fuzz/corpus
# A test binary that hangs is a failure, not a stuck `make check`.
limit=${UNIT_TIMEOUT:-120}
passed=0
failed=0
failures=

note_result() {
	# $1 name, $2 exit status
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $1"
		[ "$2" -eq 124 ] && echo "$1: timed out after ${limit}s"
		echo "$1: FAILED (exit status $2)"
	fi
}

in_fuzz=0
for bin in "$@"; do
	if [ "$bin" = "--" ]; then
		in_fuzz=1
		continue
	fi
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "$name: missing ($bin)"
		note_result "$name" 127
		continue
	fi
	if [ $in_fuzz -eq 0 ]; then
		echo "== $name"
		timeout "$limit" "$bin" 2>&1
		note_result "$name" $?
	else
		dir=$corpus/${name#fuzz_}
		echo "== $name ($dir)"
		if [ ! -d "$dir" ]; then
			echo "$name: no corpus directory $dir"
			note_result "$name" 1
			continue
		fi
		timeout "$limit" "$bin" "$dir" 2>&1
		note_result "$name" $?
	fi
done

[ -n "$failures" ] && echo "failed:$failures"
echo "unit tests and fuzz replays in $build:"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
