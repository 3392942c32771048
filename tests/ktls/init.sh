#!/bin/sh
# init.sh - PID 1 of the kernel TLS test VM (tests/ktls/run.sh).  Written
# into the cached disk image as /usr/sbin/ktls-init, so that the image does not
# change with the test: it mounts the host's share (virtio-9p, tag "ktls")
# on /mnt, runs /mnt/guest.sh there with its output on the serial console
# and in /mnt/guest.log, and powers the machine off.  The disk is a qemu
# -snapshot: nothing written here outlives the VM.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
for m in proc:/proc sysfs:/sys devtmpfs:/dev tmpfs:/run tmpfs:/tmp; do
	mountpoint -q "${m#*:}" || mount -t "${m%%:*}" "${m%%:*}" "${m#*:}"
done
ip link set lo up
if modprobe 9pnet_virtio && modprobe 9p &&
   mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ktls /mnt; then
	sh /mnt/guest.sh 2>&1 | tee /mnt/guest.log
	sync
	umount /mnt
else
	echo "ktls-init: could not mount the share"
fi
echo "ktls-init: power off"
echo o > /proc/sysrq-trigger
sleep 30
