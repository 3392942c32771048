#!/bin/sh
# bench/ktls-guest.sh - `make bench-ktls` inside the VM (bench/ktls.sh boots
# it; tests/ktls/init.sh runs this as /mnt/guest.sh).  The share /mnt holds
# tree/ (bench/run.sh, build/rel/{miniftpd,limitd,ftpload,machcost,listfloor}
# and build/bench/pure-ftpd, the layout bench/run.sh expects) and env (the
# bench's settings, sourced).  For each pass of PASSES (ktls: with the tls
# module loaded; userspace: without it) it runs the FTPS rows of bench/run.sh
# and leaves in /mnt: RESULTS.PASS.md, bench.PASS.log, tls_stat.PASS and
# status.PASS (run.sh's exit status); first prices (bench/machcost alone)
# and guest.txt (kernel, CPUs, memory).  The last line of /mnt/status is
# "done".  run.sh bounds itself (timeout); bench/ktls.sh bounds the VM.
S=/mnt
. "$S/env"
echo "ktls-bench: kernel $(uname -r), $(nproc) CPUs, ULPs: $(cat /proc/sys/net/ipv4/tcp_available_ulp)"
: > "$S/status"
{ echo "kernel=$(uname -r)"; echo "cpus=$(nproc)"
  echo "cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
  echo "aes=$(grep -qw aes /proc/cpuinfo && echo yes || echo no)"; } > "$S/guest.txt"
# run.sh's work directory (/var/tmp) and the tree on tmpfs: the disk is a
# small qemu snapshot, and the transfers are from and to memory as on the host
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
cp -a "$S/tree" /var/tmp/top
cd /var/tmp/top || exit 1
build/rel/machcost 21 > "$S/prices" 2>&1
echo "ktls-bench: prices: $(cat "$S/prices")"
for pass in $PASSES; do
	case $pass in
	ktls) modprobe tls ;;
	userspace) modprobe -r tls 2>/dev/null ;;
	esac
	echo "ktls-bench: pass $pass, ULPs: $(cat /proc/sys/net/ipv4/tcp_available_ulp)"
	QUICK=$QUICK RUNS=$RUNS BENCH_ROWS=tls BENCH_TLS_SIZE_MB=$BENCH_TLS_SIZE_MB \
	BENCH_TLS_KEY=$BENCH_TLS_KEY BENCH_REV=$BENCH_REV BENCH_RESULTS=$S/RESULTS.$pass.md \
		timeout -s TERM "$PASS_LIMIT" bash bench/run.sh build/rel build/rel/ftpload
	echo "$pass $?" >> "$S/status"
	cp build/bench/bench.log "$S/bench.$pass.log"
	cat /proc/net/tls_stat > "$S/tls_stat.$pass" 2>/dev/null || echo "(no /proc/net/tls_stat)" > "$S/tls_stat.$pass"
done
echo done >> "$S/status"
