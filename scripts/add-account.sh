#!/bin/sh
# add-account.sh [NAME] - create the system account miniftpd's nopriv_user
# names (default miniftpd) unless it exists: a user and a group of its own,
# no login shell, no home (/nonexistent, never created).  The pre-login
# process and the helper run as it, and limitd serves it and root only, so
# it must be shared with nothing else (not "nobody").  Used by
# `make install` and by `make run` as root.
set -eu
name=${1:-miniftpd}

if getent passwd "$name" >/dev/null; then
	echo "keeping the existing account $name"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "add-account: the account $name is missing; as root: $0 $name" >&2
	exit 1
fi
nologin=$(command -v nologin || echo /usr/sbin/nologin)
if command -v adduser >/dev/null; then
	adduser --quiet --system --group --no-create-home --home /nonexistent \
		--shell "$nologin" "$name"
else
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell "$nologin" "$name"
fi
echo "created the system account $name (uid $(id -u "$name")) for nopriv_user"
