"""FTPS (issue 17): explicit TLS (RFC 4217), implicit TLS, data connections
that must resume the control connection's TLS session, and the process
model behind it (SECURITY.md, "TLS (FTPS)").

Certificates and keys are made here with openssl(1), never committed.
Clients: Python's ftplib.FTP_TLS (with the data connection resuming the
control session, which ftplib itself does not do), curl and lftp.  As
root, /proc shows the TLS process's identity and confinement, that it
alone holds the control connection's TCP socket, and that the private
key is in no session process's memory.
"""

import ftplib
import io
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import (DEMO_PASSWORD, GUEST, HOST, IS_ROOT, MODES, Ctl, needs_root,
                      proc_alive, proc_children, proc_descendants, proc_status,
                      miniftpd_bin, run_cmd, sanitized, wait_until)
from logcapture import LogCapture, start as start_logged
from sessionprocs import socket_inodes, tcp_inodes
from ftpskit import (ImplicitFTP_TLS, ReuseFTP_TLS, client_context, der_of, openssl, retr,
                     sni_login, tls_login, tls_server)


# ---------------------------------------------------------------- transfers

@pytest.mark.parametrize("version", ["1.3", "1.2"])
@pytest.mark.parametrize("mode", MODES)
def test_ftplib_transfers(ftpd, ftpenv, certs, mode, version):
    """Login, listings, downloads and uploads, several in one session,
    every data connection resuming the control session (require_ssl_reuse)."""
    s = tls_server(ftpd, certs, mode)
    f = tls_login(s, version)
    assert f.sock.version() == "TLSv" + version
    names = []
    f.retrlines("LIST", names.append)
    assert any(n.endswith(" hello.txt") for n in names), names
    assert "hello.txt" in f.nlst()
    assert any(n == "hello.txt" for n, _ in f.mlsd())
    for i in range(3):
        data = os.urandom(100000 + i * 70001)
        assert f.storbinary("STOR up%d.bin" % i, io.BytesIO(data)).startswith("226")
        assert retr(f, "up%d.bin" % i) == data
        with open(os.path.join(ftpenv.root, "up%d.bin" % i), "rb") as fh:
            assert fh.read() == data
    assert f.storbinary("APPE up0.bin", io.BytesIO(b"tail")).startswith("226")
    assert retr(f, "hello.txt") == b"hello\n"
    assert f.quit().startswith("221")


class RecordingFTP_TLS(ReuseFTP_TLS):
    """Remembers every command it sends."""

    def putcmd(self, line):
        self.sent = getattr(self, "sent", []) + [line]
        super().putcmd(line)


class RecordingImplicitFTP_TLS(ImplicitFTP_TLS, RecordingFTP_TLS):
    pass


