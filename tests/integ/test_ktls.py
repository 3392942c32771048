"""Kernel TLS for FTPS downloads (issue 17, "Speed"): a binary RETR on a
PROT P data connection goes through SSL_sendfile where the kernel encrypts
(kernel TLS), and through SSL_write where it does not; every TLS download
logs which ("TLS send: ktls (sendfile)" / "TLS send: userspace", journal
field FTP_TLS_SEND).

The test finds out what this machine's kernel offers the way the server's
post-login process does: OpenSSL sets the "tls" upper-layer protocol
(setsockopt TCP_ULP) on the data socket, which succeeds only if the kernel
has it registered (/proc/sys/net/ipv4/tcp_available_ulp; an unprivileged
process cannot make the kernel load the module).  It then asserts that
the server took the path the kernel allows, and that the bytes are right
either way, so it means something on both kinds of kernel.

Where OpenSSL encrypts, the records of a download are gathered: one write
per 256 KiB block of the file, and the data socket keeps at most 256 KiB
unsent (strace shows both).
"""

import os
import re
import shutil
import socket

import pytest

from conftest import DEMO_PASSWORD, run_cmd
from ftpskit import retr, tls_login, tls_server
from logcapture import LogCapture, start as start_logged
from xfer import start, traced_server

TCP_ULP = getattr(socket, "TCP_ULP", 31)
BLOCK = 256 * 1024                      # transfer.c XFER_BUF: one read, one SSL_write call
RECORD = 16384 + 5 + 1 + 16             # TLS 1.3: header, inner type, AEAD tag
SSL_CONF = "/usr/include/x86_64-linux-gnu/openssl/configuration.h"


def kernel_has_tls():
    """The "tls" ULP can be set on a connected TCP socket, as OpenSSL does."""
    try:
        with open("/proc/sys/net/ipv4/tcp_available_ulp") as fh:
            listed = "tls" in fh.read().split()
    except OSError:
        listed = False
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname(), timeout=5)
    acc, _ = srv.accept()
    try:
        cli.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
        works = True
    except OSError:
        works = False       # ENOENT: no CONFIG_TLS, or the module is not loaded
    finally:
        for s in (cli, acc, srv):
            s.close()
    assert works == listed or not works, "tls ULP set but not listed"
    return works


def openssl_has_ktls():
    """Debian's OpenSSL 3 is built with kTLS; a build without says OPENSSL_NO_KTLS."""
    try:
        with open(SSL_CONF) as fh:
            return "define OPENSSL_NO_KTLS" not in fh.read()
    except OSError:
        return True


def expected_path():
    return "ktls" if kernel_has_tls() and openssl_has_ktls() else "userspace"


def download_lines(log, name):
    return re.findall(r'Download "/%s" (\d+) bytes(.*)' % re.escape(name), log)


def test_kernel_probe_matches_this_machine():
    """The probe itself: on this kernel (no CONFIG_TLS) setsockopt fails
    with ENOENT, and tcp_available_ulp does not list "tls"."""
    with open("/proc/sys/net/ipv4/tcp_available_ulp") as fh:
        listed = "tls" in fh.read().split()
    assert kernel_has_tls() == listed


def test_retr_path_matches_kernel(ftpd, ftpenv, certs):  # noqa: F811
    """Binary RETR over PROT P with curl (TLS 1.3, AES-128-GCM, which the
    kernel takes) and ftplib (its default suite): identical bytes, and the
    log names the path the kernel allows; "(sendfile)" with kernel TLS."""
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    data = os.urandom((3 << 20) + 12345)
    with open(os.path.join(ftpenv.root, "k.bin"), "wb") as fh:
        fh.write(data)
    want = expected_path()
    s = tls_server(ftpd, certs)
    out = os.path.join(ftpenv.dir, "k.out")
    r = run_cmd(["curl", "-sS", "--ssl-reqd", "-k", "--tlsv1.3",
                 "--tls13-ciphers", "TLS_AES_128_GCM_SHA256",
                 "-u", "demo:" + DEMO_PASSWORD, "-o", out, s.url("/k.bin")])
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as fh:
        assert fh.read() == data
    f = tls_login(s)
    assert retr(f, "k.bin") == data
    f.quit()
    lines = download_lines(s.log(), "k.bin")
    assert len(lines) == 2, s.log()
    for n, tail in lines:
        assert int(n) == len(data)
        if want == "ktls":
            assert tail == ", TLS send: ktls (sendfile)", tail
        else:
            assert tail == ", TLS send: userspace", tail
    assert "killed by signal" not in s.log()


