# mk/deb.mk - the Debian package.  Included by the Makefile.
#
#   make deb         build/deb/miniftpd_<version>_<arch>.deb (and the .dsc,
#                    .changes, -dbgsym), lintian clean (scripts/mkdeb.sh)
#   make check-deb   install, serve, upgrade, remove and purge it in a booted
#                    Debian 12 container (tests/deb/run.sh); also part of
#                    `make check` unless CHECK_DEB=0
#
# The packaging tools (DEB_PKGS) and the container tools (NSPAWN_PKGS) are
# installed by these targets only (scripts/deps.sh deb nspawn), so a plain
# `make` or `make unit` never needs them.

CHECK_DEB ?= 1

.PHONY: deb check-deb

deb:
	@sh scripts/deps.sh deb
	@sh scripts/mkdeb.sh build/deb

check-deb:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "check-deb: skipped: needs root (dpkg and systemd-nspawn in a container)"; \
	elif ! sh scripts/deps.sh deb nspawn; then \
		echo "check-deb: skipped: could not install the packaging and container tools (see above)"; \
	elif ! command -v systemd-nspawn >/dev/null || ! command -v mmdebstrap >/dev/null; then \
		echo "check-deb: skipped: systemd-nspawn or mmdebstrap missing"; \
	else bash tests/deb/run.sh; fi