@pytest.mark.parametrize("implicit", [False, True])
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_ipv6(ftpenv, certs, version, implicit):
    """Standalone on ::1: AUTH TLS (or implicit TLS), login, PROT P, then
    LIST and RETR over EPSV, each data connection resuming the control
    session."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    errpath = os.path.join(ftpenv.dir, "ftps-ipv6-%s-%s.log" % (version, implicit))
    opts = ["-o%s=%s" % kv for kv in certs.opts().items()]
    opts.append("-oimplicit_ssl=" + ("YES" if implicit else "NO"))
    with open(errpath, "wb") as err:
        p = subprocess.Popen([miniftpd_bin(), ftpenv.config,
                              "-olisten_ipv6=YES", "-olisten_address6=::1",
                              "-olisten_port=0"] + opts, stdin=subprocess.DEVNULL,
                             stdout=err, stderr=err)
    f = None
    try:
        def port():
            with open(errpath) as fh:
                m = re.search(r"Listening on ::1 port (\d+)", fh.read())
            return int(m.group(1)) if m else (p.poll() is not None and -1)
        n = wait_until(port, 10)
        assert n and n > 0, open(errpath).read()
        cls = RecordingImplicitFTP_TLS if implicit else RecordingFTP_TLS
        f = cls(context=client_context(version), timeout=10)
        f.connect("::1", n)
        assert f.af == socket.AF_INET6
        if implicit:
            assert f.welcome.startswith("220")
        else:
            assert f.auth().startswith("234")
        f.login("demo", DEMO_PASSWORD)
        assert f.prot_p().startswith("200")
        assert f.sock.version() == "TLSv" + version
        names = []
        f.retrlines("LIST", names.append)
        assert any(n.endswith(" hello.txt") for n in names), names
        assert retr(f, "hello.txt") == b"hello\n"
        assert f.quit().startswith("221")
        assert [c for c in f.sent if c.startswith(("EPSV", "PASV"))] == ["EPSV", "EPSV"], f.sent
        log = open(errpath).read()
        assert "TLS data connection refused" not in log, log
    finally:
        if f is not None:
            f.close()
        p.terminate()
        p.wait(10)


def test_rsa_key(ftpd, certs):
    """RSA-PSS signatures through the helper, both TLS versions."""
    s = tls_server(ftpd, certs, key="rsa")
    for version in ("1.3", "1.2"):
        f = tls_login(s, version)
        assert retr(f, "hello.txt") == b"hello\n"
        f.quit()
    assert "Refused or failed to sign" not in s.log()


def test_big_transfer_and_active_mode(ftpd, ftpenv, certs):
    data = os.urandom(8 << 20)
    with open(os.path.join(ftpenv.root, "big.bin"), "wb") as fh:
        fh.write(data)
    s = tls_server(ftpd, certs)
    f = tls_login(s)
    assert retr(f, "big.bin") == data
    f.set_pasv(False)       # PORT, then the server connects and accepts TLS
    assert f.storbinary("STOR big2.bin", io.BytesIO(data)).startswith("226")
    assert retr(f, "big2.bin") == data
    f.quit()


def test_curl_explicit(ftpd, ftpenv, certs):
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    s = tls_server(ftpd, certs)
    url = s.url("/")
    r = run_cmd(["curl", "-sS", "--ssl-reqd", "-k", "-u", "demo:" + DEMO_PASSWORD,
                 url + "hello.txt"])
    assert r.returncode == 0 and r.stdout == "hello\n", r.stderr
    src = os.path.join(ftpenv.dir, "curl-up.bin")
    with open(src, "wb") as fh:
        fh.write(os.urandom(300000))
    r = run_cmd(["curl", "-sS", "--ssl-reqd", "-k", "-u", "demo:" + DEMO_PASSWORD,
                 "-T", src, url + "curl.bin"])
    assert r.returncode == 0, r.stderr
    with open(src, "rb") as a, open(os.path.join(ftpenv.root, "curl.bin"), "rb") as b:
        assert a.read() == b.read()
    r = run_cmd(["curl", "-sS", "--ssl-reqd", "-k", "-u", "demo:" + DEMO_PASSWORD, url])
    assert r.returncode == 0 and "curl.bin" in r.stdout, r.stderr


def test_lftp(ftpd, ftpenv, certs):
    if not shutil.which("lftp"):
        pytest.skip("lftp not installed")
    s = tls_server(ftpd, certs)
    src = os.path.join(ftpenv.dir, "lftp-up.bin")
    with open(src, "wb") as fh:
        fh.write(os.urandom(200000))
    got = os.path.join(ftpenv.dir, "lftp-got.txt")
    script = ("set ftp:ssl-force true; set ftp:ssl-protect-data true; "
              "set ssl:verify-certificate no; set net:max-retries 1; "
              "ls; get hello.txt -o %s; put %s -o lftp.bin; ls; bye" % (got, src))
    r = run_cmd(["lftp", "-u", "demo," + DEMO_PASSWORD, "-p", str(s.port), "-e", script,
                 HOST], timeout=60)
    assert r.returncode == 0, r.stderr
    assert "hello.txt" in r.stdout and "lftp.bin" in r.stdout
    with open(got, "rb") as fh:
        assert fh.read() == b"hello\n"
    with open(src, "rb") as a, open(os.path.join(ftpenv.root, "lftp.bin"), "rb") as b:
        assert a.read() == b.read()


def test_implicit(ftpd, certs):
    s = tls_server(ftpd, certs, implicit_ssl="YES")
    f = tls_login(s, cls=ImplicitFTP_TLS)
    assert f.welcome.startswith("220")
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()


@pytest.mark.parametrize("mode", ["accept", "inetd"])
def test_stop_during_tls_download(ftpd, ftpenv, certs, mode):
    """systemctl stop of an ftps@ session during a PROT P download: SIGTERM
    to every process of the session (KillMode=control-group), the TLS
    process included.  The transfer goes on for shutdown_timeout, then the
    client still gets 426 and 421 over the TLS control connection, holds a
    prefix of the file, and the log says the download is incomplete."""
    data = os.urandom(4 << 20)
    with open(os.path.join(ftpenv.root, "slow.bin"), "wb") as fh:
        fh.write(data)
    s = tls_server(ftpd, certs, mode, download_max_rate=512 << 10, shutdown_timeout=1)
    f = tls_login(s)
    f.voidcmd("TYPE I")
    conn = f.transfercmd("RETR slow.bin")
    got = bytearray()

    def reader():
        try:
            while True:
                b = conn.recv(65536)
                if not b:
                    return
                got.extend(b)
        except (OSError, ssl.SSLError):
            return
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    time.sleep(0.3)
    pids = s.session_pids()
    assert len(pids) >= 3, pids        # helper, TLS process, post-login process
    t0 = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    with pytest.raises(ftplib.error_temp, match=r"^426 Server shutting down; transfer aborted"):
        f.getresp()
    with pytest.raises(ftplib.error_temp, match=r"^421 Server shutting down"):
        f.getresp()
    assert 0.8 < time.monotonic() - t0 < 4
    t.join(5)
    assert 0 < len(got) < len(data)
    assert bytes(got) == data[:len(got)]
    assert wait_until(lambda: not any(proc_alive(p) for p in pids), 5)
    assert re.search(r'Download "[^"]*slow.bin" \d+ bytes, TLS send: [^,]+, '
                     r'incomplete: server shutting down', s.log()), s.log()
    conn.close()


def abor_at_once_then_go_on(f, data):
    """ABOR on F's session: 426 then 226 within seconds; then DATA closed,
    and the session goes on (PROT P too)."""
    t0 = time.monotonic()
    f.putcmd("ABOR")
    assert f.getline().startswith("426")
    assert f.getline().startswith("226")
    assert time.monotonic() - t0 < 5
    data.close()
    assert f.voidcmd("NOOP").startswith("200")
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()


@pytest.mark.parametrize("verb", ["LIST many", "MLSD many", "RETR big.bin"])
def test_abor_during_tls_transfer_the_client_stops_reading(ftpd, ftpenv, certs, verb):
    """PROT P, a listing or download larger than the socket buffers, a
    client that stops reading it and sends ABOR: 426 then 226 at once.  The
    TLS layer waited for its buffered records to reach the socket without
    watching the control connection: a listing (which writes as long as the
    socket takes it) stalled there until data_connection_timeout."""
    d = os.path.join(ftpenv.root, "many")
    os.mkdir(d)
    for i in range(20000):
        name = "%05d-%s" % (i, "x" * 200)
        os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_WRONLY, 0o644))
    with open(os.path.join(ftpenv.root, "big.bin"), "wb") as fh:
        fh.truncate(64 << 20)
    s = tls_server(ftpd, certs, data_connection_timeout=60)
    f = tls_login(s)
    f.voidcmd("TYPE I")
    conn = f.transfercmd(verb)
    assert len(conn.recv(4096)) > 0     # and nothing more is read
    time.sleep(0.5)                      # the server is blocked writing now
    f.sock.settimeout(10)
    abor_at_once_then_go_on(f, conn)


@pytest.mark.parametrize("verb", ["RETR hello.txt", "LIST", "STOR up.bin"])
def test_abor_during_the_tls_data_handshake(ftpd, ftpenv, certs, verb):
    """PROT P, a data connection whose client never starts its TLS
    handshake, then ABOR: 426 then 226 at once, not after
    data_connection_timeout (the handshake's wait watched only the data
    socket, and its end was answered 522, as a refused session)."""
    s = tls_server(ftpd, certs, data_connection_timeout=60)
    f = tls_login(s)
    f.sock.settimeout(10)
    host, port = f.makepasv()
    raw = socket.create_connection((host, port), timeout=10)   # no TLS on it
    f.putcmd(verb)
    assert f.getline().startswith("150")
    time.sleep(0.3)                      # the server waits for the ClientHello
    abor_at_once_then_go_on(f, raw)


# ---------------------------------------------------------------- reuse

@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_fresh_data_handshake_refused(ftpd, certs, version):
    """A data connection that does not resume gets 522; the session goes on."""
    s = tls_server(ftpd, certs)
    f = tls_login(s, version)
    f.fresh_data_context = client_context(version)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        f.retrbinary("RETR hello.txt", lambda b: None)
    resp = f.getline()
    assert resp.startswith("522"), resp
    assert "must resume the control connection's TLS session" in s.log()
    f.fresh_data_context = None
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()


def test_tls12_session_id_resumption_without_tickets(ftpd, certs):
    """A TLS 1.2 client that does not take tickets resumes its data
    connections by session id: the post-login process's cache holds the
    control session (GET_SESSION at login), and nothing else."""
    s = tls_server(ftpd, certs)
    ctx = client_context("1.2")
    ctx.options |= ssl.OP_NO_TICKET
    f = tls_login(s, context=ctx)
    assert f.sock.version() == "TLSv1.2"
    assert f.sock.session.has_ticket is False and f.sock.session.id
    for _ in range(3):
        assert retr(f, "hello.txt") == b"hello\n"
    names = []
    f.retrlines("LIST", names.append)
    assert any(n.endswith(" hello.txt") for n in names), names
    assert "TLS data connection refused" not in s.log()
    assert "Cannot cache" not in s.log()
    # a session id from another control session is not in this one's cache
    other = tls_login(s, context=ctx)
    other.voidcmd("NOOP")
    f.data_session = other.sock.session
    with pytest.raises((ssl.SSLError, ConnectionError)):
        f.retrbinary("RETR hello.txt", lambda b: None)
    assert f.getline().startswith("522")
    f.data_session = None
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()
    other.quit()


def test_ticket_of_another_session_refused(ftpd, certs):
    """A ticket from another control session (same server, same key) does
    not decrypt: each session has its own ticket key."""
    s = tls_server(ftpd, certs)
    ctx = client_context()         # Python resumes only sessions of one context
    other = tls_login(s, context=ctx)
    other.voidcmd("NOOP")          # read the tickets
    f = tls_login(s, context=ctx)
    f.data_session = other.sock.session
    with pytest.raises((ssl.SSLError, ConnectionError)):
        f.retrbinary("RETR hello.txt", lambda b: None)
    assert f.getline().startswith("522")
    f.data_session = None
    assert retr(f, "hello.txt") == b"hello\n"


def test_fresh_ticket_before_each_pasv(ftpd, certs):
    """Before a PASV reply the control connection carries a new TLS 1.3
    ticket (clients such as GnuTLS use each ticket once)."""
    s = tls_server(ftpd, certs)
    f = tls_login(s)
    f.voidcmd("NOOP")
    before = f.sock.session
    for _ in range(3):
        assert f.sendcmd("PASV").startswith("227")
        after = f.sock.session
        assert after.id != before.id
        before = after


# ---------------------------------------------------------------- renewed certificates

def live_pair(ftpenv, certs, name):
    """A certbot-like directory NAME holding copies of the ec pair.
    RETURNS (the directory, cert.pem, privkey.pem)."""
    d = os.path.join(ftpenv.dir, name)
    os.mkdir(d)
    crt, key = os.path.join(d, "cert.pem"), os.path.join(d, "privkey.pem")
    shutil.copy(certs.path("ec.crt"), crt)
    shutil.copy(certs.path("ec.key"), key)
    return d, crt, key


@pytest.mark.parametrize("mode", MODES)
def test_renewed_certificate(ftpd, ftpenv, certs, mode):
    """A certificate and key renewed in place (new key, new subject and
    serial, moved over the old files as certbot's symlink swap does) serve
    the next connection: after SIGHUP for a listener, with nothing at all
    in a process started per connection.  A session that began with the
    old certificate goes on, its data connections resuming."""
    d, crt, key = live_pair(ftpenv, certs, "live")
    s = ftpd(mode, ssl_enable="YES", rsa_cert_file=crt, rsa_private_key_file=key)
    old = tls_login(s)
    assert old.sock.getpeercert(binary_form=True) == der_of(certs.path("ec.crt"))
    openssl("req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=renewed.example.org",
            "-newkey", "rsa:2048", "-keyout", os.path.join(d, "new.key"),
            "-out", os.path.join(d, "new.crt"))
    os.replace(os.path.join(d, "new.key"), key)
    os.replace(os.path.join(d, "new.crt"), crt)
    if mode in ("standalone", "listenfd"):
        os.kill(s.pid, signal.SIGHUP)
        assert wait_until(lambda: "Reloaded the configuration" in s.log(), 10), s.log()
    new = tls_login(s)
    assert new.sock.getpeercert(binary_form=True) == der_of(crt)
    assert new.sock.getpeercert(binary_form=True) != der_of(certs.path("ec.crt"))
    assert retr(new, "hello.txt") == b"hello\n"
    # the old session: still its old certificate, transfers still resume
    assert old.sock.getpeercert(binary_form=True) == der_of(certs.path("ec.crt"))
    assert retr(old, "hello.txt") == b"hello\n"
    names = []
    old.retrlines("LIST", names.append)
    assert any(n.endswith(" hello.txt") for n in names), names
    assert old.quit().startswith("221") and new.quit().startswith("221")
    assert "TLS data connection refused" not in s.log()


@pytest.mark.parametrize("mode", MODES)
def test_bad_renewed_certificate(ftpd, ftpenv, certs, mode):
    """A renewal that leaves a certificate and a key that do not match (a
    new certificate moved in, the key file rewritten in place with another
    key, as a half-done or wrong deployment leaves them): a listener checks
    the files on SIGHUP, says why, and goes on serving the pair it loaded
    before, although neither file holds it any more; a process started per
    connection cannot start, refuses the connection and logs why.  The
    session that began before goes on either way."""
    _, crt, key = live_pair(ftpenv, certs, "live-bad")
    s = ftpd(mode, ssl_enable="YES", rsa_cert_file=crt, rsa_private_key_file=key)
    old = tls_login(s)
    shutil.copy(certs.path("ec2.crt"), crt + ".new")
    os.replace(crt + ".new", crt)
    with open(certs.path("rsa.key"), "rb") as src, open(key, "r+b") as dst:
        dst.truncate(0)
        dst.write(src.read())
    if mode in ("standalone", "listenfd"):
        os.kill(s.pid, signal.SIGHUP)
        assert wait_until(lambda: "keeping the old one" in s.log(), 10), s.log()
        assert "does not match the certificate" in s.log()
        new = tls_login(s)
        assert new.sock.getpeercert(binary_form=True) == der_of(certs.path("ec.crt"))
        assert retr(new, "hello.txt") == b"hello\n"
        assert new.quit().startswith("221")
        assert "Cannot sign" not in s.log()
    else:
        with pytest.raises((EOFError, OSError, ftplib.Error)):
            tls_login(s)
        assert wait_until(lambda: "does not match the certificate" in s.log(), 10), s.log()
    assert retr(old, "hello.txt") == b"hello\n"
    assert old.quit().startswith("221")


# ---------------------------------------------------------------- ssl_sni_hostname

@pytest.mark.parametrize("implicit", [False, True])
def test_sni_hostname(ftpd, certs, implicit):
    """ssl_sni_hostname (vsftpd's meaning): a ClientHello that names another
    host, or none, is refused with unrecognized_name and a log line; the
    named host (any case) is served, data connections included."""
    opts = {"ssl_sni_hostname": "ftp.example.org", "implicit_ssl": "YES" if implicit else "NO"}
    s = tls_server(ftpd, certs, **opts)
    f = sni_login(s, "FTP.Example.org", implicit)
    assert retr(f, "hello.txt") == b"hello\n"
    names = []
    f.retrlines("LIST", names.append)
    assert any(n.endswith(" hello.txt") for n in names), names
    f.quit()
    for name in ("other.example.org", HOST):
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
            sni_login(s, name, implicit)
    log = s.log()
    assert 'TLS client asked for host "other.example.org", not ssl_sni_hostname' in log, log
    assert "TLS client asked for no host (no SNI)" in log, log
    assert "killed by signal" not in log


def test_sni_hostname_curl(ftpd, ftpenv, certs):
    """curl sends the URL's host name: --resolve makes it reach 127.0.0.1."""
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    s = tls_server(ftpd, certs, ssl_sni_hostname="ftp.example.org")

    def curl(name):
        return run_cmd(["curl", "-sS", "--ssl-reqd", "-k", "-u", "demo:" + DEMO_PASSWORD,
                        "--resolve", "%s:%d:%s" % (name, s.port, HOST),
                        "ftp://%s:%d/hello.txt" % (name, s.port)])
    r = curl("ftp.example.org")
    assert r.returncode == 0 and r.stdout == "hello\n", r.stderr
    r = curl("www.example.org")
    assert r.returncode == 35, (r.returncode, r.stderr)       # CURLE_SSL_CONNECT_ERROR
    assert 'asked for host "www.example.org"' in s.log()


# ---------------------------------------------------------------- protocol

def auth_tls(c, version="1.3"):
    """AUTH TLS on raw control connection C; RETURNS an SSL socket."""
    assert c.cmd("AUTH TLS").code == 234
    c.sock = client_context(version).wrap_socket(c.sock)
    return c


def test_plain_login_refused(ftpd, certs):
    s = tls_server(ftpd, certs)
    c = s.connect()
    r = c.cmd("USER demo")
    assert r.code == 530 and "must use encryption" in r.text, r
    assert c.cmd("PASS " + DEMO_PASSWORD).code == 503
    auth_tls(c)
    assert c.login().code == 230
    # and without force_local_logins_ssl, a plain login is fine
    s2 = tls_server(ftpd, certs, force_local_logins_ssl="NO")
    c2 = s2.connect()
    assert c2.login().code == 230


def test_anonymous_and_tls(ftpd, ftpenv, certs):
    s = tls_server(ftpd, certs, anonymous_enable="YES", anon_root=ftpenv.anon_root)
    c = auth_tls(s.connect())
    r = c.cmd("USER anonymous")
    assert r.code == 530 and "may not use encryption" in r.text, r
    c2 = s.connect()
    assert c2.login("anonymous", "x@").code == 230     # in clear: allowed


def test_prot_rules(ftpd, certs):
    s = tls_server(ftpd, certs)
    c = s.connect()
    assert c.cmd("PBSZ 0").code == 503           # before AUTH
    assert c.cmd("PROT P").code == 503
    auth_tls(c)
    assert c.cmd("PROT P").code == 503           # before PBSZ
    assert c.login().code == 230
    assert c.cmd("PBSZ 0").code == 200
    r = c.cmd("PROT C")
    assert r.code == 534, r
    assert c.cmd("PROT S").code == 536
    assert c.cmd("PROT X").code == 504
    assert c.cmd("CCC").code == 534
    assert c.cmd("PASV").code == 227
    r = c.cmd("LIST")
    assert r.code == 522 and "PROT P" in r.text, r
    assert c.cmd("PROT P").code == 200


def test_ccc_refused_by_default(ftpd, certs):
    """Without ssl_allow_ccc, CCC gets 534 and the control connection stays
    in TLS."""
    s = tls_server(ftpd, certs)
    f = tls_login(s)
    with pytest.raises(ftplib.error_perm, match="^534"):
        f.ccc()
    assert isinstance(f.sock, ssl.SSLSocket)
    assert f.voidcmd("NOOP").startswith("200")
    assert retr(f, "hello.txt") == b"hello\n"
    assert f.quit().startswith("221")


@pytest.mark.parametrize("mode", MODES)
def test_ccc_allowed(ftpd, ftpenv, certs, mode):
    """ssl_allow_ccc=YES: CCC before login gets 534; after login 200, then
    close_notify both ways (ftplib's unwrap), and the control connection
    goes on in clear text while PROT P data connections still use TLS,
    resuming the session of the control connection's TLS days."""
    s = tls_server(ftpd, certs, mode, ssl_allow_ccc="YES")
    f = ReuseFTP_TLS(context=client_context(), timeout=10)
    s.ctls.append(f)
    f.connect(HOST, s.port)
    assert f.auth().startswith("234")
    with pytest.raises(ftplib.error_perm, match="^534 .*log in first"):
        f.ccc()
    f.login("demo", DEMO_PASSWORD)
    assert f.prot_p().startswith("200")
    f.voidcmd("NOOP")               # read the tickets
    f.data_session = f.sock.session
    assert f.ccc().startswith("200")
    assert f.sock.version() is None       # unwrapped: plain TCP from here
    assert f.voidcmd("NOOP").startswith("200")
    assert f.sendcmd("PWD").startswith("257")
    assert retr(f, "hello.txt") == b"hello\n"
    data = os.urandom(200000)
    assert f.storbinary("STOR ccc.bin", io.BytesIO(data)).startswith("226")
    assert retr(f, "ccc.bin") == data
    names = []
    f.retrlines("LIST", names.append)
    assert any(n.endswith(" ccc.bin") for n in names), names
    with pytest.raises(ftplib.error_perm, match="^534 .*clear text already"):
        f.sendcmd("CCC")
    assert f.quit().startswith("221")
    log = s.log()
    assert "CCC: the control connection is in clear text" in log, log
    assert "TLS data connection refused" not in log


def test_ccc_reaps_the_tls_process(ftpd, certs):
    """After CCC the TLS process exits while the session goes on: the helper
    reaps it at once (no zombie child of the helper, read from /proc),
    and the session's other child, the post-login process, is untouched."""
    s = tls_server(ftpd, certs, ssl_allow_ccc="YES")
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    helper, kids = session_processes(s, before)
    assert all(proc_alive(k) for k in kids), kids
    f.voidcmd("NOOP")
    f.data_session = f.sock.session
    assert f.ccc().startswith("200")

    def zombies():
        return [k for k in proc_children(helper) if not proc_alive(k)]
    assert wait_until(lambda: not zombies() and len(proc_children(helper)) == 1, 5), (
        zombies(), proc_children(helper), s.log())
    left = proc_children(helper)
    assert left[0] in kids and proc_alive(left[0])
    assert f.voidcmd("NOOP").startswith("200")
    assert retr(f, "hello.txt") == b"hello\n"
    assert f.quit().startswith("221")
    assert wait_until(lambda: not proc_alive(helper), 10), proc_descendants(s.pid)
    log = s.log()
    assert "killed by signal" not in log and "the TLS process" not in log, log


def test_prot_before_login_carries_over(ftpd, certs):
    """PBSZ and PROT P sent before USER hold for the session."""
    s = tls_server(ftpd, certs)
    f = ReuseFTP_TLS(context=client_context(), timeout=10)
    s.ctls.append(f)
    f.connect(HOST, s.port)
    f.auth()
    assert f.voidcmd("PBSZ 0").startswith("200")
    assert f.voidcmd("PROT P").startswith("200")
    f._prot_p = True
    f.login("demo", DEMO_PASSWORD)
    assert retr(f, "hello.txt") == b"hello\n"


def test_clear_data_when_allowed(ftpd, certs):
    s = tls_server(ftpd, certs, force_local_data_ssl="NO")
    f = tls_login(s, prot_p=False)
    assert retr(f, "hello.txt") == b"hello\n"
    f.voidcmd("PBSZ 0")
    assert f.voidcmd("PROT C").startswith("200")


def test_auth_twice(ftpd, certs):
    s = tls_server(ftpd, certs)
    c = auth_tls(s.connect())
    r = c.cmd("AUTH TLS")
    assert r.code == 503, r
    assert c.login().code == 230
    assert c.cmd("AUTH TLS").code == 503
    assert c.cmd("NOOP").code == 200


def test_user_before_auth_tls_is_forgotten(ftpd, certs):
    """RFC 2228: an accepted AUTH makes the client send USER again.  A USER
    in clear text (the client's, or one injected on the path before AUTH
    TLS) must not be the account a PASS inside TLS logs in to; before, it
    was (230)."""
    s = tls_server(ftpd, certs, force_local_logins_ssl="NO")
    c = s.connect()
    assert c.cmd("USER demo").code == 331
    auth_tls(c)
    r = c.cmd("PASS " + DEMO_PASSWORD, 20)
    assert r.code == 503, r
    assert c.login().code == 230


def test_pipelined_after_pass_reach_the_post_login_process(ftpd, certs):
    """Commands sent with USER and PASS in one TLS record are all answered:
    the pre-login process, which holds the control connection's TLS, takes
    lines only up to their LF, so what follows PASS stays in its SSL and,
    once it is the pump, goes to the post-login process."""
    s = tls_server(ftpd, certs)
    c = auth_tls(s.connect())
    c.send("USER demo\r\nPASS %s\r\nPWD\r\nTYPE I\r\nNOOP\r\nQUIT\r\n" % DEMO_PASSWORD)
    codes = [c.reply(20).code for _ in range(6)]
    assert codes == [331, 230, 257, 200, 200, 221], codes


def test_client_that_reads_no_reply_times_out(ftpd, certs):
    """A logged-in FTPS client that sends commands and reads none of their
    replies: once a reply has waited idle_session_timeout for it, the TLS
    process ends the session, as the idle timeout ends a silent one.
    Before, the TLS process waited for ever to send it, the post-login
    process blocked writing the next, and the session stayed."""
    s = tls_server(ftpd, certs, idle_session_timeout=2)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    auth_tls(c)
    assert c.login().code == 230
    c.sock.settimeout(3)
    try:
        for _ in range(500):            # until the server stops reading
            c.send(b"HELP\r\n" * 1000)
    except socket.timeout:
        pass
    assert session_gone(s, before, 15), proc_descendants(s.pid)
    log = s.log()
    assert "The client took no reply for 2 s, closing" in log, log
    assert "killed by signal" not in log, log


def test_client_gone_right_after_pass(ftpd, certs):
    """A client that sends PASS and closes at once: the TLS process
    ends before the post-login process asks it for the TLS session, which
    then ends as any session whose client left, not with an error ("The
    TLS process did not answer: Broken pipe")."""
    s = tls_server(ftpd, certs)
    before = set(proc_descendants(s.pid))
    for _ in range(3):
        c = auth_tls(s.connect())
        assert c.cmd("USER demo").code == 331
        c.send("PASS %s\r\n" % DEMO_PASSWORD)
        c.close()
        assert session_gone(s, before), proc_descendants(s.pid)
    log = s.log()
    assert log.count("Login successful") == 3, log
    assert "did not answer" not in log and "killed by signal" not in log, log


def test_client_gone_with_replies_unread(ftpd, certs):
    """A client pipelines 1 MB of commands after PASS, reads no reply, and
    closes (a reset: its unread replies).  The TLS process can send nothing
    more, so it drops what the post-login process still writes, which then
    reads what the client sent last and ends, and so does the session.
    Before, the TLS process stopped reading replies once the client was
    gone, the post-login process blocked writing one, and both, with the
    helper, stayed for ever."""
    s = tls_server(ftpd, certs)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    auth_tls(c)
    assert c.cmd("USER demo").code == 331
    c.sock.settimeout(3)
    try:
        c.send(("PASS %s\r\n" % DEMO_PASSWORD).encode() + b"NOOP\r\n" * 200_000)
    except socket.timeout:
        pass                    # the server stopped reading: its replies are unread
    time.sleep(1)
    c.close()
    assert session_gone(s, before), proc_descendants(s.pid)
    assert "Login successful" in s.log()
    assert "killed by signal" not in s.log()


@pytest.mark.parametrize("how", ["quit", "last_failed_login", "idle"])
def test_close_notify_before_login(ftpd, certs, how):
    """A TLS session that ends before login ends its TLS with close_notify
    (the pre-login process holds the SSL): Python's unwrap() needs it."""
    s = tls_server(ftpd, certs, max_login_fails=1, idle_session_timeout=2)
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    # an EOF without close_notify raises SSLEOFError instead of reading b""
    ctx = client_context()
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    c.sock = ctx.wrap_socket(c.sock, suppress_ragged_eofs=False)
    if how == "quit":
        assert c.cmd("QUIT").code == 221
    elif how == "last_failed_login":
        assert c.cmd("USER demo").code == 331
        assert c.cmd("PASS wrong", 20).code == 530
    else:
        assert c.reply(10).code == 421
    assert c.wait_closed(10) == b""


def test_feat(ftpd, certs):
    s = tls_server(ftpd, certs)
    r = s.connect().cmd("FEAT")
    feats = [l.strip() for l in r.lines[1:-1]]
    assert "AUTH TLS" in feats and "PBSZ" in feats and "PROT" in feats, feats
    plain = ftpd()
    c = plain.connect()
    feats = [l.strip() for l in c.cmd("FEAT").lines[1:-1]]
    assert not [x for x in feats if x.split()[0] in ("AUTH", "PBSZ", "PROT")], feats
    assert c.cmd("AUTH TLS").code == 500
    assert c.cmd("PBSZ 0").code == 500


def session_gone(s, before, timeout=10):
    return wait_until(lambda: not [p for p in proc_descendants(s.pid) if p not in before],
                      timeout)


def test_garbage_instead_of_client_hello(ftpd, certs):
    s = tls_server(ftpd, certs)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    c.send(b"USER demo\r\nPASS x\r\n" + os.urandom(300))
    assert c.wait_closed(10) is not None
    assert session_gone(s, before), proc_descendants(s.pid)
    assert "TLS handshake failed" in s.log()
    assert "killed by signal" not in s.log()


def client_hello(version="1.3"):
    """The first flight of a TLS client, as bytes."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context(version).wrap_bio(inc, out)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def test_client_closes_mid_handshake(ftpd, certs):
    s = tls_server(ftpd, certs)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    hello = client_hello()
    c.send(hello[:len(hello) // 2])
    time.sleep(0.2)
    c.close()
    assert session_gone(s, before), proc_descendants(s.pid)
    assert "TLS handshake failed" in s.log()
    # a full ClientHello, then silence, then close: the same
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    c.send(hello)
    time.sleep(0.3)
    c.close()
    assert session_gone(s, before)
    assert "killed by signal" not in s.log()


class RecordClient:
    """A TLS client over the raw socket SOCK through memory BIOs, so that
    a test sends the records it wants, whole or cut."""

    def __init__(self, sock, version="1.3"):
        self.sock = sock
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = client_context(version).wrap_bio(self.inc, self.out)
        sock.settimeout(10)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(self.out.read())
                data = sock.recv(65536)
                assert data, "the server closed the connection in the handshake"
                self.inc.write(data)
        sock.sendall(self.out.read())

    def record(self, data):
        """DATA as the bytes of its TLS record(s), not sent."""
        self.obj.write(data)
        return self.out.read()

    def read_all(self, timeout=10):
        """Plain text until the server's close_notify (then b"<close_notify>"
        ends it) or EOF without one (b"<eof>")."""
        got = b""
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = self.obj.read(65536)
                if not data:
                    return got + b"<close_notify>"
                got += data
                continue
            except ssl.SSLWantReadError:
                pass
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return got + b"<eof>"
            self.inc.write(data)


def stop_session(s, before):
    """SIGTERM to each process of S's session (systemctl stop of an ftps@
    unit; the standalone listener signals the process group the same way).
    RETURNS the seconds until they were all gone, or None after 8 s."""
    pids = [p for p in proc_descendants(s.pid) if p not in before]
    assert pids
    t0 = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    if wait_until(lambda: not any(proc_alive(p) for p in pids), 8):
        return time.monotonic() - t0
    return None


@pytest.mark.parametrize("where", ["handshake", "record", "reply"])
def test_sigterm_ends_a_tls_session_before_login(ftpd, certs, where):
    """SIGTERM ends a TLS session before login at once wherever its pre-login
    process waits for the client: in the handshake (AUTH TLS, then no
    ClientHello; no 421, which would be clear text after 234), for the rest
    of a TLS record, or for a client that does not read its replies.  Before,
    only the wait for a command's first byte heard it; the others waited for
    idle_session_timeout, and the listener killed the session after
    shutdown_timeout."""
    s = tls_server(ftpd, certs, shutdown_timeout=1, idle_session_timeout=60)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    if where == "reply":
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert c.cmd("AUTH TLS").code == 234
    if where == "record":
        rec = RecordClient(c.sock).record(b"NOOP\r\n")
        c.send(rec[:len(rec) // 2])
    elif where == "reply":
        tls = RecordClient(c.sock)
        c.sock.settimeout(0.5)
        try:
            for _ in range(100):        # about 2 MB of replies, none read
                c.send(tls.record(b"HELP\r\n" * 100))
        except socket.timeout:
            pass
    time.sleep(0.5)
    took = stop_session(s, before)
    assert took is not None and took < 3, took
    log = s.log()
    want = "during the TLS handshake" if where == "handshake" else "Shutting down on SIGTERM"
    assert want in log, log
    assert "killed by signal" not in log and "Failed to read" not in log, log
    if where == "handshake":
        assert c.wait_closed(5) == b""      # nothing in clear text after the 234


def test_listener_shutdown_ends_a_tls_handshake(ftpd, certs):
    """The standalone listener's SIGTERM: a session in its TLS handshake ends
    at once, and the listener with it, instead of being killed
    shutdown_timeout + 2 s later."""
    s = tls_server(ftpd, certs, shutdown_timeout=2, idle_session_timeout=60)
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    time.sleep(0.3)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(20)
    assert time.monotonic() - t0 < 2, s.log()
    log = s.log()
    assert "Shutting down on SIGTERM during the TLS handshake" in log, log
    assert "killing them" not in log, log
    assert c.wait_closed(5) == b""


@pytest.mark.parametrize("how", ["bad_record", "idle_in_a_record"])
def test_tls_session_before_login_ends_cleanly(ftpd, certs, how):
    """A TLS record the pre-login process cannot decrypt ends the session
    with the reason in one line, not an error exit ("Failed to read from
    the client: Protocol error"); idle_session_timeout in the middle of a
    record is the idle timeout it is between commands: 421 Timeout. and
    close_notify, not "421 Service not available" and an error exit."""
    s = tls_server(ftpd, certs, idle_session_timeout=2)
    before = set(proc_descendants(s.pid))
    c = s.connect()
    assert c.cmd("AUTH TLS").code == 234
    tls = RecordClient(c.sock)
    if how == "bad_record":
        c.send(bytes([23, 3, 3, 0, 40]) + os.urandom(40))
        with pytest.raises(ssl.SSLError, match="BAD_RECORD_MAC"):
            tls.read_all()
        want = "TLS connection with the client ended: "
    else:
        c.send(tls.record(b"NOOP\r\n")[:4])
        assert tls.read_all(10) == b"421 Timeout.\r\n<close_notify>"
        want = "Idle session timeout, closing"
    assert session_gone(s, before), proc_descendants(s.pid)
    log = s.log()
    assert want in log, log
    assert "Failed to read" not in log, log


class SClient:
    """openssl s_client -starttls ftp: its own TLS stack, and its commands
    (a line "R" renegotiates, "K" / "k" send a TLS 1.3 KeyUpdate)."""

    def __init__(self, port, version):
        self.p = subprocess.Popen(["openssl", "s_client", "-starttls", "ftp",
                                   "-tls" + version.replace(".", "_"),
                                   "-connect", "%s:%d" % (HOST, port)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.out = b""

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def expect(self, pattern, timeout=10):
        """Read until PATTERN (bytes regex) is in the output; RETURNS the match or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.out)
            if m:
                return m
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                if not chunk:
                    break
                self.out += chunk
        return re.search(pattern, self.out)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(10)
        self.p.stdin.close()
        self.p.stdout.close()


