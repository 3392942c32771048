#!/bin/sh
# guest.sh - the kernel TLS checks, run inside the test VM (tests/ktls/run.sh
# boots Debian 12's own kernel, which has CONFIG_TLS=m, under qemu) by
# init.sh from the share /mnt, which holds: miniftpd, ktls.crt/ktls.key
# (made by run.sh with openssl req), users (the virtual user "demo"),
# big.bin and text.txt (the files served), want.* (their sha256).
# Each check appends "ok TEXT" or "FAIL TEXT" to /mnt/results; the last
# line is "done".  Also left in /mnt: ftpd.log (the server's log) and
# tls_stat.* (/proc/net/tls_stat at each step).  Every wait is bounded;
# run.sh bounds the whole VM.
S=/mnt
R=$S/results
LOG=/tmp/ftpd.log
PORT=2121
URL=ftp://127.0.0.1:$PORT
: > "$R"
ok()  { echo "ok $*" >> "$R"; echo "ktls-guest: ok    $*"; }
bad() { echo "FAIL $*" >> "$R"; echo "ktls-guest: FAIL  $*"; }
# check TEXT CMD... - ok when CMD succeeds
check() { local what; what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# stat_field NAME - a counter of /proc/net/tls_stat (0 without the module)
stat_field() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' /proc/net/tls_stat 2>/dev/null || echo 0; }
snap() { cat /proc/net/tls_stat > "$S/tls_stat.$1" 2>/dev/null || echo "(no /proc/net/tls_stat)" > "$S/tls_stat.$1"; }
ulp_has_tls() { grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; }
echo "ktls-guest: kernel $(uname -r), ULPs: $(cat /proc/sys/net/ipv4/tcp_available_ulp)"

# ---------------------------------------------------------------- the server
mkdir -p /srv/ktls/pub /srv/ktls/empty
cp "$S/big.bin" "$S/text.txt" /srv/ktls/pub/
chown -R nobody:nogroup /srv/ktls/pub
cp "$S/ktls.crt" "$S/ktls.key" /srv/ktls/
chmod 600 /srv/ktls/ktls.key
cp "$S/miniftpd" /usr/local/sbin/miniftpd
echo root > /srv/ktls/ftpusers
sed 's|@ROOT@|/srv/ktls/pub|' "$S/users" > /srv/ktls/users
cat > /srv/ktls/miniftpd.conf <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$PORT
user_db_file=/srv/ktls/users
ftpusers_file=/srv/ktls/ftpusers
limitd_enable=NO
delay_failed_login=0
nopriv_user=nobody
guest_username=nobody
ftp_username=nobody
secure_chroot_dir=/srv/ktls/empty
names_cache_file=/tmp/names
ssl_enable=YES
rsa_cert_file=/srv/ktls/ktls.crt
rsa_private_key_file=/srv/ktls/ktls.key
use_sendfile=YES
ascii_download_enable=YES
CONF
/usr/local/sbin/miniftpd /srv/ktls/miniftpd.conf < /dev/null >> "$LOG" 2>&1 &
ftpd=$!
i=0
while [ $i -lt 120 ] && ! grep -q "Listening on 127.0.0.1 port $PORT" "$LOG"; do
	kill -0 $ftpd 2>/dev/null || break
	sleep 0.5; i=$((i + 1))
done
if ! grep -q "Listening on 127.0.0.1 port $PORT" "$LOG"; then
	bad "miniftpd started (see ftpd.log)"
	cp "$LOG" "$S/ftpd.log"; echo done >> "$R"; exit 0
fi
ok "miniftpd started, ssl_enable=YES use_sendfile=YES"

# download NAME OUT [CURL ARGS] - curl with PROT P (--ssl-reqd), bounded
download() {
	n=$1 out=$2; shift 2
	curl -sS --max-time 120 --ssl-reqd -k -u "demo:$(cat "$S/password")" \
		"$@" -o "$out" "$URL/$n"
}
# log_says NAME COUNT TAIL - the server's log has COUNT download lines for
# /NAME (wait up to 10 s for the newest), the last ending exactly in TAIL
log_says() {
	i=0
	while [ $i -lt 20 ] && [ "$(grep -c "Download \"/$1\" " "$LOG")" -lt "$2" ]; do
		sleep 0.5; i=$((i + 1))
	done
	l=$(grep "Download \"/$1\" " "$LOG" | tail -n 1)
	[ "$(grep -c "Download \"/$1\" " "$LOG")" -eq "$2" ] &&
	case $l in *"$3") true ;; *) echo "ktls-guest: log: $l"; false ;; esac
}
sha_is() { [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$(cat "$2")" ]; }
sha_is_text() { [ "$(cat "$1")" = "$(cat "$2")" ]; }	# a sha256 printed by the client
nbig=0
# big TEXT EXPECTED_TAIL [CURL ARGS] - download big.bin, check bytes and log
big() {
	t=$1 tail=$2; shift 2
	rm -f /tmp/big.out
	if download big.bin /tmp/big.out "$@"; then ok "$t: curl exit 0"; else bad "$t: curl exit 0"; fi
	nbig=$((nbig + 1))
	check "$t: sha256 of the $(wc -c < "$S/big.bin") bytes" sha_is /tmp/big.out "$S/want.big"
	check "$t: log says \"$tail\"" log_says big.bin $nbig "$tail"
}

# ---------------------------------------------------------------- no tls module
snap 0-boot
if ulp_has_tls; then
	bad "tls module not loaded at boot (tcp_available_ulp: $(cat /proc/sys/net/ipv4/tcp_available_ulp))"
else
	ok "tls module not loaded at boot"
	big "no module, TLS 1.3 AES-128-GCM" ", TLS send: userspace" \
		--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
fi

# ---------------------------------------------------------------- kernel TLS
check "modprobe tls" modprobe tls
check "tcp_available_ulp lists tls" ulp_has_tls
snap 1-loaded
# ktls_big TEXT [CURL ARGS] - a binary download the kernel must encrypt:
# "(sendfile)" in the log and one more TLS TX socket in tls_stat
ktls_big() {
	t=$1; shift
	sw=$(stat_field TlsTxSw) dev=$(stat_field TlsTxDevice)
	big "$t" ", TLS send: ktls (sendfile)" "$@"
	sw2=$(stat_field TlsTxSw) dev2=$(stat_field TlsTxDevice)
	echo "ktls-guest: $t: TlsTxSw $sw -> $sw2, TlsTxDevice $dev -> $dev2"
	check "$t: tls_stat TlsTxSw+TlsTxDevice grew ($sw+$dev -> $sw2+$dev2)" \
		test $((sw2 + dev2)) -gt $((sw + dev))
}
ktls_big "TLS 1.3 AES-128-GCM" --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
ktls_big "TLS 1.3 AES-256-GCM" --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384
ktls_big "TLS 1.3 ChaCha20-Poly1305" --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
ktls_big "TLS 1.2 ECDHE-ECDSA-AES128-GCM" --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
# a slow reader behind small socket buffers (64 KiB at most, where loopback
# would grow them to MBs): the send buffer fills, so SSL_sendfile returns
# short counts and EAGAIN in the middle of records, and the transfer polls
wmem=$(cat /proc/sys/net/ipv4/tcp_wmem) rmem=$(cat /proc/sys/net/ipv4/tcp_rmem)
echo "4096 16384 65536" > /proc/sys/net/ipv4/tcp_wmem
echo "4096 16384 65536" > /proc/sys/net/ipv4/tcp_rmem
# meanwhile: the session's processes (nobody's, here) have their filters
rm -f /tmp/seccomp.pid
( i=0; while [ $i -lt 40 ]; do
	for p in $(pgrep -u nobody); do
		grep -q '^Seccomp:[[:space:]]*2' /proc/$p/status 2>/dev/null &&
			{ echo $p > /tmp/seccomp.pid; exit 0; }
	done
	sleep 0.25; i=$((i + 1))
done ) &
watch=$!
ktls_big "TLS 1.3 AES-128-GCM, slow reader (curl --limit-rate 1M, 64 KiB buffers)" \
	--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 --limit-rate 1M
wait $watch
check "a session process ran under its seccomp filter meanwhile (Seccomp: 2)" test -s /tmp/seccomp.pid
echo "$wmem" > /proc/sys/net/ipv4/tcp_wmem
echo "$rmem" > /proc/sys/net/ipv4/tcp_rmem

# a resumed download (REST): SSL_sendfile from an offset
sw=$(stat_field TlsTxSw)
rm -f /tmp/rest.out
check "REST 1000001: curl exit 0" download big.bin /tmp/rest.out -C 1000001 --tlsv1.3
nbig=$((nbig + 1))
tail -c +1000002 "$S/big.bin" > /tmp/rest.want
check "REST 1000001: the bytes from the offset" cmp -s /tmp/rest.out /tmp/rest.want
check "REST 1000001: log says \"ktls (sendfile)\"" log_says big.bin $nbig ", TLS send: ktls (sendfile)"
check "REST 1000001: tls_stat TlsTxSw grew" test "$(stat_field TlsTxSw)" -gt "$sw"

# close_notify after SSL_sendfile: Python's ftplib reads a PROT P download
# to its end and then unwraps the TLS layer (ssl.SSLSocket.unwrap), which
# fails unless the server's close_notify followed the kernel's records
py_retr() {
	python3 - "$1" "$(cat "$S/password")" > "$2" <<'PY'
import ftplib, hashlib, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
class F(ftplib.FTP_TLS):		# data connections resume the control session
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size
f = F(context=ctx, timeout=60)
f.connect("127.0.0.1", 2121)
f.auth()
f.login("demo", sys.argv[2])
f.prot_p()
h = hashlib.sha256()
f.retrbinary("RETR " + sys.argv[1], h.update)
f.quit()
print(h.hexdigest())
PY
}
sw=$(stat_field TlsTxSw)
check "close_notify after sendfile: Python ftplib RETR and unwrap" py_retr big.bin /tmp/py.sha
nbig=$((nbig + 1))
check "close_notify after sendfile: the bytes" sha_is_text /tmp/py.sha "$S/want.big"
check "close_notify after sendfile: log says \"ktls (sendfile)\"" log_says big.bin $nbig ", TLS send: ktls (sendfile)"
check "close_notify after sendfile: tls_stat TlsTxSw grew" test "$(stat_field TlsTxSw)" -gt "$sw"

# ASCII: the process rewrites line ends, so SSL_write, encrypted by the kernel
rm -f /tmp/text.out
check "ASCII: curl exit 0" download text.txt /tmp/text.out -B --tlsv1.3
# the server sends each LF as CRLF, curl turns them back
crlf=$(( $(wc -c < "$S/text.txt") + $(wc -l < "$S/text.txt") ))
check "ASCII: the bytes (LF again at curl's end)" sha_is /tmp/text.out "$S/want.text"
check "ASCII: log says \"$crlf bytes, TLS send: ktls\" (CRLF, no sendfile)" \
	log_says text.txt 1 " $crlf bytes, TLS send: ktls"
snap 2-ktls
echo "ktls-guest: tls_stat after the kernel TLS downloads:"; cat /proc/net/tls_stat

# ---------------------------------------------------------------- module removed
i=0
while [ $i -lt 20 ] && ! modprobe -r tls 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
if ulp_has_tls; then
	bad "modprobe -r tls (still listed: $(cat /proc/sys/net/ipv4/tcp_available_ulp))"
else
	ok "modprobe -r tls"
	big "module removed, TLS 1.3 AES-128-GCM" ", TLS send: userspace" \
		--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
fi
snap 3-removed

kill $ftpd
i=0
while [ $i -lt 20 ] && kill -0 $ftpd 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
check "no crash or seccomp kill in the server's log" sh -c "! grep -E 'killed by signal|SIGSYS|seccomp' $LOG"
cp "$LOG" "$S/ftpd.log"
echo done >> "$R"
