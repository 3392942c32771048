#!/bin/bash
# hold.sh TAG N [USER [PASS [PORT]]] - run inside the container by
# tests/systemd/run.sh: open N FTP sessions to 127.0.0.1:PORT (21), log
# each in as USER (anonymous) and hold them all until /run/hold.TAG is
# removed, at most 120 s; then send NOOP and QUIT on each.  Every reply
# line goes to /run/hold.TAG.log (prefixed with the session's number);
# "N up" is written to /run/hold.TAG.ready once all are logged in (or
# what went wrong).  Needs only bash (/dev/tcp): the root has no python.
tag=$1 n=$2 user=${3:-anonymous} pass=${4:-x@example.org} port=${5:-21}
log=/run/hold.$tag.log
: > "$log"; : > "/run/hold.$tag"; rm -f "/run/hold.$tag.ready"
fds=()
# reply FD I: one reply (multi-line aware), logged; prints its code
reply() {
	local line code=
	while IFS= read -r -t 10 line <&"$1"; do
		line=${line%$'\r'}
		echo "$2 $line" >> "$log"
		[ -z "$code" ] && code=${line:0:3}
		[ "${line:0:3}" = "$code" ] && [ "${line:3:1}" = " " ] && { echo "$code"; return 0; }
	done
	echo EOF
}
for ((i = 1; i <= n; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || { echo "connect $i failed" > "/run/hold.$tag.ready"; exit 1; }
	fds+=("$fd")
	c=$(reply "$fd" "$i")
	[ "$c" = 220 ] || { echo "session $i: greeting $c" > "/run/hold.$tag.ready"; exit 1; }
	printf 'USER %s\r\n' "$user" >&"$fd"; c=$(reply "$fd" "$i")
	[ "$c" = 331 ] && { printf 'PASS %s\r\n' "$pass" >&"$fd"; c=$(reply "$fd" "$i"); }
	[ "$c" = 230 ] || { echo "session $i: login $c" > "/run/hold.$tag.ready"; exit 1; }
done
echo "$n up" > "/run/hold.$tag.ready"
for ((t = 0; t < 1200; t++)); do
	[ -e "/run/hold.$tag" ] || break
	sleep 0.1
done
i=0
for fd in "${fds[@]}"; do
	i=$((i + 1))
	printf 'NOOP\r\n' >&"$fd"; echo "noop $(reply "$fd" "$i")" >> "$log"
	printf 'QUIT\r\n' >&"$fd"; reply "$fd" "$i" >/dev/null
	exec {fd}>&-
done
echo done >> "$log"