def s_client_login(s, version):
    c = SClient(s.port, version)
    assert c.expect(rb"\n220 "), c.out
    c.send("USER demo")
    assert c.expect(rb"\n331 "), c.out
    c.send("PASS " + DEMO_PASSWORD)
    assert c.expect(rb"\n230 "), c.out
    return c


def test_tls12_renegotiation_refused(ftpd, certs):
    """A TLS 1.2 client that asks to renegotiate (s_client's "R") gets the
    no_renegotiation alert: no second handshake, no second signature; the
    client gives up and the session ends cleanly, before and after login."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    s = tls_server(ftpd, certs, log_ftp_protocol="YES")
    before = set(proc_descendants(s.pid))
    c = s_client_login(s, "1.2")
    try:
        c.send("R")
        assert c.expect(rb"RENEGOTIATING"), c.out
        assert c.expect(rb"no renegotiation"), c.out
        assert c.p.wait(10) is not None
    finally:
        c.close()
    assert session_gone(s, before), proc_descendants(s.pid)
    log = s.log()
    assert "TLS connection with the client ended" in log, log
    assert log.count("TLS session: TLSv1.2") == 1, log
    assert "killed by signal" not in log and "Refused or failed to sign" not in log
    # the same before login: AUTH TLS, then renegotiation instead of USER
    c = SClient(s.port, "1.2")
    try:
        assert c.expect(rb"\n220 "), c.out
        c.send("R")
        assert c.expect(rb"no renegotiation"), c.out
    finally:
        c.close()
    assert session_gone(s, before), proc_descendants(s.pid)
    assert "killed by signal" not in s.log()


def test_tls13_key_update_harmless(ftpd, certs):
    """TLS 1.3 has no renegotiation; a KeyUpdate (s_client's "K", and "k",
    which asks the server to update its keys too) is harmless."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    s = tls_server(ftpd, certs)
    c = s_client_login(s, "1.3")
    try:
        for cmd in ("K", "k"):
            c.send(cmd)
            assert c.expect(rb"KEYUPDATE"), c.out
            c.out = b""
            c.send("NOOP")
            assert c.expect(rb"\n?200 "), c.out
        c.send("quit")                  # a line starting with Q would be s_client's
        assert c.expect(rb"221 "), c.out
    finally:
        c.close()