def test_ascii_and_resumed_retr(ftpd, ftpenv, certs):  # noqa: F811
    """ASCII downloads cannot use sendfile (line ends are rewritten in the
    process): the kernel may still encrypt ("ktls", no sendfile).  A
    resumed binary RETR (REST) sends from the offset on either path."""
    text = b"line one\nline two\n" * 5000
    with open(os.path.join(ftpenv.root, "t.txt"), "wb") as fh:
        fh.write(text)
    want = expected_path()
    s = tls_server(ftpd, certs)
    f = tls_login(s)
    lines = []
    f.retrlines("RETR t.txt", lines.append)
    assert "\n".join(lines).encode() + b"\n" == text
    got = bytearray()
    f.retrbinary("RETR t.txt", got.extend, rest=100001)
    assert bytes(got) == text[100001:]
    f.quit()
    (ascii_line, rest_line) = download_lines(s.log(), "t.txt")
    assert ascii_line[1] == ", TLS send: " + want, ascii_line
    assert rest_line[1] == (", TLS send: ktls (sendfile)" if want == "ktls"
                            else ", TLS send: userspace"), rest_line


def test_plain_download_says_nothing_of_tls(ftpd, ftpenv):
    """Without TLS no TLS path is logged."""
    s = ftpd("standalone")
    f = s.ftplib()
    b = bytearray()
    f.retrbinary("RETR hello.txt", b.extend)
    f.quit()
    (line,) = download_lines(s.log(), "hello.txt")
    assert line[1] == "", line


def test_journal_field(ftpenv, certs):  # noqa: F811
    """The download's journal record carries FTP_TLS_SEND."""
    cap = LogCapture(os.path.join(ftpenv.dir, "journal.sock"))
    try:
        s = start_logged(ftpenv, "accept", journal_stream=True,
                         journal_socket=cap.path, **certs.opts())
        f = tls_login(s)
        assert retr(f, "hello.txt") == b"hello\n"
        f.quit()

        def downloads(c):
            return [r for r in c.records() if r.get("FTP_EVENT") == "download"]
        assert cap.wait_for(lambda c: downloads(c)), cap.records()
        (rec,) = downloads(cap)
        assert rec["FTP_TLS_SEND"] == expected_path(), rec
    finally:
        cap.close()


WriteTraced = traced_server("write,setsockopt")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_userspace_send_one_write_per_block(ftpenv, certs):  # noqa: F811
    """Where OpenSSL encrypts (no kernel TLS), a binary RETR's records go
    out 16 at a time: one write of 16 full TLS 1.3 records per 256 KiB
    block of the file (it was one of 256 KiB and one of the 352 bytes left
    over), a resumed RETR too; the TLS data socket keeps at most 256 KiB
    unsent (TCP_NOTSENT_LOWAT).  A plain download's socket is left alone."""
    if expected_path() == "ktls":
        pytest.skip("kernel TLS: the kernel writes the records, nothing is gathered")
    blocks, rest = 12, 300001
    data = os.urandom(blocks * BLOCK + 4321)
    with open(os.path.join(ftpenv.root, "w.bin"), "wb") as fh:
        fh.write(data)
    WriteTraced.trace = os.path.join(ftpenv.dir, "write.trace")
    s = start(ftpenv, WriteTraced, force_local_data_ssl="NO", **certs.opts())
    f = tls_login(s)
    assert retr(f, "w.bin") == data
    got = bytearray()
    f.retrbinary("RETR w.bin", got.extend, rest=rest)
    assert bytes(got) == data[rest:]
    assert f.prot_c().startswith("200")
    assert retr(f, "w.bin") == data
    f.quit()
    with open(WriteTraced.trace, errors="replace") as fh:
        trace = fh.read()
    asked = [int(n) for n in re.findall(r"write\(\d+, .*, (\d+)\) = -?\d+", trace)]
    assert asked.count(16 * RECORD) == blocks + (len(data) - rest) // BLOCK, \
        sorted(set(asked))[-8:]
    lowat = re.findall(r"setsockopt\(\d+, (?:SOL_TCP|IPPROTO_TCP), TCP_NOTSENT_LOWAT, "
                       r"\[(\d+)\], 4\) = 0", trace)
    assert lowat == [str(BLOCK)] * 2, lowat      # the two TLS RETRs, not the plain one
    lines = download_lines(s.log(), "w.bin")
    assert [t for _, t in lines] == [", TLS send: userspace"] * 2 + [""], lines
