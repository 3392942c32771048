#!/bin/sh
# mkdeb.sh [--version V] [OUTDIR] - build the Debian package (source and
# binary: miniftpd_<version>.dsc, miniftpd_<version>_amd64.deb, .changes)
# into OUTDIR (default build/deb) from a copy of this tree, then run
# lintian on the .changes (which covers the .dsc and the .deb) and fail on
# any error or warning.  Used by `make deb`.
#
# The version is the project's, MINIFTPD_VERSION in include/defs.h, and
# debian/changelog's top entry must say the same.  --version V builds the
# same tree as version V (a changelog entry is added to the copy only):
# the upgrade test installs such a package over the real one.
set -eu
version_override=
if [ "${1:-}" = --version ]; then
	version_override=${2:?--version needs a value}
	shift 2
fi
out=${1:-build/deb}
top=$(pwd)

[ -f include/defs.h ] && [ -d debian ] || { echo "mkdeb: run from the top of the miniftpd tree" >&2; exit 1; }
upstream=$(sed -n 's/^#define MINIFTPD_VERSION[[:space:]]*"\(.*\)"/\1/p' include/defs.h)
changelog=$(dpkg-parsechangelog -S Version)
if [ "$changelog" != "$upstream" ]; then
	echo "mkdeb: debian/changelog says $changelog, include/defs.h MINIFTPD_VERSION $upstream:" \
		"add a debian/changelog entry for $upstream" >&2
	exit 1
fi
version=${version_override:-$upstream}

rm -rf "$out"
src="$out/miniftpd-$version"
mkdir -p "$src"
# The tree as it is (uncommitted changes included), without build output.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done; :' sh |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git --exclude=./miniftpd --exclude=./limitd -cf - . |
		tar -xf - -C "$src"
fi

if [ -n "$version_override" ]; then
	{ printf 'miniftpd (%s) unstable; urgency=medium\n\n  * Rebuilt as %s (make check-deb, upgrade test).\n\n -- %s  %s\n\n' \
		"$version" "$version" "$(dpkg-parsechangelog -S Maintainer)" "$(date -R)"
	  cat debian/changelog; } > "$src/debian/changelog"
fi

echo "mkdeb: building miniftpd $version in $src"
( cd "$src" && dpkg-buildpackage -us -uc >"$top/$out/build.log" 2>&1 ) || {
	tail -n 30 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed, see $out/build.log" >&2
	exit 1
}
arch=$(dpkg --print-architecture)
changes="$out/miniftpd_${version}_$arch.changes"
ls "$out"/*.deb
echo "mkdeb: lintian $changes"
lintian --fail-on error,warning --info "$changes"
echo "mkdeb: lintian clean: $out/miniftpd_${version}_$arch.deb"