@pytest.mark.parametrize("login", [False, True])
def test_overlong_line_inside_tls(ftpd, ftpenv, certs, login):
    """A 100 KB line inside TLS (through the TLS process's pump) gets one
    500, and the session goes on; the same in many records."""
    s = tls_server(ftpd, certs)
    c = auth_tls(s.connect())
    if login:
        assert c.login().code == 230
    c.send(b"NOOP " + b"x" * 100_000 + b"\r\n")
    assert c.reply().lines == ["500 Input line too long."]
    assert c.cmd("NOOP").code == 200
    for _ in range(100):
        c.send(b"z" * 1000)
    c.send(b"\r\nNOOP\r\n")
    assert c.reply().code == 500
    assert c.reply().code == 200
    if not login:
        assert c.login().code == 230
    c.send(b"MKD " + b"y" * 100_000 + b"\r\n")
    assert c.reply().code == 500
    assert c.cmd("PWD").code == 257
    assert not os.path.exists(os.path.join(ftpenv.root, "y" * 100))
    assert "killed by signal" not in s.log()


def test_nothing_left_after_quit(ftpd, certs):
    s = tls_server(ftpd, certs)
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    assert len(set(proc_descendants(s.pid)) - before) == 3      # helper, service, TLS
    f.quit()
    assert session_gone(s, before)
    f = tls_login(s)
    f.close()                                                   # no QUIT
    assert session_gone(s, before)


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_journal_tls_fields_and_handshake_reasons(ftpenv, certs, version):
    """The TLS process's session line carries FTP_TLS_VERSION and
    FTP_TLS_CIPHER; a failed handshake, on the control and on a data
    connection, logs OpenSSL's reason."""
    cap = LogCapture(os.path.join(ftpenv.dir, "journal.sock"))
    try:
        s = start_logged(ftpenv, "accept", journal_stream=True,
                         journal_socket=cap.path, **certs.opts())
        f = tls_login(s, version)
        cipher = f.sock.cipher()[0]
        f.fresh_data_context = client_context(version)
        with pytest.raises((ssl.SSLError, ConnectionError)):
            f.retrbinary("RETR hello.txt", lambda b: None)
        assert f.getline().startswith("522")
        f.quit()
        c = s.connect()
        assert c.cmd("AUTH TLS").code == 234
        c.send(b"USER demo\r\n" + b"x" * 300)
        assert c.wait_closed(10) is not None

        def msgs(c):
            return [r.get("MESSAGE", "") for r in c.records()]
        assert cap.wait_for(lambda c: any("TLS handshake failed" in m for m in msgs(c))), \
            msgs(cap)
        recs = cap.records()
        (sess,) = [r for r in recs if "TLS session:" in r.get("MESSAGE", "")]
        assert sess["FTP_TLS_VERSION"] == "TLSv" + version, sess
        assert sess["FTP_TLS_CIPHER"] == cipher, sess
        assert sess["FTP_SESSION"].isdigit()
        # OpenSSL's reasons: garbage is no TLS record; a fresh data handshake
        # finds nothing to sign with (1.3) or no cipher (1.2) without the key
        (bad,) = [m for m in msgs(cap) if "TLS handshake failed" in m]
        assert re.search(r"SSL routines.*(wrong version number|http request|"
                         r"record layer failure|unknown protocol)", bad), bad
        data = [m for m in msgs(cap) if "TLS data connection refused" in m]
        want = "no suitable signature algorithm" if version == "1.3" else "no shared cipher"
        assert len(data) == 1 and want in data[0], data
    finally:
        cap.close()


