#!/bin/bash
# bench/limitd-vm.sh - limitd_bench inside a small VM, for the figure this
# machine cannot give: memory per held session at 100,000 sessions.
#
# Called by bench/run.sh (full runs) as: bench/limitd-vm.sh BUILD DIR
# when limitd_bench could not hold 100,000 sessions here: limitd needs a
# descriptor per held session, and where the hard RLIMIT_NOFILE is lower
# and CAP_SYS_RESOURCE is missing, no process here may raise it.  A VM
# has its own kernel and its own limits.
#
# The same limitd and limitd_bench binaries, with the libraries they load
# here, go into an initramfs with busybox as /init's shell; Debian's cloud
# kernel (linux-image-cloud-amd64, unpacked with apt-get download + dpkg -x,
# not installed) boots it under qemu (KVM when /dev/kvm is usable, else TCG:
# about 40 s), /init runs `limitd_bench --quick` with the limit raised and
# powers off.  The memory figures are limitd's own (PSS of its process), so
# the kernel and the emulation do not enter them; its rates do, so run.sh
# takes only the bytes per held session from the VM.
#
# Prints limitd_bench's KEY=VALUE line followed by vm_kernel= and vm_accel=
# on stdout, and exits 0; on any failure prints the reason on stderr and
# exits 1.  DIR keeps the unpacked kernel between runs; everything else is
# rebuilt each time.  Only the qemu started here is stopped (by timeout).
set -u

BUILD=${1:?usage: limitd-vm.sh BUILD DIR}
DIR=${2:?usage: limitd-vm.sh BUILD DIR}
VM_TIMEOUT=${VM_TIMEOUT:-600}
fail() { echo "limitd-vm: $*" >&2; exit 1; }

[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || fail "not an amd64 machine"
for b in limitd limitd_bench; do
	[ -x "$BUILD/$b" ] || fail "$BUILD/$b is not built"
done
mkdir -p "$DIR" || fail "cannot create $DIR"
DIR=$(readlink -f "$DIR")

apt_get() {	# apt-get ARGS, once more after an update
	DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >/dev/null 2>&1 && return 0
	apt-get update -q >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >/dev/null 2>&1
}

# qemu and a busybox for /init
if ! command -v qemu-system-x86_64 >/dev/null || ! [ -x /bin/busybox ]; then
	[ "$(id -u)" -eq 0 ] || fail "qemu-system-x86 and busybox-static are missing and we are not root"
	apt_get install --no-install-recommends qemu-system-x86 busybox-static ||
		fail "apt-get install qemu-system-x86 busybox-static failed"
fi

# the kernel: the package linux-image-cloud-amd64 depends on, unpacked
kernel() { ls "$DIR"/kernel/boot/vmlinuz-* 2>/dev/null | head -1; }
kernel_pkg() {
	apt-cache show linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1
}
if [ -z "$(kernel)" ]; then
	pkg=$(kernel_pkg)
	[ -n "$pkg" ] || { apt-get update -q >/dev/null 2>&1; pkg=$(kernel_pkg); }
	[ -n "$pkg" ] || fail "no linux-image-cloud-amd64 in the package lists"
	rm -rf "$DIR/deb" "$DIR/kernel" && mkdir -p "$DIR/deb"
	(cd "$DIR/deb" && apt-get download "$pkg" >/dev/null 2>&1) || fail "apt-get download $pkg failed"
	dpkg -x "$DIR"/deb/"$pkg"_*.deb "$DIR/kernel" || fail "dpkg -x $pkg failed"
	rm -rf "$DIR/deb"
fi
VMLINUZ=$(kernel)
[ -n "$VMLINUZ" ] || fail "no vmlinuz in the kernel package"
KVER=${VMLINUZ##*/vmlinuz-}

# the initramfs: busybox, the two binaries and every library they load
ROOT=$DIR/root
rm -rf "$ROOT" && mkdir -p "$ROOT"/{bin,proc,sys,dev,tmp,work} || fail "cannot create $ROOT"
cp /bin/busybox "$ROOT/bin/" || fail "cannot copy busybox"
for a in sh mount poweroff; do ln -s busybox "$ROOT/bin/$a"; done
cp "$BUILD/limitd" "$BUILD/limitd_bench" "$ROOT/work/" || fail "cannot copy the binaries"
for lib in $(ldd "$BUILD/limitd" "$BUILD/limitd_bench" /bin/busybox 2>/dev/null |
	     awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u); do
	mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib" || fail "cannot copy $lib"
done
cat > "$ROOT/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
/work/limitd_bench --quick
echo "limitd-vm: limitd_bench exited $?"
poweroff -f
EOF
chmod 755 "$ROOT/init"
(cd "$ROOT" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$DIR/initrd.gz" ||
	fail "cannot pack the initramfs"

# boot it: 3 GiB holds 200,000 sockets' kernel memory with room to spare
ACCEL="tcg"
[ -w /dev/kvm ] && ACCEL="kvm"
timeout "$VM_TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -nodefaults -display none \
	-serial stdio -m 3072 -smp 1 -no-reboot -kernel "$VMLINUZ" -initrd "$DIR/initrd.gz" \
	-append "console=ttyS0 quiet rdinit=/init panic=-1" </dev/null > "$DIR/console.log" 2>&1
rc=$?
[ "$rc" = 124 ] && fail "the VM did not finish in $VM_TIMEOUT s ($DIR/console.log)"
line=$(tr -d '\r' < "$DIR/console.log" | grep -m1 '^admissions_per_s=')
[ -n "$line" ] || fail "no limitd_bench line from the VM (qemu exit $rc; $DIR/console.log)"
echo "$line vm_kernel=$KVER vm_accel=$ACCEL"
