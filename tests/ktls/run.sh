#!/bin/bash
# tests/ktls/run.sh [BUILD] - `make check-ktls`: the kernel TLS download path
# (SSL_sendfile over a kTLS socket, tlsdata.c) on a kernel that has it.
# Boots Debian 12's own kernel (linux-image-amd64, CONFIG_TLS=m) under
# qemu-system-x86_64 in software emulation (TCG: no KVM needed) with a
# Debian 12 root and runs tests/ktls/guest.sh there against BUILD/miniftpd
# (default build/rel).  Needs root, mmdebstrap and qemu-system-x86.
#
# Caches, each made once and reused while its inputs stay the same:
#   build/ktls-root    the root of tests/nspawn/mkroot.sh with the extra
#                      packages linux-image-amd64 and kmod (its own
#                      stamp, build/ktls-root.pkgs)
#   build/ktls/        vmlinuz, initrd.img (the root's, from initramfs-tools)
#                      and root.img: an ext4 image of the root (mkfs.ext4 -d)
#                      with tests/ktls/init.sh written in as /usr/sbin/ktls-init;
#                      qemu opens it with snapshot=on, so no run changes it
# Each run: build/ktls-run/share, exported to the VM over virtio-9p, holds
# the binary, a certificate made now (openssl req), the files to serve and
# their sha256; the VM writes its results there (guest.sh), and its serial
# console goes to build/ktls-run/console.log.  The VM is killed by PID after
# KTLS_TIMEOUT seconds (default 900).
# Ends with one line: "check-ktls: N passed, M failed", or one
# "check-ktls: skipped: WHY" when the machine cannot run it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/ktls/image.sh
BUILD=${1:-build/rel}
ROOT_CACHE=${KTLS_ROOT:-build/ktls-root}
CACHE=build/ktls
RUN=build/ktls-run
SHARE=$RUN/share
TIMEOUT=${KTLS_TIMEOUT:-900}
pass=0 fail=0 qpid=
t0=$(date +%s)

ok()  { pass=$((pass + 1)); echo "  ok    $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $*"; }
step() { echo "== $* ($(( $(date +%s) - t0 )) s)"; }
finish() {
	ktls_stop_vm
	echo "check-ktls: $pass passed, $fail failed ($(( $(date +%s) - t0 )) s)"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}
skip() { trap - EXIT; ktls_stop_vm; echo "check-ktls: skipped: $*"; exit 0; }
trap finish EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap makes the VM's root)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (package qemu-system-x86)"
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null || skip "mkfs.ext4 or debugfs missing (e2fsprogs)"
[ -x "$BUILD/miniftpd" ] || { bad "$BUILD/miniftpd built (make)"; exit 1; }

step "root $ROOT_CACHE"
MKROOT_TIMEOUT=${MKROOT_TIMEOUT:-1800} sh tests/nspawn/mkroot.sh "$ROOT_CACHE" linux-image-amd64 kmod python3 ||
	skip "could not make the Debian 12 root with linux-image-amd64 (mmdebstrap, network?)"
kernel=$(ls "$ROOT_CACHE"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
kver=${kernel##*/vmlinuz-}
[ -n "$kernel" ] && [ -f "$ROOT_CACHE/boot/initrd.img-$kver" ] ||
	skip "no kernel and initrd in $ROOT_CACHE/boot"

step "disk image $CACHE/root.img (kernel $kver)"
ktls_image "$kernel" "$kver" "$ROOT_CACHE" "$CACHE" || { bad "make the disk image"; exit 1; }

step "share $SHARE"
rm -rf "$RUN"
mkdir -p "$SHARE"
cp "$BUILD/miniftpd" tests/ktls/guest.sh "$SHARE/"
openssl req -x509 -nodes -days 2 -subj /CN=localhost -newkey ec \
	-pkeyopt ec_paramgen_curve:P-256 -keyout "$SHARE/ktls.key" -out "$SHARE/ktls.crt" \
	>"$RUN/openssl.log" 2>&1 || { cat "$RUN/openssl.log"; bad "openssl req"; exit 1; }
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$pw" > "$SHARE/password"
printf 'demo:%s:@ROOT@\n' "$(openssl passwd -6 "$pw")" > "$SHARE/users"
# a few MB (TCG is slow), not a multiple of the 16 KiB record nor of a page
head -c $(( (4 << 20) + 12345 )) /dev/urandom > "$SHARE/big.bin"
sha256sum < "$SHARE/big.bin" | cut -d' ' -f1 > "$SHARE/want.big"
seq 1 20000 | sed 's/^/line /' > "$SHARE/text.txt"
sha256sum < "$SHARE/text.txt" | cut -d' ' -f1 > "$SHARE/want.text"
ok "share ready: $BUILD/miniftpd, certificate, $(wc -c < "$SHARE/big.bin") bytes to serve"

step "boot $kver under qemu (TCG, at most $TIMEOUT s)"
qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -no-reboot \
	-display none -monitor none -serial "file:$RUN/console.log" -nic none \
	-kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 init=/usr/sbin/ktls-init panic=-1 loglevel=4" \
	-drive "file=$CACHE/root.img,format=raw,if=virtio,snapshot=on" \
	-virtfs "local,path=$SHARE,mount_tag=ktls,security_model=none,id=ktls" \
	</dev/null >"$RUN/qemu.log" 2>&1 &
qpid=$!
i=0
while [ $i -lt $((TIMEOUT * 2)) ] && kill -0 "$qpid" 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
if kill -0 "$qpid" 2>/dev/null; then
	bad "the VM powered off within $TIMEOUT s (killed; $RUN/console.log)"
	ktls_stop_vm
else
	wait "$qpid"; rc=$?; qpid=
	[ "$rc" -eq 0 ] || { bad "qemu exit status 0 (got $rc; $RUN/qemu.log)"; cat "$RUN/qemu.log"; }
fi
step "results"
if [ ! -s "$SHARE/results" ]; then
	bad "the VM ran guest.sh (no results; console:)"
	tail -n 30 "$RUN/console.log" | sed 's/^/        /'
	exit 1
fi
while read -r word text; do
	case $word in
	ok) ok "vm: $text" ;;
	FAIL) bad "vm: $text" ;;
	done) ;;
	*) bad "vm: unexpected result line: $word $text" ;;
	esac
done < "$SHARE/results"
tail -n 1 "$SHARE/results" | grep -qx done || {
	bad "guest.sh ran to the end ($RUN/console.log)"
	tail -n 30 "$RUN/console.log" | sed 's/^/        /'
}
echo "  evidence: the server's download lines ($SHARE/ftpd.log):"
grep -h 'Download "' "$SHARE/ftpd.log" 2>/dev/null | sed 's/^/        /'
echo "  evidence: /proc/net/tls_stat after the kernel TLS downloads ($SHARE/tls_stat.2-ktls):"
grep -h . "$SHARE/tls_stat.2-ktls" 2>/dev/null | sed 's/^/        /'
