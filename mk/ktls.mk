# mk/ktls.mk - kernel TLS for real.  Included by the Makefile.
#
#   make check-ktls   the kernel TLS download path (SSL_sendfile over a kTLS
#                     socket) on Debian 12's own kernel, booted under
#                     qemu-system-x86_64 in software emulation with a Debian
#                     12 root (tests/ktls/run.sh); also part of `make check`
#                     unless CHECK_KTLS=0
#
# The VM's tools (KTLS_PKGS: mmdebstrap, qemu-system-x86) are installed by
# this target only (scripts/deps.sh ktls).  The kernel, its initrd and the
# root are cached under build/ (build/ktls-root, build/ktls/).

CHECK_KTLS ?= 1

.PHONY: check-ktls

check-ktls: all
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "check-ktls: skipped: needs root (mmdebstrap makes the VM's root)"; \
	elif ! sh scripts/deps.sh ktls; then \
		echo "check-ktls: skipped: could not install mmdebstrap and qemu-system-x86 (see above)"; \
	else bash tests/ktls/run.sh $(BUILD); fi