# ---------------------------------------------------------------- configuration

def check_config(ftpenv, extra, *args):
    path = ftpenv.write_config(extra, os.path.join(ftpenv.dir, "t.conf"))
    r = run_cmd([miniftpd_bin(), path, "-t"] + list(args))
    return path, r


def line_of(path, option):
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith(option + "="):
                return n
    raise AssertionError(option)


def test_certificate_loaded_once_at_start(ftpd, certs):
    """The standalone listener re-executes itself at start (listen_malloc_
    tcache_off); the TLS material is loaded by the process that stays, so a
    certificate's start-up warning (not valid yet: clock skew) is printed
    once, and the server serves with it."""
    crt, key = certs.future()
    s = tls_server(ftpd, certs, rsa_cert_file=crt, rsa_private_key_file=key)
    f = tls_login(s)
    assert f.pwd() == "/"
    f.quit()
    assert s.log().count("The certificate in %s is not valid yet" % crt) == 1, s.log()


def test_config_checked(ftpenv, certs):
    path, r = check_config(ftpenv, certs.opts())
    assert r.returncode == 0 and r.stdout == "configuration OK\n", r.stderr
    cases = [
        ({"rsa_cert_file": certs.path("missing.crt")}, "rsa_cert_file", "cannot read"),
        ({"rsa_private_key_file": certs.path("ec2.key")}, "rsa_private_key_file",
         "does not match"),
        ({"rsa_cert_file": certs.path("old.crt"), "rsa_private_key_file": certs.path("old.key")},
         "rsa_cert_file", "expired"),
        ({"rsa_private_key_file": certs.path("missing.key")}, "rsa_private_key_file",
         "cannot read"),
        ({"ssl_ciphers": "NOSUCHCIPHER"}, "ssl_ciphers", "not understood"),
    ]
    for change, option, problem in cases:
        opts = certs.opts()
        opts.update(change)
        path, r = check_config(ftpenv, opts)
        assert r.returncode == 2, (change, r.stdout, r.stderr)
        want = "%s:%d: %s " % (path, line_of(path, option), option)
        assert want in r.stderr and problem in r.stderr, (want, r.stderr)
    # the key may sit in the certificate file, as vsftpd allows
    both = os.path.join(ftpenv.dir, "both.pem")
    with open(both, "w") as out:
        for name in ("ec.crt", "ec.key"):
            with open(certs.path(name)) as fh:
                out.write(fh.read())
    path, r = check_config(ftpenv, {"ssl_enable": "YES", "rsa_cert_file": both})
    assert r.returncode == 0, r.stderr
    path, r = check_config(ftpenv, {"ssl_enable": "YES"})
    assert r.returncode == 2 and "needs rsa_cert_file" in r.stderr
    # require_ssl_reuse=NO: refused, at its line, saying why in one sentence
    opts = certs.opts()
    opts["require_ssl_reuse"] = "NO"
    path, r = check_config(ftpenv, opts)
    want = ("miniftpd: %s:%d: require_ssl_reuse=NO is not supported: the post-login "
            "process never holds the private key, so a data connection can only resume "
            "the control connection's TLS session (as curl, lftp and FileZilla do; "
            "SECURITY.md, \"TLS (FTPS)\")\n" % (path, line_of(path, "require_ssl_reuse")))
    assert r.returncode == 2 and r.stderr == want, r.stderr
    # -o overrides are named as such
    path, r = check_config(ftpenv, certs.opts(), "-orsa_private_key_file=" + certs.path("rsa.key"))
    assert r.returncode == 2 and "-orsa_private_key_file: " in r.stderr, r.stderr


