# mk/systemd.mk - the installed units under a live systemd.  Included by the
# Makefile.
#
#   make check-systemd   `make install DESTDIR=` into a booted Debian 12
#                        container and check the units there
#                        (tests/systemd/run.sh); also part of `make check`
#                        unless CHECK_SYSTEMD=0
#
# The container tools (NSPAWN_PKGS: mmdebstrap, systemd-container) are
# installed by this target only (scripts/deps.sh nspawn).  The Debian 12
# root is build/deb-root, the one check-deb makes (tests/nspawn/mkroot.sh
# with the same package list): one cache for both.

CHECK_SYSTEMD ?= 1

.PHONY: check-systemd

check-systemd:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "check-systemd: skipped: needs root (systemd-nspawn)"; \
	elif ! sh scripts/deps.sh nspawn; then \
		echo "check-systemd: skipped: could not install the container tools (see above)"; \
	elif ! command -v systemd-nspawn >/dev/null || ! command -v mmdebstrap >/dev/null; then \
		echo "check-systemd: skipped: systemd-nspawn or mmdebstrap missing"; \
	else bash tests/systemd/run.sh; fi
