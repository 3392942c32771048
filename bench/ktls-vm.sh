# bench/ktls-vm.sh - the kernel TLS VM of make bench-ktls, sourced by
# bench/ktls.sh: the VM of make check-ktls (tests/ktls/run.sh; the disk
# image is tests/ktls/image.sh's for both, with caches of its own here, as
# its root has more packages): Debian 12's own kernel (CONFIG_TLS=m) with
# a Debian 12 root under qemu-system-x86_64, PID 1 being tests/ktls/init.sh,
# which runs guest.sh from the share (virtio-9p, tag "ktls") and powers off.  Run from the top of the tree, as root.
#
# Caches, each made once and reused while its inputs stay the same:
#   $ROOT_CACHE (build/bench-ktls-root)  the root of tests/nspawn/mkroot.sh with
#                  VM_ROOT_PKGS (its own stamp, build/bench-ktls-root.pkgs)
#   $VM_CACHE (build/bench-ktls-img/)  vmlinuz, initrd.img (the root's) and root.img:
#                  an ext4 image of the root (mkfs.ext4 -d) with init.sh
#                  written in as /usr/sbin/ktls-init; qemu opens it with
#                  snapshot=on, so no run changes it
#
# Accelerator: KVM when /dev/kvm lets this process create a VM (KTLS_ACCEL=
# auto, the default), else TCG (software emulation, about ten times slower);
# KTLS_ACCEL=tcg or kvm forces one.  No fallback from KVM to TCG once qemu
# has started: the bench's figures are worthless under TCG.  KVM_CREATE_VM
# working is not enough, either: on a PVM host qemu -cpu host aborts (MSR
# 0x10a) and other CPU models crawl (bench/NOTES.md, 2026-12-06).

. tests/ktls/image.sh

ROOT_CACHE=${BENCH_KTLS_ROOT:-build/bench-ktls-root}
VM_CACHE=build/bench-ktls-img
# the kernel, modprobe, Python (ftplib); for make bench-ktls vsftpd and
# Pure-FTPd's library (its binary comes from the host's build/bench: the
# package conflicts with vsftpd's)
VM_ROOT_PKGS="linux-image-amd64 kmod python3 vsftpd libsodium23"
qpid=

# vm_image: make or reuse the root and the disk image; sets VM_KVER.
# Returns 0, 10 (no root: mmdebstrap or network), 11 (no kernel in the
# root) or 1 (the image could not be made; its log was printed).
vm_image() {
	local kernel
	MKROOT_TIMEOUT=${MKROOT_TIMEOUT:-1800} sh tests/nspawn/mkroot.sh "$ROOT_CACHE" $VM_ROOT_PKGS ||
		return 10
	kernel=$(ls "$ROOT_CACHE"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	VM_KVER=${kernel##*/vmlinuz-}
	[ -n "$kernel" ] && [ -f "$ROOT_CACHE/boot/initrd.img-$VM_KVER" ] || return 11
	ktls_image "$kernel" "$VM_KVER" "$ROOT_CACHE" "$VM_CACHE"
}

# kvm_works: this process can open /dev/kvm and create a VM (KVM_CREATE_VM)
kvm_works() {
	[ -c /dev/kvm ] && command -v python3 >/dev/null &&
	python3 -c 'import fcntl, os
fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
assert fcntl.ioctl(fd, 0xAE00) == 12	# KVM_GET_API_VERSION
os.close(fcntl.ioctl(fd, 0xAE01, 0))	# KVM_CREATE_VM' 2>/dev/null
}

# vm_accel: sets VM_ACCEL (kvm|tcg) and VM_ACCEL_WHY, from KTLS_ACCEL
vm_accel() {
	case ${KTLS_ACCEL:-auto} in
	tcg) VM_ACCEL=tcg VM_ACCEL_WHY="KTLS_ACCEL=tcg" ;;
	kvm) VM_ACCEL=kvm VM_ACCEL_WHY="KTLS_ACCEL=kvm" ;;
	*) if kvm_works; then VM_ACCEL=kvm VM_ACCEL_WHY="/dev/kvm works"
	   else VM_ACCEL=tcg VM_ACCEL_WHY="no usable /dev/kvm"; fi ;;
	esac
}

# vm_start SHARE RUNDIR MEM_MB ACCEL: qemu in the background (qpid), its
# serial console in RUNDIR/console.log, its own messages in RUNDIR/qemu.log
vm_start() {
	local cpu=max
	[ "$4" = kvm ] && cpu=host
	qemu-system-x86_64 -accel "$4" -cpu "$cpu" -m "$3" -smp 2 -no-reboot \
		-display none -monitor none -serial "file:$2/console.log" -nic none \
		-kernel "$VM_CACHE/vmlinuz" -initrd "$VM_CACHE/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 init=/usr/sbin/ktls-init panic=-1 loglevel=4" \
		-drive "file=$VM_CACHE/root.img,format=raw,if=virtio,snapshot=on" \
		-virtfs "local,path=$1,mount_tag=ktls,security_model=none,id=ktls" \
		</dev/null >"$2/qemu.log" 2>&1 &
	qpid=$!
}

# vm_boot SHARE RUNDIR MEM_MB TIMEOUT: boot under VM_ACCEL and wait until
# the VM powers off, at most TIMEOUT seconds (then it is killed by PID).
# Returns 0 (powered off), 1 (killed at TIMEOUT) or 2 (qemu failed:
# RUNDIR/qemu.log).
vm_boot() {
	local i rc
	vm_start "$1" "$2" "$3" "$VM_ACCEL"
	i=0
	while [ $i -lt $(($4 * 2)) ] && kill -0 "$qpid" 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
	if kill -0 "$qpid" 2>/dev/null; then
		ktls_stop_vm
		return 1
	fi
	wait "$qpid"; rc=$?; qpid=
	[ "$rc" -eq 0 ] || return 2
}