def test_bad_key_stops_the_server(ftpenv, certs):
    opts = certs.opts()
    opts["rsa_private_key_file"] = certs.path("ec2.key")
    path = ftpenv.write_config(opts, os.path.join(ftpenv.dir, "bad.conf"))
    r = run_cmd([miniftpd_bin(), path, "-olisten=YES", "-olisten_address=127.0.0.1",
                 "-olisten_port=0"])
    assert r.returncode == 2 and "does not match" in r.stderr, r.stderr


# ---------------------------------------------------------------- processes (root)

def session_processes(s, before):
    """(helper, [its two children]) of the one new TLS session of S."""
    def find():
        helpers = [p for p in s.helpers() if p not in before]
        if len(helpers) != 1:
            return None
        kids = proc_children(helpers[0])
        return (helpers[0], kids) if len(kids) == 2 else None
    found = wait_until(find, 10)
    assert found, proc_descendants(s.pid)
    return found


def identify(s, c_port, helper, kids):
    """(service pid, TLS pid): the TLS process holds the control TCP socket."""
    [ctl] = tcp_inodes(s.pid, s.port, c_port)
    assert ctl
    holders = [k for k in kids if ctl in socket_inodes(k)]
    assert len(holders) == 1, (kids, holders)
    tls = holders[0]
    service = [k for k in kids if k != tls][0]
    return service, tls, ctl


