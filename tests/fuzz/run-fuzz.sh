#!/bin/sh
# run-fuzz.sh BUILD SECONDS NAME... - run each libFuzzer target BUILD/fuzz_NAME
# for SECONDS seconds on BUILD/corpus/NAME (seeded from tests/fuzz/corpus/NAME).
# Crashes, leaks, timeouts and sanitizer reports go to BUILD/crashes/; any of
# them fails the run.  Ends with "N targets, K failed" and exits 1 when K > 0.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD SECONDS NAME..." >&2
	exit 2
fi
build=$1 seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/crashes" "$build/logs"
n=0 failed=0 failures=

for name in "$@"; do
	n=$((n + 1))
	bin=$build/fuzz_$name
	work=$build/corpus/$name
	mkdir -p "$work"
	[ -d "$here/corpus/$name" ] && cp -n "$here/corpus/$name"/* "$work"/ 2>/dev/null
	log=$build/logs/$name.log
	echo "== fuzz_$name: ${seconds}s on $work"
	# -close_fd_mask=3: the targets log like the server does; libFuzzer keeps
	# its own report.  -timeout: one input must not take a second.
	# The process is bounded from outside too, in case the target hangs.
	timeout --kill-after=10 $((seconds + 60)) "$bin" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$name-" "$work" >"$log" 2>&1
	rc=$?
	grep -E "^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ *DONE)" "$log" |
		sed "s/^/   /"
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		failures="$failures $name"
		echo "fuzz_$name: FAILED (exit status $rc), see $log"
		grep -E "^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" "$log" | head -n 5
	fi
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$n targets, $failed failed"
[ "$failed" -eq 0 ]
