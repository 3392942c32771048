# tests/ktls/image.sh - sourced by tests/ktls/run.sh (make check-ktls) and
# bench/ktls-vm.sh (make bench-ktls): the VM's disk image, made once and
# reused while its inputs stay the same, and the VM's stop.
#
# ktls_image KERNEL KVER ROOT CACHE: CACHE/vmlinuz (KERNEL), CACHE/initrd.img
# (ROOT's for KVER) and CACHE/root.img, an ext4 image of ROOT (mkfs.ext4 -d)
# with tests/ktls/init.sh written in as /usr/sbin/ktls-init; the image
# depends on the root (its stamp ROOT.pkgs: content and time) and init.sh.
# Run from the top of the tree.  Returns 0, or 1 (its log printed).
ktls_image() {
	local kernel=$1 kver=$2 root=$3 cache=$4 want mb
	want="$kver $(cat "$root.pkgs") $(stat -c %Y "$root.pkgs") $(sha256sum < tests/ktls/init.sh)"
	if [ -f "$cache/root.img" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$want" ]; then
		echo "  reusing $cache"
		return 0
	fi
	rm -rf "$cache"
	mkdir -p "$cache"
	cp "$kernel" "$cache/vmlinuz"
	cp "$root/boot/initrd.img-$kver" "$cache/initrd.img"
	mb=$(( $(du -sm "$root" | cut -f1) * 5 / 4 + 128 ))
	truncate -s "${mb}M" "$cache/root.img.tmp"
	# debugfs exits 0 whatever happens: its stat says whether it worked
	# (/usr/sbin: /sbin is a symbolic link in Debian 12's root)
	if ! mkfs.ext4 -q -F -L ktls-root -d "$root" "$cache/root.img.tmp" >"$cache/mkfs.log" 2>&1 ||
	   ! debugfs -w -f - "$cache/root.img.tmp" >>"$cache/mkfs.log" 2>&1 <<-CMDS ||
		write tests/ktls/init.sh /usr/sbin/ktls-init
		sif /usr/sbin/ktls-init mode 0100755
		CMDS
	   ! debugfs -R "stat /usr/sbin/ktls-init" "$cache/root.img.tmp" 2>&1 | grep -q "Mode:  0755"; then
		cat "$cache/mkfs.log"
		return 1
	fi
	mv "$cache/root.img.tmp" "$cache/root.img"
	echo "$want" > "$cache/stamp"
	echo "  made $cache/root.img (${mb} MB)"
}

# ktls_stop_vm: end the VM started as $qpid (if any), by PID: SIGTERM, up to
# 5 s, then SIGKILL; qpid emptied.
ktls_stop_vm() {
	local i=0
	[ -n "$qpid" ] || return 0
	kill "$qpid" 2>/dev/null
	while [ $i -lt 50 ] && kill -0 "$qpid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}