def key_copies(pid):
    """PID's descriptors of the key's memory file (tlssign_snapshot)."""
    fds = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if "miniftpd-key" in os.readlink("/proc/%d/fd/%s" % (pid, fd)):
                fds.append(fd)
        except FileNotFoundError:
            pass
    return fds


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_tls_process_confined(ftpd, ftpenv, certs, mode):
    import pwd
    s = tls_server(ftpd, certs, mode)
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    helper, kids = session_processes(s, before)
    service, tls, ctl = identify(s, f.sock.getsockname()[1], helper, kids)
    nobody = pwd.getpwnam(GUEST)
    st = proc_status(tls)
    assert [int(x) for x in st["Uid"].split()] == [nobody.pw_uid] * 4
    assert [int(x) for x in st["Gid"].split()] == [nobody.pw_gid] * 4
    assert st["CapEff"] == st["CapPrm"] == "0000000000000000"
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == ("0" if sanitized() else "2")
    assert os.readlink("/proc/%d/root" % tls) == ftpenv.empty
    # the TLS process alone holds the control connection; the service
    # process reads a UNIX socket, the helper holds neither
    for p in (helper, service):
        assert ctl not in socket_inodes(p), p
    assert os.readlink("/proc/%d/root" % service) == ftpenv.root
    # and before login: the pre-login process is the TLS process (SECURITY.md,
    # "The pre-login process is the TLS process"): one child, chrooted, alone
    # holding the control connection, and still the TLS process after login
    c = auth_tls(s.connect())
    assert c.cmd("NOOP").code == 200
    helper2, kids2 = wait_until(lambda: [(h, proc_children(h)) for h in s.helpers()
                                         if h not in before and h != helper and
                                         len(proc_children(h)) == 1], 10)[0]
    [tls2] = kids2
    [ctl2] = tcp_inodes(s.pid, s.port, c.sock.getsockname()[1])
    assert ctl2 in socket_inodes(tls2) and ctl2 not in socket_inodes(helper2)
    assert os.readlink("/proc/%d/root" % tls2) == ftpenv.empty
    assert proc_status(tls2)["Seccomp"] == ("0" if sanitized() else "2")
    assert not key_copies(tls2), key_copies(tls2)
    assert key_copies(helper2)
    assert c.login().code == 230
    kids3 = wait_until(lambda: len(proc_children(helper2)) == 2 and proc_children(helper2), 10)
    assert kids3 and tls2 in kids3, (tls2, kids3)
    service2, tls3, _ = identify(s, c.sock.getsockname()[1], helper2, kids3)
    assert tls3 == tls2 and service2 != tls2
    assert os.readlink("/proc/%d/root" % service2) == ftpenv.root
    # the copy of the key the listener keeps (a memory file) reaches only
    # the helper before login, which signs in a child: no process that
    # reads client bytes holds it, nor the helper after login
    for p in (helper, service, tls, service2, tls2, helper2):
        assert not key_copies(p), (p, key_copies(p))
    if mode in ("standalone", "listenfd"):
        assert key_copies(s.pid)


def smaps_mappings(pid):
    """(perms, name, Private_Dirty KiB) of each mapping of PID, in order."""
    out = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            m = re.match(r"[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:	# a mapping's first line
                out.append([m.group(1), m.group(2), 0])
            elif line.startswith("Private_Dirty:"):
                out[-1][2] = int(line.split()[1])
    return out


def stack_private_kib(pid):
    """Private_Dirty of PID's [stack] mapping, KiB."""
    for _, name, kib in smaps_mappings(pid):
        if name == "[stack]":
            return kib
    raise AssertionError("no [stack] in /proc/%d/smaps" % pid)


@needs_root
def test_idle_helper_gives_its_stack_back(ftpd, certs):
    """After login the helper waits with the stack that crypt, NSS and PAM
    dirtied given back (sys_stack_release): an idle session's memory."""
    s = tls_server(ftpd, certs, "standalone")
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    helper, _ = session_processes(s, before)
    # a few KiB stay: the frames above the helper's loop, written after fork
    assert wait_until(lambda: stack_private_kib(helper) <= 12, 5), stack_private_kib(helper)


def data_private_kib(pid):
    """Private_Dirty of PID's writable static data, KiB: the binary's own
    writable mapping (.data) and the anonymous ones after it (.bss, .lbss)."""
    exe = os.readlink("/proc/%d/exe" % pid)
    total, take = 0, False
    for perms, name, kib in smaps_mappings(pid):
        take = (name == exe and perms.startswith("rw")) or (take and name == "")
        total += kib if take else 0
    return total


@needs_root
def test_idle_session_keeps_few_private_pages(ftpd, certs):
    """Each process of an idle FTPS session keeps few pages of its own
    (bench/NOTES.md, "FTPS idle memory: the pages a session writes"): the
    post-login process's stack holds its own frames, not what the helper's
    login wrote below them before the fork, and the static data a process
    writes shares a few pages (LARGE_BSS buffers after the small
    variables, the session's scalars before its buffers)."""
    s = tls_server(ftpd, certs, "standalone")
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    assert len(f.nlst()) > 0
    helper, kids = session_processes(s, before)
    service, tls, _ = identify(s, f.sock.getsockname()[1], helper, kids)
    # before: 52 KiB of stack; static data 24, 64 and 36 KiB
    assert wait_until(lambda: stack_private_kib(service) <= 32, 5), stack_private_kib(service)
    if sanitized():
        return	# AddressSanitizer lays out and pads the static data its own way
    got = {p: data_private_kib(p) for p in (helper, service, tls)}
    for p, bound in ((helper, 20), (service, 48), (tls, 28)):
        assert got[p] <= bound, (p, got)


def memory_holds(pid, needles):
    """Which of NEEDLES occur in PID's readable memory (/proc/PID/maps and
    /proc/PID/mem, read 4 MiB at a time with an overlap).  RETURNS
    (found, bytes read)."""
    found, total, step = set(), 0, 4 << 20
    overlap = max(len(n) for n in needles)
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            addr, perms = line.split()[:2]
            if perms[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
                continue
            lo, hi = (int(x, 16) for x in addr.split("-"))
            tail = b""
            for at in range(lo, hi, step):
                try:
                    mem.seek(at)
                    chunk = tail + mem.read(min(step, hi - at))
                except (OSError, ValueError, OverflowError):
                    break
                total += len(chunk) - len(tail)
                found.update(n for n in needles if n in chunk)
                tail = chunk[-overlap:]
    return found, total


@needs_root
@pytest.mark.parametrize("key", ["ec", "rsa"])
def test_private_key_in_no_session_process(ftpd, certs, key):
    if sanitized():
        pytest.skip("ASan's shadow memory is terabytes of mappings: the release build is checked")
    secrets_ = certs.secret_numbers(key)
    # the method finds a secret where one is: our own memory
    assert memory_holds(os.getpid(), secrets_)[0] == set(secrets_)
    s = tls_server(ftpd, certs, key=key)
    before = set(proc_descendants(s.pid))
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    helper, kids = session_processes(s, before)
    service, tls, _ = identify(s, f.sock.getsockname()[1], helper, kids)
    for pid, what in ((service, "post-login process"), (tls, "TLS process"),
                      (helper, "helper"), (s.pid, "listener")):
        found, total = memory_holds(pid, secrets_)
        assert total > 100000, what
        assert not found, "the private key is in the %s's memory" % what
    f.quit()
